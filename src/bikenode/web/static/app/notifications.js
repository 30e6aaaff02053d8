// Notifications: the bell in the navigation, the /notifications page, the settings section
// (per type and channel, quiet hours, push on this device) and the /unsubscribe page an
// e-mail links to. The service worker that shows push messages is static/sw.js.

import { api, isSignedIn } from "./api.js";
import { busy, errorBox, field, fill, h, showError } from "./dom.js";

const API = "/api/v1/notifications";
const PAGE = 20;
const CHANNEL_LABELS = { in_app: " In the app", email: " By e-mail", push: " By push" };
const PERIODS = { off: "One e-mail each", daily: "Daily digest", weekly: "Weekly digest" };
const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

function select(name, options, value) {
  return h("select", { name }, ...options.map(([key, text]) => h("option", { value: key, selected: String(key) === String(value) }, text)));
}

/** A chatty type's e-mail: one each, or gathered in a daily or weekly digest. */
function digestChoice(kind, period) {
  return field("E-mail digest", select(`digest:${kind}`, Object.entries(PERIODS), period));
}

/** The bell link with its unread badge; the count arrives after the navigation is drawn. */
export function bell(current) {
  const badge = h("span", { class: "bell-count", hidden: true, "aria-hidden": "true" });
  const label = h("span", { class: "visually-hidden" }, "Notifications");
  const link = h(
    "a",
    { href: "/notifications", class: "bell", "aria-current": current ? "page" : null },
    h("span", { "aria-hidden": "true" }, "🔔"),
    label,
    badge,
  );
  refreshBell(link).catch(() => {});
  listen();
  return link;
}

// One stream per tab while signed in (the navigation is redrawn on every page; the stream
// is not): Server-Sent Events read with fetch, which can send the bearer token.
let live = null;
const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30000;

/** Keep the notification stream open: the bell's count follows new notifications live. */
function listen() {
  if (live) return;
  const controller = new AbortController();
  live = controller;
  (async () => {
    let wait = FIRST_RETRY_MS;
    while (!controller.signal.aborted && isSignedIn()) {
      try {
        const response = await api(`${API}/stream`, { raw: true, signal: controller.signal });
        wait = FIRST_RETRY_MS;
        await readEvents(response.body, controller.signal, onLiveEvent);
      } catch (error) {
        if (controller.signal.aborted || error?.status === 401) break;
      }
      // The server ends each stream after some minutes (to check the sign-in again), or a
      // node went away: reconnect, backing off while it keeps failing.
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, LAST_RETRY_MS);
    }
    if (live === controller) live = null;
  })();
}

/** Close the stream (on sign-out). */
export function stopLive() {
  live?.abort();
  live = null;
}

async function readEvents(body, signal, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  signal.addEventListener("abort", () => reader.cancel().catch(() => {}), { once: true });
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

function onLiveEvent(name, data) {
  if (!isSignedIn()) return stopLive();
  updateBell(data.unread);
  if (name === "notification" && data.notification) {
    window.dispatchEvent(new CustomEvent("bikenode:notification", { detail: data.notification }));
  }
}

async function refreshBell(link) {
  const { unread } = await api(`${API}/unread-count`);
  showUnread(link, unread);
}

function showUnread(link, unread) {
  const badge = link.querySelector(".bell-count");
  const label = link.querySelector(".visually-hidden");
  badge.hidden = unread === 0;
  badge.textContent = unread > 99 ? "99+" : String(unread);
  label.textContent = unread ? `Notifications, ${unread} unread` : "Notifications";
  link.dataset.unread = String(unread);
}

function updateBell(unread) {
  const link = document.querySelector("#nav a.bell");
  if (link) showUnread(link, unread);
}

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function item(notification, onRead) {
  const unread = notification.read_at === null;
  const row = h(
    "li",
    { class: unread ? "notification unread" : "notification", dataset: { id: notification.id } },
    h("a", { href: notification.link, class: "notification-title" }, notification.title),
    h("p", {}, notification.text),
    h("p", { class: "hint" }, h("time", { datetime: notification.created_at }, when(notification.created_at))),
  );
  if (unread) {
    const mark = h("button", { type: "button", class: "link" }, "Mark read");
    mark.addEventListener("click", async () => {
      await onRead(notification.id);
      row.classList.remove("unread");
      mark.remove();
    });
    row.append(mark);
  }
  return row;
}

/** The /notifications page: newest first, mark one or all read, more on demand. */
export async function render(main) {
  document.title = "Notifications · BikeNode";
  const list = h("ul", { class: "notifications", "aria-label": "Notifications" });
  const messages = h("div", { "aria-live": "polite" });
  const more = h("button", { type: "button", hidden: true }, "Show older");
  const status = h("p", { class: "hint", role: "status" });
  let cursor = null;

  const markRead = async (id) => {
    await api(`${API}/${id}/read`, { method: "POST" });
    const { unread } = await api(`${API}/unread-count`);
    updateBell(unread);
    status.textContent = unread ? `${unread} unread` : "All read";
  };
  const load = async () => {
    const query = new URLSearchParams({ limit: String(PAGE) });
    if (cursor) query.set("cursor", cursor);
    const page = await api(`${API}?${query}`);
    list.append(...page.items.map((n) => item(n, markRead)));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    status.textContent = page.unread ? `${page.unread} unread` : "All read";
    updateBell(page.unread);
  };
  more.addEventListener("click", () => load().catch((error) => showError(messages, error)));
  const all = h("button", { type: "button", class: "primary" }, "Mark all read");
  all.addEventListener("click", async () => {
    try {
      await api(`${API}/read-all`, { method: "POST" });
      list.querySelectorAll(".unread").forEach((row) => {
        row.classList.remove("unread");
        row.querySelector("button")?.remove();
      });
      updateBell(0);
      status.textContent = "All read";
    } catch (error) {
      showError(messages, error);
    }
  });
  await load();
  const empty = list.children.length
    ? null
    : h("p", { class: "empty" }, "Nothing yet. You will hear here when a part of your bike is due for service.");
  fill(
    main,
    h("h1", {}, "Notifications"),
    h("div", { class: "notifications-bar" }, status, all, h("a", { href: "/settings#notifications" }, "Notification settings")),
    messages,
    empty || list,
    more,
  );
  // New notifications arrive on the bell's stream: shown on top while this page is open.
  const onNew = (event) => {
    if (!list.isConnected && !empty?.isConnected) {
      window.removeEventListener("bikenode:notification", onNew);
      return;
    }
    const notification = event.detail;
    if (list.querySelector(`li[data-id="${CSS.escape(notification.id)}"]`)) return;
    list.prepend(item(notification, markRead));
    if (empty?.isConnected) empty.replaceWith(list);
    const unread = Number(document.querySelector("#nav a.bell")?.dataset.unread || 0);
    status.textContent = unread ? `${unread} unread` : "All read";
  };
  window.addEventListener("bikenode:notification", onNew);
}

function hhmm(minutes) {
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

function minutesOf(value) {
  const [hours, minutes] = value.split(":").map(Number);
  return hours * 60 + minutes;
}

/** The settings page's section: each type on or off per channel, and quiet hours. */
export async function preferencesSection() {
  const prefs = await api(`${API}/preferences`);
  const messages = h("div", { "aria-live": "polite" });
  const rows = prefs.types.map((kind) =>
    h(
      "fieldset",
      {},
      h("legend", {}, kind.label),
      ["in_app", "email", "push"].map((channel) =>
        h(
          "label",
          { class: "choice" },
          h("input", {
            type: "checkbox",
            name: `${kind.type}:${channel}`,
            checked: kind.channels[channel],
          }),
          CHANNEL_LABELS[channel],
        ),
      ),
      kind.type in prefs.digests ? digestChoice(kind.type, prefs.digests[kind.type]) : null,
    ),
  );
  const schedule = prefs.digest_schedule;
  const hours = Array.from({ length: 24 }, (_, hour) => [hour, `${String(hour).padStart(2, "0")}:00`]);
  const digestHour = select("digest_hour", hours, schedule.hour);
  const digestDay = select("digest_weekday", WEEKDAYS.map((day, i) => [i, day]), schedule.weekday);
  const quiet = prefs.quiet_hours;
  const quietOn = h("input", { type: "checkbox", name: "quiet_on", checked: quiet !== null });
  const start = h("input", { type: "time", name: "quiet_start", value: hhmm(quiet?.start_min ?? 22 * 60) });
  const end = h("input", { type: "time", name: "quiet_end", value: hhmm(quiet?.end_min ?? 7 * 60) });
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "notifications-heading" },
    pushToggle(messages),
    ...rows,
    h(
      "fieldset",
      {},
      h("legend", {}, "Quiet hours"),
      h("label", { class: "choice" }, quietOn, " Hold e-mail during quiet hours"),
      field("From", start),
      field("Until", end, `In your timezone (${prefs.timezone}). E-mail waits until they end.`),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Digests"),
      field("Digest time", digestHour, `In your timezone (${prefs.timezone}).`),
      field("Weekly digest on", digestDay),
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Save notification settings"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const choices = [...form.querySelectorAll("input[type=checkbox][name*=':']")].map((box) => {
      const [type, channel] = box.name.split(":");
      return { type, channel, enabled: box.checked };
    });
    const digests = [...form.querySelectorAll("select[name^='digest:']")].map((menu) => ({ type: menu.name.slice(7), period: menu.value }));
    const json = { choices, digests, digest_schedule: { hour: Number(digestHour.value), weekday: Number(digestDay.value) } };
    if (quietOn.checked) json.quiet_hours = { start_min: minutesOf(start.value), end_min: minutesOf(end.value) };
    else json.clear_quiet_hours = true;
    const finish = busy(form);
    try {
      await api(`${API}/preferences`, { method: "PUT", json });
      fill(messages, h("p", { class: "success", role: "status" }, "Saved."));
    } catch (error) {
      showError(messages, error);
    } finally {
      finish();
    }
  });
  return h("section", { id: "notifications" }, h("h2", { id: "notifications-heading" }, "Notifications"), form);
}

/** The key as PushManager.subscribe wants it: bytes from base64url. */
function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** This browser's push subscription through the service worker at /sw.js, or null. */
async function currentSubscription() {
  const registration = await navigator.serviceWorker.register("/sw.js");
  return { registration, subscription: await registration.pushManager.getSubscription() };
}

async function pushOn() {
  if ((await Notification.requestPermission()) !== "granted") {
    throw new Error("Notifications are blocked for this site in your browser's settings.");
  }
  const { registration } = await currentSubscription();
  const { public_key: key } = await api(`${API}/push/key`);
  const subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) });
  await api(`${API}/push/subscriptions`, { method: "POST", json: subscription.toJSON() });
}

async function pushOff() {
  const { subscription } = await currentSubscription();
  if (subscription === null) return;
  const endpoint = encodeURIComponent(subscription.endpoint);
  await subscription.unsubscribe();
  try {
    await api(`${API}/push/subscriptions?endpoint=${endpoint}`, { method: "DELETE" });
  } catch (error) {
    if (error.status !== 404) throw error; // already forgotten (the push service said gone)
  }
}

/** "Push on this device": subscribes this browser (it asks for permission) or stops it. */
function pushToggle(messages) {
  const box = h("input", { type: "checkbox", name: "push_device", disabled: true });
  const note = h("p", { class: "hint" }, "Notifications on this device even when BikeNode is closed.");
  const supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  if (!supported) note.textContent = "This browser cannot receive push notifications.";
  else {
    currentSubscription()
      .then(({ subscription }) => {
        box.checked = subscription !== null;
        box.disabled = false;
      })
      .catch(() => (note.textContent = "Push is not available here (the service worker did not start)."));
  }
  box.addEventListener("change", async () => {
    const wanted = box.checked;
    box.disabled = true;
    try {
      await (wanted ? pushOn() : pushOff());
      fill(messages, h("p", { class: "success", role: "status" }, wanted ? "Push is on for this device." : "Push is off for this device."));
    } catch (error) {
      box.checked = !wanted;
      showError(messages, error);
    } finally {
      box.disabled = false;
    }
  });
  return h("fieldset", {}, h("legend", {}, "This device"), h("label", { class: "choice" }, box, " Push on this device"), note);
}

/** The page an e-mail's unsubscribe link opens: no sign-in, one button, nothing on GET. */
export async function unsubscribePage(main, { query }) {
  document.title = "Unsubscribe · BikeNode";
  const token = query.get("token") || "";
  const path = `${API}/unsubscribe?token=${encodeURIComponent(token)}`;
  let target;
  try {
    target = await api(path);
  } catch (error) {
    fill(main, h("h1", {}, "Unsubscribe"), errorBox(error));
    return;
  }
  const result = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary" }, "Stop these e-mails");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api(path, { method: "POST" });
      fill(result, h("p", { class: "success", role: "status" }, `Done: no more e-mails for “${target.label}”.`));
      button.remove();
    } catch (error) {
      button.disabled = false;
      showError(result, error);
    }
  });
  fill(
    main,
    h("h1", {}, "Unsubscribe"),
    h("p", {}, `Stop e-mails for “${target.label}”? You will still see them in the app.`),
    button,
    result,
  );
}
