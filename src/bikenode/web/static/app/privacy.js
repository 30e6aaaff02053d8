// /privacy: privacy zones drawn as circles on a map (click to place one, set its radius), and
// what others see of your public rides once the zones are cut from them.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import { baseLayer, trackSegments } from "./map.js";
import { date, distance, duration } from "./units.js";

const ZONES = "/api/v1/privacy-zones";
const MIN_RADIUS_M = 100;
const MAX_RADIUS_M = 5000;
const ZONE_STYLE = { color: "#1971c2", weight: 2, fillOpacity: 0.15, className: "privacy-zone" };
const DRAFT_STYLE = { color: "#d9480f", weight: 2, dashArray: "6 4", fillOpacity: 0.1, className: "privacy-draft" };

/** The newest ride with a position, drawn faintly so that the rider can find home. */
async function guideTrack() {
  const page = await api("/api/v1/rides?limit=20");
  const ride = page.items.find((item) => item.has_position);
  if (!ride) return null;
  return { id: ride.id, name: ride.name, segments: await trackOf(ride.id, "own") };
}

/** A ride's track as the rider sees it ("own") or as anyone else does ("public"). */
async function trackOf(rideId, view) {
  const answer = await api(`/api/v1/rides/${rideId}/streams?keys=lat_deg,lon_deg&resolution=800&view=${view}`);
  const { lat_deg: lat = [], lon_deg: lon = [] } = answer.streams;
  return trackSegments(lat, lon);
}

function zoneMap(element, config) {
  const L = window.L;
  const map = L.map(element, { renderer: L.svg({ padding: 0.2 }), attributionControl: Boolean(config.mapTileUrl), zoomSnap: 0.25 });
  baseLayer(map, element, config);
  L.control.scale({ position: "bottomleft" }).addTo(map);
  map.setView([0, 0], 2);
  return map;
}

function zoneList(zones, onRemove) {
  if (!zones.length) return h("p", { class: "empty" }, "No privacy zones yet: others see your public rides whole.");
  return h(
    "ul",
    { class: "zone-list" },
    zones.map((zone) =>
      h(
        "li",
        {},
        h("strong", {}, zone.name),
        ` · ${Math.round(zone.radius_m)} m around ${zone.lat_deg.toFixed(5)}, ${zone.lon_deg.toFixed(5)} `,
        h("button", { type: "button", class: "link", onclick: () => onRemove(zone), "aria-label": `Remove ${zone.name}` }, "Remove"),
      ),
    ),
  );
}

async function seenByOthers(container) {
  const page = await api("/api/v1/rides?view=public&limit=20");
  if (!page.items.length) {
    fill(container, h("p", { class: "empty" }, "You have no public rides: others see none of your rides."));
    return;
  }
  fill(
    container,
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data numeric seen-by-others" },
        h("caption", { class: "visually-hidden" }, "Your public rides as others see them"),
        h("thead", {}, h("tr", {}, h("th", {}, "Ride"), h("th", {}, "Date"), h("th", {}, "Distance"), h("th", {}, "Moving time"))),
        h(
          "tbody",
          {},
          page.items.map((ride) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `/rides/${ride.id}` }, ride.name)),
              h("td", {}, ride.started_at ? date(ride.started_at) : "no date"),
              h("td", { class: "seen-distance" }, distance(ride.distance_m)),
              h("td", {}, duration(ride.moving_time_s)),
            ),
          ),
        ),
      ),
    ),
  );
}

export async function render(main, { config }) {
  document.title = "Privacy · BikeNode";
  const L = window.L;
  const mapElement = h("div", { class: "map privacy-map", id: "privacy-map" });
  const listBox = h("div", {});
  const seen = h("div", {});
  const messages = h("div", { "aria-live": "polite" });
  const legend = h(
    "p",
    { class: "hint map-legend", hidden: true },
    h("span", { class: "legend-swatch legend-own", "aria-hidden": "true" }),
    " your newest ride as you see it ",
    h("span", { class: "legend-swatch legend-seen", "aria-hidden": "true" }),
    " what others see of it",
  );
  const form = h(
    "form",
    { class: "card zone-form", "aria-labelledby": "zone-add-heading" },
    h("h2", { id: "zone-add-heading" }, "Add a privacy zone"),
    h("p", { class: "hint" }, "Click the map where the zone's centre goes (or type its coordinates), then set its radius."),
    field("Name", h("input", { name: "zone_name", required: true, maxlength: "100", placeholder: "home" })),
    h(
      "div",
      { class: "zone-coordinates" },
      field("Latitude", h("input", { name: "zone_lat", type: "number", required: true, min: "-90", max: "90", step: "any", inputmode: "decimal" })),
      field("Longitude", h("input", { name: "zone_lon", type: "number", required: true, min: "-180", max: "180", step: "any", inputmode: "decimal" })),
    ),
    field(
      "Radius (m)",
      h("input", { name: "zone_radius", type: "number", required: true, min: String(MIN_RADIUS_M), max: String(MAX_RADIUS_M), step: "10", value: "300", inputmode: "numeric" }),
      `From ${MIN_RADIUS_M} to ${MAX_RADIUS_M} m. Others see your tracks cut a little wider, around a secretly shifted centre, so the cut does not point at your door.`,
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Add the zone"),
  );
  fill(
    main,
    h("h1", {}, "Privacy"),
    h("p", { class: "narrow" }, "Anyone but you sees your rides without the parts inside your privacy zones: on ride pages, in exports, on live maps, with distances and times computed from what is left."),
    h("div", { class: "ride-visuals" }, mapElement),
    legend,
    form,
    h("section", { "aria-labelledby": "zones-heading" }, h("h2", { id: "zones-heading" }, "Your zones"), listBox),
    h("section", { "aria-labelledby": "seen-heading" }, h("h2", { id: "seen-heading" }, "What others see"), seen),
  );
  const map = zoneMap(mapElement, config);
  const zoneLayer = L.featureGroup().addTo(map);
  const draft = L.circle([0, 0], { radius: 300, ...DRAFT_STYLE });
  const seenLayer = L.featureGroup().addTo(map);
  const guide = await guideTrack().catch(() => null);
  if (guide?.segments.length) {
    const line = L.polyline(guide.segments, { color: "#868e96", weight: 2, opacity: 0.7, dashArray: "4 4", className: "privacy-guide", interactive: false }).addTo(map);
    map.fitBounds(line.getBounds(), { padding: [16, 16] });
    legend.hidden = false;
  }

  /** Redraw the guide ride as others see it: the parts inside the zones are gone. */
  async function drawSeenByOthers() {
    if (!guide?.segments.length) return;
    const segments = await trackOf(guide.id, "public").catch(() => []);
    seenLayer.clearLayers();
    if (segments.length) L.polyline(segments, { color: "#1971c2", weight: 3, opacity: 0.9, className: "privacy-seen", interactive: false }).addTo(seenLayer);
  }

  function placeDraft() {
    const lat = Number(form.zone_lat.value);
    const lon = Number(form.zone_lon.value);
    const radius = Number(form.zone_radius.value);
    if (form.zone_lat.value === "" || form.zone_lon.value === "" || !Number.isFinite(lat + lon)) return;
    draft.setLatLng([lat, lon]);
    if (radius >= MIN_RADIUS_M && radius <= MAX_RADIUS_M) draft.setRadius(radius);
    if (!map.hasLayer(draft)) draft.addTo(map);
  }

  map.on("click", (event) => {
    form.zone_lat.value = event.latlng.lat.toFixed(6);
    form.zone_lon.value = L.Util.wrapNum(event.latlng.lng, [-180, 180], true).toFixed(6);
    placeDraft();
    form.zone_name.focus();
  });
  for (const input of [form.zone_lat, form.zone_lon, form.zone_radius]) input.addEventListener("input", placeDraft);

  async function redraw() {
    const zones = await api(ZONES);
    zoneLayer.clearLayers();
    for (const zone of zones) {
      L.circle([zone.lat_deg, zone.lon_deg], { radius: zone.radius_m, ...ZONE_STYLE }).bindTooltip(zone.name).addTo(zoneLayer);
    }
    fill(listBox, zoneList(zones, remove));
    await Promise.all([seenByOthers(seen), drawSeenByOthers()]);
    return zones;
  }

  async function remove(zone) {
    try {
      await api(`${ZONES}/${zone.id}`, { method: "DELETE" });
      await redraw();
    } catch (error) {
      showError(messages, error);
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(messages, null);
    const done = busy(form);
    try {
      await api(ZONES, {
        method: "POST",
        json: {
          name: form.zone_name.value.trim(),
          lat_deg: Number(form.zone_lat.value),
          lon_deg: Number(form.zone_lon.value),
          radius_m: Number(form.zone_radius.value),
        },
      });
      form.reset();
      draft.remove();
      await redraw();
      fill(messages, h("p", { class: "success", role: "status" }, "Zone added. Others now see your rides without it."));
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });

  const zones = await redraw();
  if (!guide?.segments.length && zones.length) map.fitBounds(zoneLayer.getBounds(), { padding: [16, 16] });
  return () => map.remove();
}
