// /live: start a live ride (and share it, and end it), and create a group ride. The session
// being ridden is remembered in this browser, so the page shows it again after a reload.
// Group pages (live.js) let members join and let the organiser add riders.

import { api, currentUser } from "./api.js";
import { busy, field, fill, h, navigate, showError } from "./dom.js";
import { crashBanners } from "./crash.js";
import { devicesCard } from "./live-devices.js";

const CURRENT_KEY = "bikenode:live-session";
const SESSIONS = "/api/v1/live/sessions";

function visibilityField(name) {
  return field(
    "Who can watch",
    h(
      "select",
      { name },
      h("option", { value: "private" }, "Only you and people you send a share link to"),
      h("option", { value: "public" }, "Anyone with the link"),
    ),
  );
}

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(CURRENT_KEY));
  } catch {
    return null;
  }
}

/** The signed-in rider's session this browser started, if it is still theirs to show. */
async function currentSession(userId) {
  const kept = remembered();
  if (!kept || kept.owner !== userId) return null;
  try {
    return await api(`${SESSIONS}/${kept.id}`);
  } catch (error) {
    if (error.status === 404) localStorage.removeItem(CURRENT_KEY);
    else throw error;
    return null;
  }
}

function absolute(path) {
  return new URL(path, window.location.origin).href;
}

function socketUrl(path) {
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${window.location.host}${path}`;
}

function sessionCard(live, redraw) {
  const messages = h("div", { "aria-live": "polite" });
  const shares = h("ul", { class: "live-shares" });
  const ended = live.status === "ended";
  const shareButton = h("button", { type: "button" }, "Make a share link");
  shareButton.addEventListener("click", async () => {
    showError(messages, null);
    try {
      const share = await api(`${SESSIONS}/${live.id}/shares`, { method: "POST", json: {} });
      const url = absolute(share.watch_url);
      shares.append(
        h(
          "li",
          {},
          h("input", { class: "share-url", readonly: true, value: url, "aria-label": "Share link", onfocus: (e) => e.target.select() }),
          " ",
          h("button", { type: "button", onclick: () => navigator.clipboard?.writeText(url) }, "Copy"),
        ),
      );
    } catch (error) {
      showError(messages, error);
    }
  });
  const endButton = h("button", { type: "button", class: "danger" }, "End the ride");
  endButton.addEventListener("click", async () => {
    showError(messages, null);
    endButton.disabled = true;
    try {
      await api(`${SESSIONS}/${live.id}/end`, { method: "POST", json: {} });
      await redraw();
    } catch (error) {
      endButton.disabled = false;
      showError(messages, error);
    }
  });
  return h(
    "section",
    { class: "card live-current", "aria-labelledby": "live-current-heading" },
    h("h2", { id: "live-current-heading" }, live.name ? `Your live ride: ${live.name}` : "Your live ride"),
    h("p", { class: "live-status", dataset: { kind: ended ? "ended" : "live" } }, ended ? "Ended." : "Live"),
    h("p", {}, h("a", { href: `/live/${live.id}`, class: "live-watch-link" }, "Watch it")),
    ended
      ? live.ride_id
        ? h("p", {}, h("a", { href: `/rides/${live.ride_id}`, class: "live-ride-link" }, "See the ride"))
        : h("p", { class: "hint" }, "No position was sent, so no ride was made.")
      : [
          field(
            "Your phone app's ride socket",
            h("input", { name: "ride_socket", readonly: true, value: socketUrl(live.ride_socket), onfocus: (e) => e.target.select() }),
            "Connect your riding app here with your access token; positions appear to your viewers as they arrive.",
          ),
          live.visibility === "private"
            ? h("p", { class: "hint" }, "Private: only people you send a share link to can watch. Each link can be revoked.")
            : h("p", { class: "hint" }, "Public: anyone with the watch link can follow you."),
          shares,
          messages,
          h("div", { class: "actions" }, shareButton, endButton),
        ],
    ended ? messages : null,
  );
}

function startForm(me, redraw) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "live-start-heading" },
    h("h2", { id: "live-start-heading" }, "Ride live"),
    field("Name", h("input", { name: "live_name", maxlength: "200", placeholder: "Sunday loop" })),
    visibilityField("live_visibility"),
    messages,
    h("button", { type: "submit", class: "primary" }, "Start a live ride"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const live = await api(SESSIONS, {
        method: "POST",
        json: { name: form.live_name.value.trim(), visibility: form.live_visibility.value },
      });
      remember(live, me);
      await redraw();
    } catch (error) {
      done();
      showError(messages, error);
    }
  });
  return form;
}

function remember(live, me) {
  localStorage.setItem(CURRENT_KEY, JSON.stringify({ id: live.id, owner: me.id }));
}

function groupForm() {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "group-create-heading" },
    h("h2", { id: "group-create-heading" }, "Organise a group ride"),
    h("p", { class: "hint" }, "On the group's page you add riders by e-mail; each joins from there and the page shows the whole group live."),
    field("Group ride name", h("input", { name: "group_name", required: true, maxlength: "200", placeholder: "Club run" })),
    visibilityField("group_visibility"),
    field(
      "Split warning distance (m)",
      h("input", { name: "split_distance_m", type: "number", min: "50", max: "100000", step: "50", value: "500", inputmode: "numeric" }),
      "The page tells you when riders fall this far apart.",
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Create the group ride"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const group = await api("/api/v1/live/groups", {
        method: "POST",
        json: {
          name: form.group_name.value.trim(),
          visibility: form.group_visibility.value,
          split_distance_m: Number(form.split_distance_m.value),
        },
      });
      navigate(`/live/groups/${group.id}`);
    } catch (error) {
      done();
      showError(messages, error);
    }
  });
  return form;
}

export async function render(main, { query } = {}) {
  document.title = "Ride live · BikeNode";
  const [banners, stopBanners] = await crashBanners(query);
  const me = await currentUser();
  const body = h("div", { class: "columns live-start" });
  const redraw = async () => {
    const live = await currentSession(me.id);
    const riding = live && live.status === "live";
    fill(body, h("div", {}, live ? sessionCard(live, redraw) : null, riding ? null : startForm(me, redraw)), groupForm());
  };
  await redraw();
  fill(main, h("h1", {}, "Ride live"), banners, body, devicesCard(), crashLink());
  return stopBanners;
}

function crashLink() {
  return h("p", { class: "hint" }, "Riding alone? ", h("a", { href: "/settings/crash" }, "Set up crash detection"), ".");
}

/** Start a live session as a member of a group ride; the /live page then shows it. */
export async function joinGroup(groupId) {
  const me = await currentUser();
  const live = await api(SESSIONS, { method: "POST", json: { group_id: groupId } });
  remember(live, me);
  navigate("/live");
}
