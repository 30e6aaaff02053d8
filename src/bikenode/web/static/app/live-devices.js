// The "Tracking apps" card of /live: device tokens for OsmAnd, Traccar Client and trackers
// that send positions over HTTP. A token is shown once, when it is made; a device can be
// revoked at any time (its token is refused from then on).

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";

const DEVICES = "/api/v1/live/devices";
// OsmAnd fills the numbered fields (its documented template, as for a Traccar server).
const OSMAND_FIELDS = "lat={0}&lon={1}&timestamp={2}&hdop={3}&altitude={4}&speed={5}";

function readonlyBox(name, label, value, hint) {
  return field(
    label,
    h("input", { name, class: `device-${name}`, readonly: true, value, onfocus: (e) => e.target.select() }),
    hint,
  );
}

function deviceRow(device, redraw, messages) {
  const revoke = h("button", { type: "button", class: "danger" }, "Revoke");
  revoke.addEventListener("click", async () => {
    showError(messages, null);
    revoke.disabled = true;
    try {
      await api(`${DEVICES}/${device.id}`, { method: "DELETE" });
      await redraw();
    } catch (error) {
      revoke.disabled = false;
      showError(messages, error);
    }
  });
  const seen = device.last_seen_at ? `last heard ${new Date(device.last_seen_at).toLocaleString()}` : "not heard from yet";
  const live = device.live_session_id;
  const end = h("button", { type: "button" }, "End its ride");
  end.addEventListener("click", async () => {
    showError(messages, null);
    end.disabled = true;
    try {
      await api(`/api/v1/live/sessions/${live}/end`, { method: "POST", json: {} });
      await redraw();
    } catch (error) {
      end.disabled = false;
      showError(messages, error);
    }
  });
  return h(
    "li",
    { class: "device", "aria-label": device.name },
    h("span", { class: "device-name" }, device.name),
    h("span", { class: "hint" }, ` · ${seen} `),
    live ? [h("a", { href: `/live/${live}`, class: "device-live-link" }, "Watch its live ride"), end] : null,
    revoke,
  );
}

/** The card: make a device token (shown once), list devices, revoke one. */
export function devicesCard() {
  const card = h("section", { class: "card live-devices", "aria-labelledby": "live-devices-heading" });
  const list = h("ul", { class: "device-list" });
  const created = h("div", { "aria-live": "polite" });
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    {},
    field("Device name", h("input", { name: "device_name", required: true, maxlength: "80", placeholder: "OsmAnd on my phone" })),
    h("button", { type: "submit" }, "Add a device"),
  );
  const redraw = async () => {
    const devices = await api(DEVICES);
    fill(list, devices.length ? devices.map((d) => deviceRow(d, redraw, messages)) : h("li", { class: "hint" }, "No devices yet."));
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(messages, null);
    const done = busy(form);
    try {
      const device = await api(DEVICES, { method: "POST", json: { name: form.device_name.value.trim() } });
      form.reset();
      const url = new URL(device.ingest_url, window.location.origin).href;
      fill(
        created,
        h("p", {}, `${device.name}: copy these into the app now; the identifier is not shown again.`),
        readonlyBox("url", "Server URL", url, "Traccar Client and trackers: the server address."),
        readonlyBox("token", "Device identifier", device.token, "The app sends it as its device id; revoke the device if it leaks."),
        readonlyBox("osmand", "OsmAnd web address", `${url}?id=${device.token}&${OSMAND_FIELDS}`, "OsmAnd: Trip recording, Online tracking web address."),
        readonlyBox("mqtt", "MQTT topic", device.mqtt_topic, `MQTT devices (if this server runs a broker): QoS 1, user name ${device.id}, password the identifier.`),
      );
      await redraw();
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  fill(
    card,
    h("h2", { id: "live-devices-heading" }, "Tracking apps"),
    h("p", { class: "hint" }, "OsmAnd, Traccar Client and GPS trackers can send your positions without this page: each gets an identifier of its own. Its positions start a private live ride; end it here and it becomes a ride."),
    form,
    created,
    messages,
    list,
  );
  redraw().catch((error) => showError(messages, error));
  return card;
}
