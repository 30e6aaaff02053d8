// One ride: map and charts sharing a cursor, figures, edit, export and delete.

import { api, currentUser } from "./api.js";
import { rideCharts } from "./charts.js";
import { busy, errorBox, field, fill, h, navigate, showError } from "./dom.js";
import { rideMap } from "./map.js";
import { rideBikeLine } from "./ride-bike.js";
import { rideStressSection } from "./ride-stress.js";
import { rideSocialSection } from "./social.js";
import { rideSegmentsSection } from "./ride-segments.js";
import { effortsSection, splitsSection, statsList, wBalanceSection, zonesSection } from "./ride-sections.js";
import * as u from "./units.js";

// Points asked of the API for display: plenty for a screen, few enough to stay fast.
const RESOLUTION = 2000;
const STREAM_KEYS = "time_s,lat_deg,lon_deg,elevation_m,distance_m,speed_mps,hr_bpm,cadence_rpm,power_w";
const VISIBILITY = { private: "Only you", followers: "Your approved followers", public: "Everyone" };
// A ride's share_health as a select value: "" follows the rider's default in settings.
const SHARE_HEALTH = { "": null, yes: true, no: false };
const EARTH_RADIUS_M = 6371008.8;

const present = (values) => Array.isArray(values) && values.some((v) => v !== null);

function haversine(lat1, lon1, lat2, lon2) {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.sqrt(a));
}

/** Metres from the start at each point: the device's odometer, else the GPS track. */
function cumulativeDistance(streams) {
  const { distance_m: device, lat_deg: lat, lon_deg: lon } = streams;
  const out = [];
  let total = 0;
  let last = null;
  const n = (device || lat || []).length;
  for (let i = 0; i < n; i++) {
    if (present(device)) {
      if (device[i] !== null) total = Math.max(total, device[i]);
    } else if (lat[i] !== null && lon[i] !== null) {
      if (last) total += haversine(last[0], last[1], lat[i], lon[i]);
      last = [lat[i], lon[i]];
    }
    out.push(total);
  }
  return out;
}

function xAxis(streams) {
  if (present(streams.distance_m) || (present(streams.lat_deg) && present(streams.lon_deg))) {
    const metres = cumulativeDistance(streams);
    return {
      metres,
      values: metres.map(u.toDistance),
      label: "Distance",
      format: (v) => `${v.toFixed(2)} ${u.distanceUnit()}`,
    };
  }
  const time = streams.time_s;
  if (!present(time)) {
    const count = Math.max(0, ...Object.values(streams).map((values) => values.length));
    return { metres: null, values: [...Array(count).keys()], label: "Point", format: String };
  }
  // Minutes from the start, never going back (uPlot needs x in order; gaps keep the last time).
  const start = time.find((t) => t !== null);
  let last = start;
  const values = time.map((t) => {
    if (t !== null && t > last) last = t;
    return (last - start) / 60;
  });
  return { metres: null, values, label: "Time", format: (v) => u.duration(v * 60) };
}

function speedSeries(streams, metres) {
  if (present(streams.speed_mps)) return streams.speed_mps;
  const time = streams.time_s;
  if (!metres || !present(time)) return null;
  return metres.map((m, i) => {
    const j = Math.max(0, i - 2);
    const k = Math.min(metres.length - 1, i + 2);
    const seconds = time[k] - time[j];
    return time[k] !== null && time[j] !== null && seconds > 0 ? (metres[k] - metres[j]) / seconds : null;
  });
}

function chartList(streams, metres) {
  const scale = (values, convert) => values.map((v) => (v === null ? null : convert(v)));
  const speed = speedSeries(streams, metres);
  return [
    ["elevation", "Elevation", u.elevationUnit(), "#5c677d", streams.elevation_m, u.toElevation, 0],
    ["speed", "Speed", u.speedUnit(), "#1c7ed6", speed, u.toSpeed, 1],
    ["hr", "Heart rate", "bpm", "#e03131", streams.hr_bpm, Number, 0],
    ["power", "Power", "W", "#7048e8", streams.power_w, Number, 0],
    ["cadence", "Cadence", "rpm", "#0ca678", streams.cadence_rpm, Number, 0],
  ]
    .filter(([, , , , values]) => present(values))
    .map(([key, label, unit, color, values, convert, digits]) => ({
      key,
      label,
      unit,
      color,
      values: scale(values, convert),
      digits,
    }));
}

async function download(rideId, format, errors) {
  try {
    const response = await api(`/api/v1/rides/${rideId}/export?format=${format}`, { raw: true });
    const blob = await response.blob();
    const name =
      /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1] || `ride.${format}`;
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  } catch (error) {
    showError(errors, error);
  }
}

// A date without a time: noon that day in the rider's timezone, so that it stays that day.
function noonOf(day) {
  return new Date(Date.parse(u.startOfDay(day)) + 12 * 3600 * 1000).toISOString();
}

function editForm(ride, onSaved) {
  const errors = h("div");
  const visibility = h(
    "select",
    { name: "visibility" },
    Object.entries(VISIBILITY).map(([value, label]) =>
      h("option", { value, selected: ride.visibility === value }, label),
    ),
  );
  const shareHealth = h(
    "select",
    { name: "share_health" },
    [
      ["", "As in my settings"],
      ["yes", "Yes"],
      ["no", "No"],
    ].map(([value, label]) => h("option", { value, selected: SHARE_HEALTH[value] === ride.share_health }, label)),
  );
  const untimed = ride.elapsed_time_s === null || ride.elapsed_time_s === undefined;
  const sports = u.CYCLING_SPORTS.includes(ride.sport) ? u.CYCLING_SPORTS : [ride.sport, ...u.CYCLING_SPORTS];
  const sport = h(
    "select",
    { name: "sport" },
    sports.map((value) => h("option", { value, selected: ride.sport === value }, u.sportLabel(value))),
  );
  const form = h(
    "form",
    { class: "card edit", hidden: true, "aria-label": "Edit ride" },
    errors,
    field("Name", h("input", { name: "name", required: true, maxlength: "200", value: ride.name })),
    field(
      "Description",
      h("textarea", { name: "description", rows: "4", maxlength: "10000" }, ride.description),
    ),
    untimed
      ? field(
          "Date",
          h("input", { name: "ride_date", type: "date", max: u.localDay(new Date().toISOString()), value: ride.started_at ? u.localDay(ride.started_at) : "" }),
          "The file has no times, so it gave no date. Set the day you rode.",
        )
      : null,
    field("Sport", sport),
    h(
      "label",
      { class: "choice" },
      h("input", { type: "checkbox", name: "commute", checked: ride.commute }),
      " A commute",
    ),
    field("Who can see it", visibility),
    field(
      "Show heart rate and power to others",
      shareHealth,
      "Heart rate is health data: others see it, and power, only if you say so.",
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save"),
      h("button", { type: "button", class: "cancel" }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const json = {
        name: form.name.value.trim(),
        description: form.description.value,
        sport: form.sport.value,
        commute: form.commute.checked,
        visibility: form.visibility.value,
        share_health: SHARE_HEALTH[form.share_health.value],
      };
      if (untimed && form.ride_date.value) json.started_at = noonOf(form.ride_date.value);
      onSaved(await api(`/api/v1/rides/${ride.id}`, { method: "PATCH", json }));
      showError(errors, null);
    } catch (error) {
      showError(errors, error);
    } finally {
      done();
    }
  });
  return form;
}

function deleteDialog(ride) {
  const errors = h("div");
  const dialog = h(
    "dialog",
    { class: "confirm", "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete this ride?"),
    h(
      "p",
      {},
      `“${ride.name}” and its track will be gone for good. Export it first if you want to keep a copy.`,
    ),
    errors,
    h(
      "form",
      { method: "dialog", class: "actions" },
      h("button", { value: "cancel" }, "Keep it"),
      h("button", { value: "delete", class: "danger" }, "Delete for good"),
    ),
  );
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue !== "delete") return;
    try {
      await api(`/api/v1/rides/${ride.id}`, { method: "DELETE" });
      navigate("/rides", { replace: true });
    } catch (error) {
      showError(errors, error);
      dialog.showModal();
    }
  });
  return dialog;
}

function metaLine(ride, isOwner) {
  return [
    ride.started_at ? u.dateTime(ride.started_at) : "No date recorded",
    isOwner ? null : ride.owner_name && `by ${ride.owner_name}`,
    ride.commute ? `${u.sportLabel(ride.sport)} (commute)` : u.sportLabel(ride.sport),
    ride.device,
    `from ${ride.source_format.toUpperCase()}`,
    isOwner ? VISIBILITY[ride.visibility] : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

function header(ride, isOwner, errors, bikeLine) {
  const title = h("h1", {}, ride.name);
  const meta = h("p", { class: "meta" }, metaLine(ride, isOwner));
  const description = h("p", { class: "description" }, ride.description || "");
  const exports = ["gpx", "tcx", "fit"].map((format) =>
    h("button", { type: "button", onclick: () => download(ride.id, format, errors) }, format.toUpperCase()),
  );
  const actions = h(
    "div",
    { class: "actions ride-actions" },
    h(
      "span",
      { class: "group", role: "group", "aria-label": "Export" },
      h("span", { class: "label" }, "Export"),
      exports,
    ),
  );
  const healthNote =
    isOwner || ride.health_shared
      ? null
      : h("p", { class: "hint health-private" }, "The rider keeps heart rate and power private.");
  const parts = [title, meta, bikeLine, description, healthNote, actions, errors];
  if (isOwner) {
    const form = editForm(ride, (saved) => {
      Object.assign(ride, saved);
      title.textContent = saved.name;
      meta.textContent = metaLine(ride, isOwner);
      description.textContent = saved.description;
      document.title = `${saved.name} · BikeNode`;
      form.hidden = true;
      edit.setAttribute("aria-expanded", "false");
      edit.focus();
    });
    const edit = h(
      "button",
      { type: "button", "aria-expanded": "false", "aria-controls": "edit-ride" },
      "Edit",
    );
    form.id = "edit-ride";
    const toggle = (open) => {
      form.hidden = !open;
      edit.setAttribute("aria-expanded", String(open));
      if (open) form.name.focus();
    };
    edit.addEventListener("click", () => toggle(form.hidden));
    form.querySelector(".cancel").addEventListener("click", () => toggle(false));
    const dialog = deleteDialog(ride);
    actions.append(
      edit,
      h("button", { type: "button", class: "danger", onclick: () => dialog.showModal() }, "Delete"),
      dialog,
    );
    parts.push(form);
  }
  return h("header", { class: "ride-header" }, parts);
}

async function load(id) {
  return Promise.all([
    api(`/api/v1/rides/${id}`),
    api(`/api/v1/rides/${id}/streams?keys=${STREAM_KEYS}&resolution=${RESOLUTION}`),
    currentUser().catch(() => null),
  ]);
}

export async function render(main, { params, config }) {
  let ride, streams, me;
  try {
    [ride, { streams }, me] = await load(params[0]);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.title = "Ride not found · BikeNode";
    fill(
      main,
      h("h1", {}, "Ride not found"),
      errorBox("This ride does not exist, or it is private: only its owner, or their approved followers, may see it."),
      h("p", {}, h("a", { href: "/rides" }, "Your rides")),
    );
    return null;
  }
  document.title = `${ride.name} · BikeNode`;
  const isOwner = Boolean(me && me.id === ride.owner_id);
  const [bikeLine, segmentsSection] = await Promise.all([
    isOwner ? rideBikeLine(ride.id) : null,
    rideSegmentsSection(ride, isOwner),
  ]);
  const summary = ride.summary || {};
  const { lat_deg: lat, lon_deg: lon } = streams;
  const hasMap = present(lat) && present(lon) && lat.some((v, i) => v !== null && lon[i] !== null);
  const mapBox = hasMap
    ? h("div", {
        class: "map",
        id: "ride-map",
        tabindex: "0",
        "aria-label": "Map of the ride; arrow keys pan, plus and minus zoom",
      })
    : h("p", { class: "map-none" }, "This ride has no GPS positions, so there is no map.");
  const charts = h("div", { class: "charts" });
  const wBalance = h("div", { class: "w-balance-slot" });
  const stress = h("div", { class: "ride-stress-slot" });
  fill(
    main,
    h(
      "article",
      { class: "ride" },
      header(ride, isOwner, h("div"), bikeLine),
      statsList(ride),
      h("div", { class: "ride-visuals" }, mapBox, charts),
      splitsSection(summary),
      effortsSection(summary),
      segmentsSection,
      wBalance,
      stress,
      zonesSection(summary, isOwner),
      rideSocialSection(ride.id, me, isOwner),
      ride.import_notes?.length
        ? h(
            "details",
            { class: "panel notes" },
            h("summary", {}, "Import notes"),
            h(
              "ul",
              {},
              ride.import_notes.map((note) => h("li", {}, note)),
            ),
          )
        : null,
    ),
  );
  // Drawn when it comes: the model fit behind it must not hold up the page.
  api(`/api/v1/rides/${ride.id}/w-balance`)
    .then((report) => fill(wBalance, wBalanceSection(report)))
    .catch(() => {});
  if (isOwner) rideStressSection(ride.id).then((section) => fill(stress, section));
  const map = hasMap
    ? rideMap(mapBox, streams.lat_deg, streams.lon_deg, {
        tileUrl: config.mapTileUrl,
        attribution: config.mapTileAttribution,
        imperial: u.isImperial(),
      })
    : null;
  const x = xAxis(streams);
  const stopCharts = rideCharts(charts, x.values, x, chartList(streams, x.metres), (index) =>
    map?.moveTo(index),
  );
  return () => {
    stopCharts();
    map?.destroy();
  };
}
