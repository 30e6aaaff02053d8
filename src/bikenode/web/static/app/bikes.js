// /bikes: the garage. Bikes in service with their totals, retired ones apart, a form to add a
// bike, the parts due for service soon and the sensors' batteries. Also what the bike page, the ride page and the
// dashboard share: part names, the interval bar, day fields and the default-sports choice.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import * as u from "./units.js";

export const BIKE_TYPES = { road: "Road", gravel: "Gravel", mtb: "Mountain bike", ebike: "E-bike", trainer: "Trainer", other: "Other" };

// The component types the API accepts (bikes/logic/catalogue.py), in the order a rider looks
// for them; `holds` marks the parts that hold parts.
export const PART_TYPES = {
  chain: "Chain",
  cassette: "Cassette",
  chainring: "Chainring",
  drivetrain: { label: "Drivetrain", holds: true },
  wheelset: { label: "Wheelset", holds: true },
  wheel: { label: "Wheel", holds: true },
  tyre: "Tyre",
  tube: "Inner tube",
  sealant: "Tubeless sealant",
  brake_pads: "Brake pads",
  rotor: "Brake rotor",
  brake_fluid: "Brake fluid",
  cables: "Cables and housing",
  bar_tape: "Bar tape",
  fork: "Suspension fork",
  shock: "Rear shock",
  dropper_post: "Dropper post",
  headset: "Headset",
  bottom_bracket: "Bottom bracket",
  hub: "Hub",
  derailleur: "Derailleur",
  pedals: "Pedals",
  saddle: "Saddle",
  other: "Other",
};

export const typeLabel = (type) => PART_TYPES[type]?.label || PART_TYPES[type] || u.sportLabel(type);
export const holdsParts = (type) => Boolean(PART_TYPES[type]?.holds);

/** "Chain (Shimano CN-M8100)": the part's type with its brand and model when known. */
export function partName(component) {
  const make = [component.brand, component.model].filter(Boolean).join(" ");
  return make ? `${typeLabel(component.type)} (${make})` : typeLabel(component.type);
}

const LIMIT_TEXT = {
  distance: (interval) => u.distance(interval.distance_m, 0),
  moving_time: (interval) => `${u.number(interval.moving_s / 3600, "h")}`,
  days: (interval) => `${u.number(interval.days, "days")}`,
};

/** The state of a service interval in words: Due, Soon, OK, or no interval. */
export function stateText(status) {
  if (status.fraction === null) return "No interval";
  return status.due ? "Due" : status.warn ? "Soon" : "OK";
}

/** A bar and "85 % of 3,000 km" for the share of its interval a part has used. */
export function intervalBar(status, interval) {
  if (status.fraction === null) return h("span", { class: "interval-bar none" }, "No service interval");
  const percent = Math.round(status.fraction * 100);
  const limit = status.limit && LIMIT_TEXT[status.limit] ? ` of ${LIMIT_TEXT[status.limit](interval)}` : "";
  return h(
    "span",
    { class: "interval-bar", dataset: { state: stateText(status).toLowerCase() } },
    h("meter", { min: "0", max: "1", low: "0.8", high: "0.999", optimum: "0", value: String(Math.min(status.fraction, 1)), "aria-hidden": "true" }),
    h("span", { class: "fraction" }, `${percent} %${limit}`),
  );
}

/** An input's value from the rider's distance unit to metres (null when empty). */
export function metresFrom(input) {
  const text = input.value.trim();
  return text === "" ? null : Number(text) / u.toDistance(1);
}

/** A day field, today by default, that cannot be in the future. */
export function dayInput(name) {
  const today = u.localDay(new Date().toISOString());
  return h("input", { name, type: "date", required: true, max: today, value: today });
}

/** The instant for a day the rider picked: now for today, else the start of that day. */
export function instantOf(day) {
  return day === u.localDay(new Date().toISOString()) ? new Date().toISOString() : u.startOfDay(day);
}

/** Checkboxes of sports for a bike's defaults: the rider's sports and the common ones. */
export function sportsFieldset(sports, chosen = []) {
  const all = [...new Set([...u.CYCLING_SPORTS, ...sports, ...chosen])];
  return h(
    "fieldset",
    { class: "sports" },
    h("legend", {}, "Default bike for"),
    h("p", { class: "hint" }, "New rides of these sports go on this bike (a sport has one default bike)."),
    all.map((sport) =>
      h("label", { class: "choice" }, h("input", { type: "checkbox", name: "default_for_sports", value: sport, checked: chosen.includes(sport) }), ` ${u.sportLabel(sport)}`),
    ),
  );
}

export const chosenSports = (form) => [...form.querySelectorAll('input[name="default_for_sports"]:checked')].map((box) => box.value);

export function typeSelect(current = "road") {
  return h(
    "select",
    { name: "type" },
    Object.entries(BIKE_TYPES).map(([value, label]) => h("option", { value, selected: value === current }, label)),
  );
}

const totalsOf = (usage) => new Map(usage.items.map((item) => [item.bike_id, item.total]));

function bikeRow(bike, total) {
  const make = [bike.brand, bike.model].filter(Boolean).join(" ");
  return h(
    "tr",
    { dataset: { bike: bike.id } },
    h("td", { class: "col-name" }, h("a", { href: `/bikes/${bike.id}` }, bike.name), make ? h("span", { class: "meta" }, ` ${make}`) : null),
    h("td", {}, BIKE_TYPES[bike.type] || bike.type),
    h("td", { class: "bike-distance" }, u.distance(total?.distance_m ?? 0, 0)),
    h("td", {}, u.duration(total?.moving_s ?? 0)),
    h("td", { class: "bike-rides" }, String(total?.rides ?? 0)),
    h("td", { class: "col-name" }, bike.default_for_sports.map(u.sportLabel).join(", ") || "—"),
  );
}

function bikesTable(caption, bikes, totals) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data garage" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ["Bike", "Type", "Distance", "Moving time", "Rides", "Default for"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, bikes.map((bike) => bikeRow(bike, totals.get(bike.id)))),
    ),
  );
}

/** The parts whose interval is used at least `from` (0: every part with an interval). */
export function dueTable(due, bikes, { from = 0, limit = Infinity, caption = "Parts by how much of their service interval is used" } = {}) {
  const names = new Map(bikes.map((bike) => [bike.id, bike.name]));
  const items = due.items.filter((item) => item.status.fraction !== null && item.status.fraction >= from).slice(0, limit);
  if (!items.length) return null;
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data due" },
      h("caption", { class: "visually-hidden" }, caption),
      h("thead", {}, h("tr", {}, ["Part", "Bike", "Interval used", "State"].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        items.map((item) =>
          h(
            "tr",
            { dataset: { component: item.component.id, state: stateText(item.status).toLowerCase() } },
            h("td", { class: "col-name" }, partName(item.component)),
            h("td", { class: "col-name" }, item.bike_id ? h("a", { href: `/bikes/${item.bike_id}` }, names.get(item.bike_id) || "a bike") : "Not fitted"),
            h("td", {}, intervalBar(item.status, item.component.interval)),
            h("td", { class: "due-state" }, stateText(item.status)),
          ),
        ),
      ),
    ),
  );
}

const SENSOR_KINDS = {
  power_meter: "Power meter",
  heart_rate: "Heart-rate strap",
  speed_cadence: "Speed/cadence sensor",
  radar: "Radar",
  shifting: "Shifting",
  light: "Light",
  head_unit: "Head unit",
  sensor: "Sensor",
};
const STATUS_TEXT = { new: "New", good: "Good", ok: "OK", low: "Low", critical: "Critical" };

/** "Low · 2.49 V": the battery's last status and volts as the sensor sent them. */
function batteryText(battery) {
  const parts = [STATUS_TEXT[battery.status] || battery.status, battery.voltage_v === null ? null : `${battery.voltage_v.toFixed(2)} V`];
  return parts.filter(Boolean).join(" · ") || "—";
}

function sensorRow(sensor) {
  const battery = sensor.battery;
  return h(
    "tr",
    { dataset: { serial: sensor.serial, state: battery.low ? "low" : "ok" } },
    h("td", { class: "col-name" }, SENSOR_KINDS[sensor.kind] || sensor.kind, h("span", { class: "meta serial" }, sensor.serial)),
    h("td", { class: "col-name" }, sensor.bike_id ? h("a", { href: `/bikes/${sensor.bike_id}` }, sensor.bike_name || "a bike") : "—"),
    h("td", { class: "sensor-battery" }, batteryText(battery), battery.low ? h("span", { class: "sensor-warning" }, `Charge or replace it: ${battery.low_reason}`) : null),
    h("td", {}, u.date(battery.last_seen_at)),
    h("td", { class: "sensor-charged" }, battery.last_charged_at ? u.date(battery.last_charged_at) : "—"),
  );
}

/** The sensors whose rides' files reported a battery, latest seen first. */
function sensorsTable(sensors) {
  if (!sensors.items.length) return h("p", { class: "empty" }, "No sensor battery seen yet: FIT files from a head unit report each paired sensor's battery.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data sensors" },
      h("caption", { class: "visually-hidden" }, "Your sensors' batteries as your rides' files last reported them"),
      h("thead", {}, h("tr", {}, ["Sensor", "Last bike", "Battery", "Last seen", "Last charged"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, sensors.items.map(sensorRow)),
    ),
  );
}

function addBikeForm(sports, onAdded) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "add-bike-title" },
    h("h2", { id: "add-bike-title" }, "Add a bike"),
    field("Name", h("input", { name: "name", required: true, maxlength: "200" })),
    field("Type", typeSelect()),
    field("Brand", h("input", { name: "brand", maxlength: "100" })),
    field("Model", h("input", { name: "model", maxlength: "100" })),
    sportsFieldset(sports),
    messages,
    h("button", { type: "submit", class: "primary" }, "Add the bike"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const json = {
      name: form.name.value.trim(),
      type: form.type.value,
      brand: form.brand.value.trim() || null,
      model: form.model.value.trim() || null,
      default_for_sports: chosenSports(form),
    };
    const finish = busy(form);
    try {
      const bike = await api("/api/v1/bikes", { method: "POST", json });
      form.reset();
      await onAdded();
      fill(messages, h("p", { class: "success", role: "status" }, `Added ${bike.name}. `, h("a", { href: `/bikes/${bike.id}` }, "Add its parts")));
    } catch (error) {
      showError(messages, error);
    } finally {
      finish();
    }
  });
  return form;
}

async function drawGarage(list, dueBox, sensorBox) {
  const [{ items: bikes }, usage, due, sensors] = await Promise.all([
    api("/api/v1/bikes"),
    api("/api/v1/bikes/usage"),
    api("/api/v1/maintenance/due"),
    api("/api/v1/sensors"),
  ]);
  const totals = totalsOf(usage);
  const active = bikes.filter((bike) => !bike.retired_at);
  const retired = bikes.filter((bike) => bike.retired_at);
  fill(
    list,
    active.length ? bikesTable("Your bikes in service, with the rides on each", active, totals) : h("p", { class: "empty" }, "No bikes yet: add one below, then its parts."),
    retired.length ? [h("h3", {}, "Retired"), bikesTable("Retired bikes", retired, totals)] : null,
  );
  fill(dueBox, dueTable(due, bikes) || h("p", { class: "empty" }, "No part with a service interval yet. Add a chain, tyres or brake pads on a bike's page."));
  fill(sensorBox, sensorsTable(sensors));
}

export async function render(main) {
  document.title = "Bikes · BikeNode";
  const list = h("div", { class: "bike-list" });
  const dueBox = h("div");
  const sensorBox = h("div");
  const [sports] = await Promise.all([api("/api/v1/rides/sports"), drawGarage(list, dueBox, sensorBox)]);
  fill(
    main,
    h("h1", {}, "Bikes"),
    h("section", { class: "panel", "aria-labelledby": "garage-title" }, h("h2", { id: "garage-title" }, "Your garage"), list),
    h("section", { class: "panel", "aria-labelledby": "due-title" }, h("h2", { id: "due-title" }, "Due soon"), dueBox),
    h("section", { class: "panel", "aria-labelledby": "sensors-title" }, h("h2", { id: "sensors-title" }, "Sensors"), sensorBox),
    addBikeForm(
      sports.map((s) => s.sport),
      () => drawGarage(list, dueBox, sensorBox),
    ),
  );
}

/** The dashboard's card: up to three parts at 80 % of their interval or more, else null. */
export async function dueCard() {
  const due = await api("/api/v1/maintenance/due");
  if (!due.items.some((item) => item.status.warn)) return null;
  const { items: bikes } = await api("/api/v1/bikes");
  return h(
    "section",
    { class: "panel due-card", "aria-labelledby": "due-card-title" },
    h("h2", { id: "due-card-title" }, "Due soon"),
    dueTable(due, bikes, { from: due.warn_at, limit: 3, caption: "Parts close to or past their service interval" }),
    h("p", {}, h("a", { href: "/bikes" }, "Your bikes →")),
  );
}
