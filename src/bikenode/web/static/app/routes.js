// Planned routes: the list (/routes) and the collaborative editor (/routes/<id>).
// A route is a Yjs document edited over y-websocket (docs/planner-protocol.md): click the map
// to add a waypoint, drag one to move it, delete it from the list; the name and notes are
// shared too. Other editors' pointers show on the map (Yjs awareness).
// Legs between waypoints follow roads and paths suited to a bike when the server has a routing
// graph (POST /api/v1/maps/directions); otherwise, or for a leg the rider marks "straight",
// they are straight lines, drawn dashed and said so. The routed line is derived from the
// waypoints alone, so every editor who sees the same waypoints sees the same line.
// yjs + y-websocket are vendored as one ES module, loaded only on the editor page.

import { api, currentUser } from "./api.js";
import { errorBox, fill, h, navigate, showError } from "./dom.js";
import { baseLayer } from "./map.js";
import * as u from "./units.js";

const YJS_BUNDLE = "../vendor/yjs-13.6.33/yjs-websocket.min.mjs";
const ROOMS = "/api/v1/route-rooms";
const COLOURS = ["#1971c2", "#2b8a3e", "#ae3ec9", "#e67700", "#0c8599", "#c2255c"];
const CURSOR_EVERY_MS = 80;
const LINE_COLOUR = "#d9480f";
const ROUTE_AFTER_MS = 150; // waypoint edits come in bursts (a drag); route once they settle
const MAX_DIRECTION_POINTS = 100;
const EXPORTS = [
  ["GPX route", "export.gpx", "gpx"],
  ["GPX track", "export.gpx?kind=track", "gpx"],
  ["TCX course", "export.tcx", "tcx"],
  ["FIT course", "export.fit", "fit"],
];

/** The list of routes, and a form to plan a new one. */
export const listPage = { render: renderList };

async function renderList(main) {
  document.title = "Routes · BikeNode";
  const { items } = await api("/api/v1/routes");
  const problem = h("div");
  const name = h("input", { id: "route-name", name: "name", required: true, maxlength: "200" });
  const form = h(
    "form",
    { class: "filters", onsubmit: create },
    h("div", { class: "field grow" }, h("label", { for: "route-name" }, "New route"), name),
    h("button", { type: "submit", class: "primary" }, "Plan route"),
  );
  async function create(event) {
    event.preventDefault();
    try {
      const route = await api("/api/v1/routes", { method: "POST", json: { name: name.value } });
      navigate(`/routes/${route.id}`);
    } catch (error) {
      showError(problem, error);
    }
  }
  const list = items.length
    ? h(
        "ul",
        { class: "route-list" },
        items.map((r) =>
          h(
            "li",
            {},
            h("a", { href: `/routes/${r.id}` }, r.name),
            " ",
            h("span", { class: "muted" }, r.role === "owner" ? "yours" : "shared with you", " · ", u.date(r.updated_at)),
          ),
        ),
      )
    : h("p", { class: "muted" }, "No routes yet: plan one, or ask a friend to share theirs.");
  fill(main, h("h1", {}, "Routes"), form, problem, list);
}

/** The editor of one route. Resolves once the document is synced; returns the cleanup. */
export const editorPage = { render: renderEditor };

async function renderEditor(main, { params, config }) {
  const [routeId] = params;
  const route = await api(`/api/v1/routes/${routeId}`);
  const me = await currentUser();
  const { Y, WebsocketProvider } = await import(YJS_BUNDLE);
  document.title = `${route.name} · Routes · BikeNode`;
  const doc = new Y.Doc();
  const points = doc.getArray("waypoints");
  const notes = doc.getText("notes");
  const meta = doc.getMap("meta");
  const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  // A single-use ticket, not the access token, goes in the room's URL (docs/planner-protocol.md).
  const ticket = async () => (await api(route.room.ticket_path, { method: "POST" })).ticket;
  const provider = new WebsocketProvider(`${scheme}//${window.location.host}${ROOMS}`, routeId, doc, {
    params: { ticket: await ticket() },
    disableBc: true,
  });
  const ui = drawEditor(main, route);
  const colour = COLOURS[doc.clientID % COLOURS.length];
  provider.awareness.setLocalStateField("user", { name: me?.display_name || "Someone", colour });
  const map = routeMap(ui.map, config, {
    add: (lat, lon) => points.push([newPoint(Y, lat, lon)]),
    move: (index, lat, lon) => setPosition(doc, points, index, lat, lon),
    pointer: throttle((lat, lon) => provider.awareness.setLocalStateField("cursor", { lat, lon }), CURSOR_EVERY_MS),
  });

  const directions = routedLegs(map, ui);
  const redraw = () => {
    const list = waypointList(points);
    map.draw(list);
    drawList(ui.list, list, {
      remove: (index) => points.delete(index, 1),
      straight: (index, on) => setStraight(doc, points, index, on),
    });
    directions.update(list);
  };
  points.observeDeep(redraw);
  bindName(ui.name, meta, doc);
  bindNotes(ui.notes, notes, doc);
  provider.awareness.on("change", () => drawPeers(ui.peers, map, provider.awareness, doc.clientID));
  // A ticket refused again and again: stop asking for new ones. Only a sync proves a ticket
  // was taken (the socket opens before the server checks it).
  let refusedTickets = 0;
  provider.on("sync", (synced) => {
    if (synced) refusedTickets = 0;
  });
  provider.on("status", ({ status }) => setStatus(ui.status, status));
  provider.on("closed", async ({ code }) => {
    // 44xx: y-websocket stops retrying. A reconnect with a spent ticket is refused with 4401:
    // a new ticket, then we connect again.
    if (code === 4401 && ++refusedTickets <= 3) {
      try {
        provider.params.ticket = await ticket();
        provider.connect();
      } catch (error) {
        showError(ui.status, error);
      }
    } else {
      const message = {
        4401: "The route's room refused the connection: reload the page to try again.",
        4404: "You no longer have access to this route.",
      }[code];
      fill(ui.status, errorBox(message || "This route cannot take more changes."));
    }
  });
  for (const [button, path, extension] of ui.exports) {
    button.addEventListener("click", () => download(routeId, path, extension, meta.get("name") || route.name, ui.problem));
  }
  if (ui.share) ui.share.addEventListener("submit", (event) => share(event, routeId, ui));
  await synced(provider);
  redraw();
  map.fit(waypointList(points));
  return () => {
    directions.stop();
    provider.awareness.setLocalState(null);
    provider.destroy();
    doc.destroy();
    map.remove();
  };
}

function drawEditor(main, route) {
  const ui = {
    name: h("input", { id: "route-title", class: "route-title", maxlength: "200", "aria-label": "Route name", value: route.name }),
    status: h("p", { class: "route-status muted", role: "status" }, "Connecting…"),
    map: h("div", { class: "map route-map", id: "route-map", role: "application", "aria-label": "Route map: click to add a waypoint" }),
    list: h("ol", { class: "waypoints", "aria-label": "Waypoints" }),
    notes: h("textarea", { id: "route-notes", rows: "4", maxlength: "10000" }),
    peers: h("p", { class: "route-peers muted", "aria-live": "polite" }),
    summary: h("p", { class: "route-summary", id: "route-summary", "aria-live": "polite" }),
    notice: h("div", { class: "route-notice", id: "route-notice", "aria-live": "polite" }),
    exports: EXPORTS.map(([label, path, extension]) => [h("button", { type: "button" }, `Export ${label}`), path, extension]),
    problem: h("div"),
    share: null,
  };
  if (route.role === "owner") {
    ui.shareEmail = h("input", { id: "share-email", type: "email", required: true, maxlength: "320" });
    ui.share = h(
      "form",
      { class: "filters" },
      h("div", { class: "field grow" }, h("label", { for: "share-email" }, "Share with (e-mail)"), ui.shareEmail),
      h("button", { type: "submit" }, "Share"),
    );
  }
  fill(
    main,
    h("p", {}, h("a", { href: "/routes" }, "← Routes")),
    h("h1", { class: "visually-hidden" }, route.name),
    ui.name,
    ui.status,
    ui.peers,
    ui.map,
    ui.summary,
    ui.notice,
    h("h2", {}, "Waypoints"),
    ui.list,
    h("div", { class: "field" }, h("label", { for: "route-notes" }, "Notes"), ui.notes),
    h("p", { class: "route-exports" }, ui.exports.map(([button]) => button)),
    ui.share,
    ui.problem,
  );
  return ui;
}

function newPoint(Y, lat, lon) {
  const id = crypto.randomUUID().replaceAll("-", "");
  return new Y.Map([["id", id], ["lat", round(lat)], ["lon", round(lon)]]);
}

const round = (degrees) => Math.round(degrees * 1e7) / 1e7;

function setStraight(doc, points, index, on) {
  const point = points.get(index);
  if (!point || typeof point.set !== "function") return;
  doc.transact(() => (on ? point.set("straight", true) : point.delete("straight")));
}

function setPosition(doc, points, index, lat, lon) {
  const point = points.get(index);
  if (!point || typeof point.set !== "function") return;
  doc.transact(() => {
    point.set("lat", round(lat));
    point.set("lon", round(lon));
  });
}

/** The document's waypoints as plain values, skipping anything malformed (as the server does). */
function waypointList(points) {
  const seen = new Set();
  const list = [];
  points.toArray().forEach((point, index) => {
    if (!point || typeof point.get !== "function") return;
    const [id, lat, lon] = [point.get("id"), point.get("lat"), point.get("lon")];
    if (typeof id !== "string" || seen.has(id) || !Number.isFinite(lat) || !Number.isFinite(lon)) return;
    seen.add(id);
    list.push({ id, lat, lon, name: point.get("name") || "", straight: point.get("straight") === true, index });
  });
  return list;
}

function drawList(element, list, { remove, straight }) {
  fill(
    element,
    list.map((p, n) =>
      h(
        "li",
        { class: "waypoint", dataset: { id: p.id } },
        h("span", {}, p.name || `Waypoint ${n + 1}`, " ", h("span", { class: "muted" }, `${p.lat.toFixed(5)}, ${p.lon.toFixed(5)}`)),
        " ",
        n < list.length - 1
          ? h(
              "label",
              { class: "leg-straight" },
              h("input", { type: "checkbox", checked: p.straight, onchange: (event) => straight(p.index, event.target.checked) }),
              ` straight line to ${n + 2}`,
            )
          : null,
        " ",
        h("button", { type: "button", class: "link danger", "aria-label": `Delete waypoint ${n + 1}`, onclick: () => remove(p.index) }, "Delete"),
      ),
    ),
  );
}

/**
 * Routes the waypoints through the server whenever they change, and draws the answer: the
 * line on the map, distance, time and climbing, and a notice for each straight leg. An
 * answer that comes after a newer request was sent is dropped.
 */
function routedLegs(map, ui) {
  let timer = null;
  let sent = 0;
  let stopped = false;
  async function route(list) {
    const mine = ++sent;
    const points = list.slice(0, MAX_DIRECTION_POINTS).map((p) => ({ lat_deg: p.lat, lon_deg: p.lon }));
    const straight = list.slice(0, points.length - 1).flatMap((p, n) => (p.straight ? [n] : []));
    try {
      const answer = await api("/api/v1/maps/directions", { method: "POST", json: { points, straight_legs: straight } });
      if (mine !== sent || stopped) return;
      map.route(answer.legs);
      drawSummary(ui, answer, list.length);
    } catch (error) {
      if (mine !== sent || stopped) return;
      showError(ui.notice, error);
    }
  }
  return {
    update(list) {
      clearTimeout(timer);
      if (list.length < 2) {
        sent++;
        map.route([]);
        fill(ui.summary, list.length ? "Add another waypoint to plan a leg." : "Click the map to add waypoints.");
        fill(ui.notice);
        return;
      }
      timer = setTimeout(() => route(list), ROUTE_AFTER_MS);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Hours and minutes, rounded to the minute: an estimate, not a stopwatch. */
function travelTime(seconds) {
  const minutes = Math.max(1, Math.round(seconds / 60));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

function drawSummary(ui, answer, waypoints) {
  const surfaces = Object.entries(answer.surfaces_m)
    .slice(0, 3)
    .map(([surface, metres]) => `${surface} ${Math.round((100 * metres) / Math.max(answer.distance_m, 1))} %`);
  const climbing = answer.ascent_m === null ? "climbing unknown" : `climbing ${u.elevation(answer.ascent_m)}`;
  ui.summary.dataset.distanceM = String(answer.distance_m);
  fill(
    ui.summary,
    h("strong", { class: "route-distance" }, u.distance(answer.distance_m)),
    ` · about ${travelTime(answer.duration_s)} by bike · ${climbing}`,
    surfaces.length ? ` · ${surfaces.join(", ")}` : "",
  );
  const notes = [];
  answer.legs.forEach((leg, n) => {
    if (!leg.routed) notes.push(`Leg ${n + 1} is a straight line: ${leg.notice}.`);
  });
  if (waypoints > MAX_DIRECTION_POINTS) notes.push(`Only the first ${MAX_DIRECTION_POINTS} waypoints are routed here.`);
  if (answer.ascent_m === null) notes.push(`No elevation profile: ${answer.elevation_notice}.`);
  fill(ui.notice, notes.length ? h("ul", { class: "muted" }, notes.map((text) => h("li", {}, text))) : "");
}

function bindName(input, meta, doc) {
  const show = () => {
    const name = meta.get("name");
    if (typeof name === "string" && document.activeElement !== input) input.value = name;
  };
  meta.observe(show);
  input.addEventListener("input", () => doc.transact(() => meta.set("name", input.value.slice(0, 200))));
  input.addEventListener("blur", show);
}

/** A textarea bound to a Y.Text: local typing becomes one delete and one insert. */
function bindNotes(textarea, text, doc) {
  textarea.value = text.toString();
  text.observe((event) => {
    if (event.transaction.local) return;
    const { selectionStart, selectionEnd } = textarea;
    textarea.value = text.toString();
    textarea.setSelectionRange(selectionStart, selectionEnd);
  });
  textarea.addEventListener("input", () => {
    const before = text.toString();
    const after = textarea.value;
    let start = 0;
    while (start < before.length && start < after.length && before[start] === after[start]) start++;
    let end = 0;
    while (end < before.length - start && end < after.length - start && before.at(-1 - end) === after.at(-1 - end)) end++;
    doc.transact(() => {
      if (before.length - start - end > 0) text.delete(start, before.length - start - end);
      if (after.length - start - end > 0) text.insert(start, after.slice(start, after.length - end));
    });
  });
}

function drawPeers(element, map, awareness, myId) {
  const others = [];
  awareness.getStates().forEach((state, clientId) => {
    if (clientId !== myId && state?.user) others.push({ clientId, ...state });
  });
  map.cursors(others);
  fill(element, others.length ? `Editing now: ${others.map((o) => o.user.name).join(", ")}` : "");
}

function setStatus(element, status) {
  element.textContent = status === "connected" ? "Connected: changes are shared as you make them." : "Offline: your changes are kept and sent when the connection is back.";
  element.dataset.status = status;
}

function synced(provider) {
  if (provider.synced) return Promise.resolve();
  return new Promise((resolve) => {
    const onSync = (isSynced) => {
      if (!isSynced) return;
      provider.off("sync", onSync);
      resolve();
    };
    provider.on("sync", onSync);
  });
}

async function download(routeId, path, extension, name, problem) {
  try {
    const response = await api(`/api/v1/routes/${routeId}/${path}`, { raw: true });
    const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `${name || "route"}.${extension}` });
    document.body.append(link);
    link.click();
    link.remove();
    showError(problem, null);
  } catch (error) {
    showError(problem, error);
  }
}

async function share(event, routeId, ui) {
  event.preventDefault();
  try {
    await api(`/api/v1/routes/${routeId}/collaborators`, { method: "POST", json: { email: ui.shareEmail.value } });
    fill(ui.problem, h("p", { role: "status" }, `Shared with ${ui.shareEmail.value}.`));
    ui.shareEmail.value = "";
  } catch (error) {
    showError(ui.problem, error);
  }
}

function throttle(fn, everyMs) {
  let last = 0;
  let timer = null;
  let pending = null;
  return (...args) => {
    pending = args;
    const wait = last + everyMs - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn(...pending);
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn(...pending);
      }, wait);
    }
  };
}

/** The Leaflet map: waypoints as draggable markers joined by a line, and others' cursors. */
function routeMap(element, config, { add, move, pointer }) {
  const L = window.L;
  const map = L.map(element, { zoomSnap: 0.25, keyboard: true, doubleClickZoom: false });
  baseLayer(map, element, config);
  map.setView([46.8, 8.2], 8);
  L.control.scale({ position: "bottomleft" }).addTo(map);
  const line = L.polyline([], { color: LINE_COLOUR, weight: 2, opacity: 0.5, dashArray: "4 6", interactive: false }).addTo(map);
  const legs = L.layerGroup().addTo(map);
  const markers = L.layerGroup().addTo(map);
  const cursorLayer = L.layerGroup().addTo(map);
  map.on("click", (event) => add(event.latlng.lat, event.latlng.lng));
  map.on("mousemove", (event) => pointer(event.latlng.lat, event.latlng.lng));
  return {
    draw(list) {
      markers.clearLayers();
      line.setLatLngs(list.map((p) => [p.lat, p.lon]));
      list.forEach((p, n) => {
        const icon = L.divIcon({ className: "waypoint-marker", html: "", iconSize: [16, 16] });
        const marker = L.marker([p.lat, p.lon], { draggable: true, icon, title: p.name || `Waypoint ${n + 1}`, keyboard: true });
        marker.on("dragend", () => {
          const at = marker.getLatLng();
          move(p.index, at.lat, at.lng);
        });
        marker.addTo(markers);
      });
    },
    route(answered) {
      legs.clearLayers();
      for (const leg of answered) {
        const style = leg.routed ? { weight: 4, className: "route-leg routed" } : { weight: 3, dashArray: "8 6", className: "route-leg straight" };
        L.polyline(leg.path, { color: LINE_COLOUR, interactive: false, ...style }).addTo(legs);
      }
      // The waypoints' own line shows only until the legs are routed.
      line.setStyle({ opacity: answered.length ? 0 : 0.5 });
    },
    cursors(others) {
      cursorLayer.clearLayers();
      for (const other of others) {
        if (!other.cursor || !Number.isFinite(other.cursor.lat) || !Number.isFinite(other.cursor.lon)) continue;
        const label = document.createElement("span");
        label.className = "peer-cursor";
        label.textContent = String(other.user.name).slice(0, 40);
        label.style.borderColor = /^#[0-9a-f]{6}$/i.test(other.user.colour) ? other.user.colour : COLOURS[0];
        const icon = L.divIcon({ className: "peer-cursor-icon", html: label, iconSize: null });
        L.marker([other.cursor.lat, other.cursor.lon], { icon, interactive: false, keyboard: false }).addTo(cursorLayer);
      }
    },
    fit(list) {
      if (list.length) map.fitBounds(L.latLngBounds(list.map((p) => [p.lat, p.lon])), { padding: [24, 24], maxZoom: 14 });
    },
    remove() {
      map.remove();
    },
  };
}
