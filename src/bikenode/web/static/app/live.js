// Live pages: one rider's live session (/live/<id>, ?share=<token> for a share link) and a
// group ride (/live/groups/<id>). Both watch a channel over a WebSocket (docs/live-protocol.md):
// every message carries a sequence number; after a drop the page reconnects with exponential
// backoff and full jitter and sends its last epoch and sequence, so it misses nothing.

import { api, currentUser, freshToken, isSignedIn } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import { joinGroup } from "./live-start.js";
import { baseLayer } from "./map.js";
import { distance, duration, speed } from "./units.js";

const GIVE_UP = new Map([
  [4001, "This live ride is private: sign in, or use the share link you were sent."],
  [4003, "This share link is not valid any more: it may have been revoked."],
  [4004, "There is no such live ride, or it is not shared with you."],
]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
const MEMBER_COLOURS = ["#d9480f", "#1971c2", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599"];

/**
 * Watch a channel: calls onMessage(data) for each message in order, onState(state) for a
 * snapshot, onStatus(text, kind) for the connection status. Returns stop().
 */
export function watchChannel(path, hello, { onMessage, onState, onStatus, onNotice }) {
  let socket = null;
  let epoch = null;
  let lastSeq = null;
  let attempt = 0;
  let stopped = false;
  let timer = null;

  async function connect() {
    if (stopped) return;
    const token = isSignedIn() ? await freshToken() : null;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${scheme}//${window.location.host}${path}`);
    onStatus(attempt ? "Reconnecting…" : "Connecting…", "pending");
    socket.onopen = () => {
      socket.send(JSON.stringify({ type: "hello", ...hello, token: token || undefined, epoch, last_seq: lastSeq }));
    };
    socket.onmessage = (event) => take(JSON.parse(event.data));
    socket.onclose = (event) => closed(event.code);
  }

  function take(message) {
    switch (message.type) {
      case "welcome":
        attempt = 0;
        onStatus("Live", "live");
        if (epoch === null || lastSeq === null) {
          epoch = message.epoch;
          lastSeq = message.seq;
        }
        break;
      case "state":
        onState(message.state);
        break;
      case "gap":
        onNotice(`Missed updates ${message.missed_from}–${message.missed_to} (older than the server keeps); showing the current state.`);
        lastSeq = message.missed_to;
        break;
      case "new_epoch":
        epoch = message.epoch;
        lastSeq = message.first_seq === null ? null : message.first_seq - 1;
        onNotice("The server's history was reset; showing the current state.");
        break;
      case "msg":
        if (lastSeq !== null && message.seq !== lastSeq + 1) return;  // never out of order
        lastSeq = message.seq;
        onMessage(message.data);
        break;
      default:
        break;
    }
  }

  function closed(code) {
    socket = null;
    if (stopped) return;
    if (GIVE_UP.has(code)) {
      stopped = true;
      onStatus(GIVE_UP.get(code), "error");
      return;
    }
    if (code === 4009) {
      stopped = true;
      onStatus("This live ride has ended.", "ended");
      return;
    }
    // 1012: the node is shutting down; reconnect at once (to whichever node answers).
    const ceiling = code === 1012 && attempt === 0 ? 0 : Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
    attempt += 1;
    onStatus("Connection lost; reconnecting…", "pending");
    timer = setTimeout(connect, Math.random() * ceiling);
  }

  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket) socket.close(1000);
  };
}

function liveMap(element, config) {
  const L = window.L;
  const map = L.map(element, { renderer: L.svg({ padding: 0.2 }), attributionControl: Boolean(config.mapTileUrl), zoomSnap: 0.25 });
  baseLayer(map, element, config);
  L.control.scale({ position: "bottomleft" }).addTo(map);
  map.setView([0, 0], 2);
  return map;
}

function stat(label, value) {
  return h("div", {}, h("dt", {}, label), h("dd", {}, value));
}

function statusLine() {
  const line = h("p", { class: "live-status", role: "status", dataset: { kind: "pending" } }, "Connecting…");
  return {
    line,
    set(text, kind) {
      line.textContent = text;
      line.dataset.kind = kind;
    },
  };
}

/** Speed (m/s) between the last two points with a position and time, or null. */
function lastSpeed(trail) {
  const n = trail.t.length;
  if (n < 2) return null;
  const dt = (trail.t[n - 1] - trail.t[n - 2]) / 1000;
  return dt > 0 ? metresBetween(trail.lat[n - 2], trail.lon[n - 2], trail.lat[n - 1], trail.lon[n - 1]) / dt : null;
}

function metresBetween(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(Math.min(1, a)));
}

export const sessionPage = {
  async render(main, { params, query, config }) {
    const [sessionId] = params;
    document.title = "Live · BikeNode";
    const status = statusLine();
    const notices = h("div", { class: "live-notices", "aria-live": "polite" });
    const mapElement = h("div", { class: "map live-map", id: "live-map" });
    const stats = h("dl", { class: "stats live-stats" });
    const heading = h("h1", {}, "Live ride");
    fill(main, heading, status.line, h("div", { class: "ride-visuals" }, mapElement), stats, notices);
    const map = liveMap(mapElement, config);
    const L = window.L;
    const trailLine = L.polyline([], { color: "#d9480f", weight: 3, className: "live-trail", interactive: false }).addTo(map);
    const marker = L.circleMarker([0, 0], { radius: 8, className: "live-marker", color: "#fff", weight: 2, fillColor: "#111", fillOpacity: 1 });
    const trail = { t: [], lat: [], lon: [] };
    let latest = {};
    let points = 0;
    let fitted = false;

    function draw() {
      const last = trail.lat.length - 1;
      if (last >= 0) {
        const at = [trail.lat[last], trail.lon[last]];
        marker.setLatLng(at);
        if (!map.hasLayer(marker)) marker.addTo(map);
        trailLine.setLatLngs(trail.lat.map((lat, i) => [lat, trail.lon[i]]));
        if (!fitted && trail.lat.length > 1) {
          map.fitBounds(trailLine.getBounds(), { padding: [24, 24], maxZoom: 16 });
          fitted = true;
        } else if (!map.getBounds().contains(at)) {
          map.panTo(at);
        }
      }
      let travelled = 0;
      for (let i = 1; i < trail.lat.length; i++) travelled += metresBetween(trail.lat[i - 1], trail.lon[i - 1], trail.lat[i], trail.lon[i]);
      const elapsed = trail.t.length > 1 ? (trail.t.at(-1) - trail.t[0]) / 1000 : 0;
      const current = lastSpeed(trail);
      fill(
        stats,
        stat("Speed", h("span", { class: "live-speed" }, current === null ? "–" : speed(current))),
        stat("Distance", distance(travelled)),
        stat("Elapsed", duration(elapsed)),
        stat("Heart rate", latest.hr == null ? "–" : `${latest.hr} bpm`),
        stat("Power", latest.pwr == null ? "–" : `${latest.pwr} W`),
        stat("Points", h("span", { class: "live-points" }, String(points))),
      );
    }

    function addPositions(data) {
      for (let i = 0; i < (data.t || []).length; i++) {
        if (data.lat?.[i] == null || data.lon?.[i] == null) continue;
        trail.t.push(data.t[i]);
        trail.lat.push(data.lat[i]);
        trail.lon.push(data.lon[i]);
      }
      points += (data.t || []).length;
      for (const key of ["hr", "pwr", "cad"]) if (data[key]?.length) latest[key] = data[key].at(-1);
    }

    const stop = watchChannel(
      `/api/v1/live/sessions/${sessionId}/watch`,
      query.get("share") ? { share: query.get("share") } : {},
      {
        onStatus: status.set,
        onNotice: (text) => notices.append(h("p", { class: "notice" }, text)),
        onState(state) {
          heading.textContent = state.name ? `Live: ${state.name}` : "Live ride";
          trail.t = [...(state.trail.t || [])];
          trail.lat = [...(state.trail.lat || [])];
          trail.lon = [...(state.trail.lon || [])];
          points = trail.t.length;
          if (state.status === "ended") endedNote(state.ride_id);
          draw();
        },
        onMessage(data) {
          if (data.kind === "positions") {
            addPositions(data);
            draw();
          } else if (data.kind === "ended") {
            endedNote(data.ride_id);
          }
        },
      },
    );

    function endedNote(rideId) {
      status.set("This live ride has ended.", "ended");
      if (rideId && !notices.querySelector(".live-ride-link")) {
        notices.append(h("p", {}, h("a", { href: `/rides/${rideId}`, class: "live-ride-link" }, "See the ride")));
      }
    }

    draw();
    return () => {
      stop();
      map.remove();
    };
  },
};

export const groupPage = {
  async render(main, { params, config }) {
    const [groupId] = params;
    document.title = "Group ride · BikeNode";
    const status = statusLine();
    const notices = h("ol", { class: "live-events", "aria-live": "polite" });
    const mapElement = h("div", { class: "map live-map", id: "group-map" });
    const stats = h("dl", { class: "stats group-stats" });
    const roster = h("ul", { class: "group-members" });
    const heading = h("h1", {}, "Group ride");
    const controls = isSignedIn() ? await groupControls(groupId) : null;
    fill(main, heading, status.line, controls, h("div", { class: "ride-visuals" }, mapElement), stats, h("h2", {}, "Riders"), roster, h("h2", {}, "Events"), notices);
    const map = liveMap(mapElement, config);
    const L = window.L;
    const markers = new Map();
    const centre = L.circleMarker([0, 0], { radius: 5, className: "group-centre", color: "#111", weight: 2, fillOpacity: 0 });
    let fitted = false;

    function draw(state) {
      const members = state.members || [];
      members.forEach((member, index) => {
        if (member.lat == null) return;
        let marker = markers.get(member.member);
        if (!marker) {
          marker = L.circleMarker([member.lat, member.lon], {
            radius: 8,
            className: "group-member",
            color: "#fff",
            weight: 2,
            fillColor: MEMBER_COLOURS[index % MEMBER_COLOURS.length],
            fillOpacity: 1,
          }).bindTooltip(member.name, { permanent: true, direction: "top" }).addTo(map);
          markers.set(member.member, marker);
        }
        marker.setLatLng([member.lat, member.lon]);
        marker.setStyle({ fillOpacity: member.stale ? 0.3 : 1 });
      });
      if (state.centre) {
        centre.setLatLng(state.centre);
        if (!map.hasLayer(centre)) centre.addTo(map);
      }
      const placed = [...markers.values()].map((m) => m.getLatLng());
      // Keep every rider in view: refit when one rides off the map (a split, say).
      if (placed.length && (!fitted || placed.some((at) => !map.getBounds().contains(at)))) {
        map.fitBounds(L.latLngBounds(placed), { padding: [32, 32], maxZoom: 15, animate: false });
        fitted = placed.length > 1;
      }
      const clusters = state.clusters || [];
      fill(
        stats,
        stat("Riders", String(members.length)),
        stat("Spread", h("span", { class: "group-spread" }, distance(state.spread_m || 0))),
        stat("Groups", h("span", { class: "group-clusters" }, clusters.length > 1 ? `${clusters.length} (split)` : String(clusters.length))),
        stat("Stale", String((state.stale || []).length)),
        stat("Measured", state.measured === "route" ? "along the route" : "straight line"),
      );
      fill(
        roster,
        members.map((m) =>
          h(
            "li",
            { class: m.stale ? "stale" : null },
            m.name,
            m.speed_mps == null ? "" : ` · ${speed(m.speed_mps)}`,
            m.stale ? " · no signal" : "",
          ),
        ),
      );
    }

    const names = (state, clusters) => clusters.map((c) => c.map((id) => state.members?.find((m) => m.member === id)?.name || "?").join(", ")).join(" | ");
    let lastState = {};
    const stop = watchChannel(`/api/v1/live/groups/${groupId}/watch`, {}, {
      onStatus: status.set,
      onNotice: (text) => notices.append(h("li", {}, text)),
      onState(state) {
        heading.textContent = state.name ? `Group ride: ${state.name}` : "Group ride";
        lastState = state;
        draw(state);
      },
      onMessage(data) {
        if (data.kind === "group_state") {
          lastState = data;
          draw(data);
        } else if (data.kind === "group_split") {
          notices.append(h("li", { class: "group-split" }, `The group split: ${names(lastState, data.clusters)}`));
        } else if (data.kind === "group_regroup") {
          notices.append(h("li", { class: "group-regroup" }, data.complete ? "The group is back together." : `Partly regrouped: ${names(lastState, data.clusters)}`));
        }
      },
    });
    return () => {
      stop();
      map.remove();
    };
  },
};

/** Join and (for the organiser) add-a-rider controls of a group ride page, or null. */
async function groupControls(groupId) {
  const [me, group] = await Promise.all([currentUser(), api(`/api/v1/live/groups/${groupId}`).catch(() => null)]);
  if (!group) return null;
  const messages = h("div", { "aria-live": "polite" });
  const join = h("button", { type: "button", class: "primary" }, "Ride with this group");
  join.addEventListener("click", async () => {
    join.disabled = true;
    try {
      await joinGroup(groupId);
    } catch (error) {
      join.disabled = false;
      const outsider = error.status === 404 ? new Error("Only riders the organiser added can join: ask them to add you.") : error;
      showError(messages, outsider);
    }
  });
  return h(
    "div",
    { class: "group-controls" },
    h("div", { class: "actions" }, join),
    messages,
    group.owner_id === me?.id ? addMemberForm(groupId) : null,
  );
}

function addMemberForm(groupId) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "group-add-heading" },
    h("h2", { id: "group-add-heading" }, "Add a rider"),
    h("p", { class: "hint" }, "Riders need a BikeNode account. Then send them this page's address: they join from here."),
    field("Their e-mail address", h("input", { name: "member_email", type: "email", required: true, autocomplete: "off" })),
    field("Name the group sees", h("input", { name: "member_name", maxlength: "100" }), "Their e-mail is never shown to the group."),
    messages,
    h("button", { type: "submit" }, "Add to the group"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    const email = form.member_email.value.trim();
    try {
      await api(`/api/v1/live/groups/${groupId}/members`, {
        method: "POST",
        json: { email, display_name: form.member_name.value.trim() },
      });
      form.reset();
      fill(messages, h("p", { class: "success", role: "status" }, `Added ${email}.`));
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return form;
}
