// Webhooks: the /settings/webhooks page. List, create (URL and event types), the signing
// secret shown once, rotate it, pause and resume, delete, and each webhook's deliveries.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";

const API = "/api/v1/webhooks";
const EVENT_TYPES = [
  ["ride.created", "A ride is added"],
  ["ride.updated", "A ride is changed"],
  ["ride.deleted", "A ride is deleted"],
];

function when(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}

/** The secret, shown once: the server never shows it again. */
function secretBox(secret, what) {
  return h(
    "div",
    { class: "card secret", role: "status" },
    h("p", {}, `${what} Copy it now: it is not shown again.`),
    h("code", { class: "secret webhook-secret" }, secret),
  );
}

function deliveriesTable(deliveries) {
  if (!deliveries.length) return h("p", { class: "hint" }, "No deliveries yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "deliveries" },
      h("caption", { class: "visually-hidden" }, "Recent deliveries"),
      h("thead", {}, h("tr", {}, ["Event", "Status", "Code", "Attempt", "Last try"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        deliveries.map((d) =>
          h(
            "tr",
            { dataset: { id: d.id } },
            h("td", {}, d.type),
            h("td", {}, d.status),
            h("td", { class: "status-code" }, d.last_status_code === null ? "—" : String(d.last_status_code)),
            h("td", {}, String(d.attempt)),
            h("td", {}, when(d.last_attempt_at)),
          ),
        ),
      ),
    ),
  );
}

function webhookCard(hook, reload, messages, opened = false) {
  const paused = hook.disabled_at !== null;
  const notice = h("div", { "aria-live": "polite" });
  const log = h("div", { class: "deliveries-log" });
  const act = async (button, run) => {
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      showError(notice, error);
    } finally {
      button.disabled = false;
    }
  };
  const button = (label, run, cls = "") => {
    const b = h("button", { type: "button", class: cls }, label);
    b.addEventListener("click", () => act(b, run));
    return b;
  };
  const rotate = button("Rotate secret", async () => {
    const { secret } = await api(`${API}/${hook.id}/rotate-secret`, { method: "POST" });
    fill(messages); // the creation's secret is no longer the newest: show one secret at a time
    fill(notice, secretBox(secret, "New signing secret. The previous one signs for 24 more hours."));
  });
  const toggle = button(paused ? "Resume" : "Pause", async () => {
    await api(`${API}/${hook.id}`, { method: "PATCH", json: { enabled: paused } });
    await reload();
  });
  const remove = button(
    "Delete",
    async () => {
      if (!window.confirm(`Delete the webhook to ${hook.url} and its delivery log?`)) return;
      await api(`${API}/${hook.id}`, { method: "DELETE" });
      await reload();
      fill(messages, h("p", { class: "success", role: "status" }, "Webhook deleted."));
    },
    "danger",
  );
  const show = button("Show deliveries", async () => {
    const { deliveries } = await api(`${API}/${hook.id}/deliveries`);
    fill(log, deliveriesTable(deliveries));
  });
  const state = paused ? `Paused: ${hook.disabled_reason || "by its owner"}` : "Active";
  // A "webhook disabled" notification links here with ?webhook=<id>: show why at once.
  if (opened) queueMicrotask(() => show.click());
  return h(
    "li",
    { class: "card webhook", dataset: { id: hook.id } },
    h("p", { class: "webhook-url" }, h("strong", {}, hook.url)),
    h("p", { class: "hint" }, `${hook.event_types.join(", ")} · ${state}`,
      hook.consecutive_failures ? ` · ${hook.consecutive_failures} failures in a row` : ""),
    h("div", { class: "actions" }, show, rotate, toggle, remove),
    notice,
    log,
  );
}

function createForm(onCreated) {
  const url = h("input", { name: "url", type: "url", required: true, maxlength: 2048, placeholder: "https://hooks.example.org/bikenode" });
  const boxes = EVENT_TYPES.map(([value, label]) =>
    h("label", { class: "choice" }, h("input", { type: "checkbox", name: "event_types", value, checked: value === "ride.created" }), ` ${label} (${value})`),
  );
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "new-webhook" },
    h("h2", { id: "new-webhook" }, "New webhook"),
    field("Receiver URL", url, "A public http(s) address; redirects are not followed."),
    h("fieldset", {}, h("legend", {}, "Events"), ...boxes),
    messages,
    h("button", { type: "submit", class: "primary" }, "Create webhook"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const types = boxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => i.value);
    if (!types.length) {
      fill(messages, h("p", { class: "error", role: "alert" }, "Choose at least one event."));
      return;
    }
    const finish = busy(form);
    try {
      const created = await api(API, { method: "POST", json: { url: url.value.trim(), event_types: types } });
      form.reset();
      fill(messages);
      await onCreated(created);
    } catch (error) {
      showError(messages, error);
    } finally {
      finish();
    }
  });
  return form;
}

/** The /settings/webhooks page. */
export async function render(main, { query } = {}) {
  let opened = query?.get("webhook"); // opened on the first load only, not after each action
  document.title = "Webhooks · BikeNode";
  const list = h("ul", { class: "webhooks", "aria-label": "Your webhooks" });
  const messages = h("div", { "aria-live": "polite" });
  const reload = async () => {
    const { webhooks } = await api(API);
    const open = opened;
    opened = null;
    fill(
      list,
      webhooks.length ? webhooks.map((hook) => webhookCard(hook, reload, messages, hook.id === open)) : h("li", { class: "empty" }, "No webhooks yet."),
    );
  };
  const form = createForm(async (created) => {
    await reload();
    fill(messages, secretBox(created.secret, `Webhook created. Its signing secret (Standard Webhooks, HMAC-SHA256):`));
  });
  await reload();
  fill(
    main,
    h("h1", {}, "Webhooks"),
    h("p", { class: "hint narrow" }, "Your programs hear of your rides: each request is signed (Standard Webhooks) with the webhook's secret. ",
      h("a", { href: "/settings" }, "Back to settings")),
    messages,
    list,
    form,
  );
}
