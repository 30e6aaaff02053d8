// Crash detection: the /settings/crash page (the opt-in, the stillness and cancel times, the
// emergency contacts) and the banner on /live that counts down a suspected crash's cancel
// window with an "I'm OK" button. The crash notification links to /live?crash=<alert id>.

import { api } from "./api.js";
import { busy, errorBox, field, fill, h, showError } from "./dom.js";

const API = "/api/v1/live/crash";
// The server's ranges (live/crash.py, live/crash_alerts.py), so the inputs refuse the rest.
const STILL_S = { min: 30, max: 600 };
const CANCEL_S = { min: 30, max: 300 };
// The shape the server checks; the "you were added" e-mail is the real test of an address.
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const POLL_MS = 5000;

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function secondsInput(name, value, range) {
  return h("input", { name, type: "number", required: true, step: "1", inputmode: "numeric", value: String(Math.round(value)), ...range });
}

function settingsForm(current) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card narrow crash-settings", "aria-labelledby": "crash-settings-heading" },
    h("h2", { id: "crash-settings-heading" }, "Detection"),
    h(
      "label",
      { class: "choice" },
      h("input", { type: "checkbox", name: "enabled", checked: current.enabled }),
      " Watch my live rides for crashes",
    ),
    field("Stillness time (s)", secondsInput("still_s", current.still_s, STILL_S), "How long you lie still after a hard stop before you are warned (30–600 s)."),
    field("Cancel window (s)", secondsInput("cancel_s", current.cancel_s, CANCEL_S), "How long you have to cancel before your contacts are e-mailed (30–300 s)."),
    messages,
    h("button", { type: "submit", class: "primary" }, "Save"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const json = { enabled: form.enabled.checked, still_s: Number(form.still_s.value), cancel_s: Number(form.cancel_s.value) };
    const finish = busy(form);
    try {
      await api(`${API}/settings`, { method: "PUT", json });
      fill(messages, h("p", { class: "success", role: "status" }, json.enabled ? "Saved: crash detection is on." : "Saved: crash detection is off."));
    } catch (error) {
      showError(messages, error);
    } finally {
      finish();
    }
  });
  return form;
}

function contactState(contact) {
  if (contact.opted_out_at) return `Opted out on ${when(contact.opted_out_at)}: will not be alerted`;
  if (contact.told_at) return `Told on ${when(contact.told_at)}`;
  return "Being told they were added";
}

function contactsCard(contacts, reload) {
  const messages = h("div", { "aria-live": "polite" });
  const email = h("input", { name: "contact_email", type: "text", inputmode: "email", autocomplete: "email", maxlength: "254", placeholder: "name@example.org" });
  const form = h("form", { class: "crash-contact-form" }, field("Contact's e-mail address", email), h("button", { type: "submit" }, "Add contact"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const address = email.value.trim();
    if (!EMAIL.test(address)) {
      showError(messages, "Enter an e-mail address such as name@example.org");
      return;
    }
    const finish = busy(form);
    try {
      await api(`${API}/contacts`, { method: "POST", json: { email: address } });
      await reload(h("p", { class: "success", role: "status" }, `${address} added; they get an e-mail saying so, with a link to opt out.`));
    } catch (error) {
      finish();
      showError(messages, error);
    }
  });
  const remove = async (contact, button) => {
    button.disabled = true;
    try {
      await api(`${API}/contacts/${contact.id}`, { method: "DELETE" });
      await reload(h("p", { class: "success", role: "status" }, `${contact.email || "The contact"} removed.`));
    } catch (error) {
      button.disabled = false;
      showError(messages, error);
    }
  };
  const rows = contacts.map((contact) => {
    const button = h("button", { type: "button", class: "danger" }, "Remove");
    button.addEventListener("click", () => remove(contact, button));
    return h(
      "li",
      { class: "crash-contact", dataset: { id: contact.id, state: contact.opted_out_at ? "opted-out" : "active" } },
      h("span", { class: "crash-contact-email" }, contact.email || "(address erased)"),
      h("span", { class: "hint" }, contactState(contact)),
      button,
    );
  });
  return h(
    "section",
    { class: "card narrow crash-contacts", "aria-labelledby": "crash-contacts-heading" },
    h("h2", { id: "crash-contacts-heading" }, "Emergency contacts"),
    h("p", { class: "hint" }, "They get your last position by e-mail if you do not cancel in time. Up to 5."),
    contacts.length ? h("ul", { class: "crash-contact-list" }, rows) : h("p", { class: "hint" }, "No contacts yet."),
    messages,
    form,
  );
}

/** The /settings/crash page. */
export async function settingsPage(main) {
  document.title = "Crash detection · BikeNode";
  const current = await api(`${API}/settings`);
  const contactsSlot = h("div");
  const status = h("div", { "aria-live": "polite" });
  const reload = async (notice = null) => {
    const contacts = await api(`${API}/contacts`);
    fill(contactsSlot, contactsCard(contacts, reload));
    fill(status, notice);
  };
  await reload();
  fill(
    main,
    h("h1", {}, "Crash detection"),
    h("p", { class: "hint narrow" }, "During a live ride, a hard stop followed by stillness warns you first; if you do not cancel, your emergency contacts are e-mailed where you are. ", h("a", { href: "/settings" }, "Back to settings")),
    settingsForm(current),
    status,
    contactsSlot,
  );
}

function countdown(cancelBy) {
  const leftS = Math.max(0, Math.round((new Date(cancelBy) - Date.now()) / 1000));
  return `${Math.floor(leftS / 60)}:${String(leftS % 60).padStart(2, "0")}`;
}

const STATUS_TEXT = {
  cancelled: "Alert cancelled: your contacts will not be told.",
  cleared: "You moved on, so the alert was dropped.",
  sent: "Your emergency contacts were alerted with your last position.",
};

/** The banner for one alert: a countdown and "I'm OK" while warned, else what became of it. */
function alertBanner(alert, stop) {
  const box = h("section", { class: "crash-alert", role: "alert", dataset: { id: alert.id, status: alert.status } });
  let timer = null;
  let leftPage = false; // an answer arriving after the page is left draws (and times) nothing
  const draw = (current) => {
    if (leftPage) return;
    box.dataset.status = current.status;
    if (current.status !== "warned") {
      clearInterval(timer);
      fill(box, h("h2", {}, "Crash alert"), h("p", { class: "crash-alert-state" }, STATUS_TEXT[current.status]));
      return;
    }
    const left = h("strong", { class: "crash-countdown" }, countdown(current.cancel_by));
    const messages = h("div", { "aria-live": "polite" });
    const button = h("button", { type: "button", class: "primary crash-cancel" }, "I'm OK — cancel");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        draw(await api(`${API}/alerts/${current.id}/cancel`, { method: "POST" }));
      } catch (error) {
        button.disabled = false;
        showError(messages, error);
      }
    });
    fill(
      box,
      h("h2", {}, "Are you all right?"),
      h("p", {}, "Your ride stopped hard and you have not moved since. Your emergency contacts are e-mailed in ", left, " unless you cancel."),
      button,
      messages,
    );
    clearInterval(timer);
    let askedAt = 0;
    timer = setInterval(async () => {
      left.textContent = countdown(current.cancel_by);
      // Past the window the server's job mails the contacts; ask now and then how it stands
      // (cancelling stays possible until it has).
      if (new Date(current.cancel_by) > Date.now() || Date.now() - askedAt < POLL_MS) return;
      askedAt = Date.now();
      const fresh = await api(`${API}/alerts/${current.id}`).catch(() => null);
      if (fresh && fresh.status !== "warned") draw(fresh);
    }, 1000);
  };
  draw(alert);
  stop.push(() => {
    leftPage = true;
    clearInterval(timer);
  });
  return box;
}

/**
 * The crash banners of the /live page: the alert the notification linked to (?crash=) and any
 * other still open, and new ones as their notification arrives. Returns [element, cleanup].
 */
export async function crashBanners(query) {
  const slot = h("div", { class: "crash-alerts" });
  const stop = [];
  const shown = new Set();
  const show = (alert) => {
    if (shown.has(alert.id)) return;
    shown.add(alert.id);
    slot.append(alertBanner(alert, stop));
  };
  const linked = query?.get("crash");
  if (linked && /^[0-9a-fA-F-]{36}$/.test(linked)) {
    try {
      show(await api(`${API}/alerts/${linked}`));
    } catch (error) {
      slot.append(errorBox(error)); // e.g. someone else's alert: the rest of the page still works
    }
  }
  (await api(`${API}/alerts`)).forEach(show);
  const onNotification = async (event) => {
    const id = event.detail?.type === "crash_suspected" && new URL(event.detail.link, window.location.origin).searchParams.get("crash");
    if (!id) return;
    try {
      show(await api(`${API}/alerts/${id}`));
    } catch (error) {
      slot.append(errorBox(error));
    }
  };
  window.addEventListener("bikenode:notification", onNotification);
  stop.push(() => window.removeEventListener("bikenode:notification", onNotification));
  return [slot, () => stop.forEach((run) => run())];
}
