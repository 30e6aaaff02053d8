// The figures of a ride page, built from the ride's JSON: stats, splits, best efforts, zones.
// Each stat carries its raw API value in data-value, so tests can compare it with the API.

import { h } from "./dom.js";
import * as u from "./units.js";

const whole = (unit) => (v) => u.number(v, unit);

// [key, label, where the value is ("ride" or "summary"), format]
const STATS = [
  ["distance_m", "Distance", "ride", (v) => u.distance(v)],
  ["moving_time_s", "Moving time", "ride", u.duration],
  ["elapsed_time_s", "Elapsed time", "ride", u.duration],
  ["avg_speed_mps", "Average speed", "summary", u.speed],
  ["max_speed_mps", "Top speed", "summary", u.speed],
  ["elevation_gain_m", "Climbing", "ride", u.elevation],
  ["elevation_loss_m", "Descent", "summary", u.elevation],
  ["max_elevation_m", "Highest point", "summary", u.elevation],
  ["avg_hr_bpm", "Average heart rate", "summary", whole("bpm")],
  ["max_hr_bpm", "Maximum heart rate", "summary", whole("bpm")],
  ["avg_power_w", "Average power", "summary", whole("W")],
  ["weighted_power_w", "Weighted power", "summary", whole("W")],
  ["max_power_w", "Maximum power", "summary", whole("W")],
  ["intensity", "Intensity", "summary", (v) => u.number(v, "", 2)],
  ["training_stress", "Training stress", "summary", whole("")],
  ["avg_cadence_rpm", "Average cadence", "summary", whole("rpm")],
  ["avg_temperature_c", "Average temperature", "summary", u.temperature],
  ["calories_kcal", "Energy", "summary", whole("kcal")],
];

export function statsList(ride) {
  const summary = ride.summary || {};
  const items = STATS.flatMap(([key, label, where, format]) => {
    const value = where === "ride" ? ride[key] : summary[key];
    if (value === null || value === undefined) return [];
    return [
      h(
        "div",
        { class: "stat", dataset: { key, value: String(value) } },
        h("dt", {}, label),
        h("dd", {}, format(value)),
      ),
    ];
  });
  return h("dl", { class: "stats", "aria-label": "Ride statistics" }, items);
}

function table(caption, headings, rows, extraClass = "") {
  return h(
    "div",
    // A long table scrolls in its own box; tabindex lets keyboard users scroll it.
    rows.length > 12
      ? { class: "table-wrap tall", tabindex: "0", role: "region", "aria-label": caption }
      : { class: "table-wrap" },
    h(
      "table",
      { class: `data ${extraClass}` },
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          headings.map((text) => h("th", { scope: "col" }, text)),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((cells) =>
          h(
            "tr",
            {},
            cells.map((cell) => h("td", {}, cell)),
          ),
        ),
      ),
    ),
  );
}

function section(title, ...content) {
  return h("section", { class: "panel" }, h("h2", {}, title), ...content);
}

// Splits per mile in imperial units (rides imported before mile splits existed keep their
// kilometres, labelled as such). Time is moving time; a pause is shown in its own column.
export function splitsSection(summary) {
  const perMile = u.isImperial() && (summary.splits_mi || []).length > 0;
  const splits = (perMile ? summary.splits_mi : summary.splits) || [];
  if (!splits.length) return null;
  const length = perMile ? (m) => u.distance(m) : (m) => `${(m / 1000).toFixed(2)} km`;
  const paused = splits.some((split) => split.paused_s >= 1);
  const rows = splits.map((split) => [
    String(split.index),
    length(split.distance_m),
    u.duration(split.moving_s ?? split.duration_s),
    ...(paused ? [split.paused_s >= 1 ? u.duration(split.paused_s) : ""] : []),
    u.speed(split.speed_mps),
    split.elevation_change_m === null
      ? "—"
      : `${split.elevation_change_m >= 0 ? "+" : "−"}${u.elevation(Math.abs(split.elevation_change_m))}`,
  ]);
  const headings = ["#", "Distance", "Moving time", ...(paused ? ["Paused"] : []), "Speed", "Climb"];
  const caption = perMile ? "Each mile of the ride" : "Each kilometre of the ride";
  return section("Splits", table(caption, headings, rows, "numeric splits"));
}

export function effortsSection(summary) {
  const power = (summary.best_power || []).filter((effort) => effort.power_w !== null);
  const fastest = (summary.fastest || []).filter((effort) => effort.duration_s !== null);
  if (!power.length && !fastest.length) return null;
  return section(
    "Best efforts",
    h(
      "div",
      { class: "columns" },
      power.length
        ? table(
            "Highest average power",
            ["Duration", "Power"],
            power.map((e) => [u.span(e.duration_s), u.number(e.power_w, "W")]),
            "numeric",
          )
        : null,
      fastest.length
        ? table(
            "Fastest distances",
            ["Distance", "Time", "Speed"],
            fastest.map((e) => [
              u.effortDistance(e.distance_m),
              u.duration(e.duration_s),
              u.speed(e.distance_m / e.duration_s),
            ]),
            "numeric",
          )
        : null,
    ),
  );
}

function zoneTable(caption, zones, unit) {
  const total = zones.reduce((sum, zone) => sum + zone.duration_s, 0) || 1;
  const rows = zones.map((zone) => {
    const share = (zone.duration_s / total) * 100;
    const range =
      zone.high === null
        ? `${Math.round(zone.low)}+ ${unit}`
        : `${Math.round(zone.low)}–${Math.round(zone.high)} ${unit}`;
    const bar = h("meter", {
      min: "0",
      max: "100",
      value: share.toFixed(1),
      "aria-label": `${share.toFixed(0)} %`,
    });
    return [
      `Z${zone.zone} ${zone.name}`,
      range,
      u.duration(zone.duration_s),
      h("span", { class: "zone-bar" }, bar, ` ${share.toFixed(0)} %`),
    ];
  });
  return table(caption, ["Zone", "Range", "Time", "Share"], rows, "zones");
}

export function zonesSection(summary, isOwner) {
  const hr = summary.hr_zones || [];
  const power = summary.power_zones || [];
  const hint =
    isOwner && (!hr.length || !power.length)
      ? h(
          "p",
          { class: "hint" },
          "Zones are computed when a ride is imported, from the maximum heart rate and FTP in your ",
          h("a", { href: "/settings" }, "settings"),
          ".",
        )
      : null;
  if (!hr.length && !power.length && !hint) return null;
  return section(
    "Time in zones",
    h(
      "div",
      { class: "columns" },
      hr.length ? zoneTable("Heart-rate zones", hr, "bpm") : null,
      power.length ? zoneTable("Power zones", power, "W") : null,
    ),
    hint,
  );
}

// W' balance (GET /api/v1/rides/{id}/w-balance): null unless the answer has figures. CP and
// W' come only to the rider.
export function wBalanceSection(report) {
  if (!report || report.min_w_balance_j === null) return null;
  const stat = (key, label, text) =>
    h("div", { class: "stat", dataset: { key, value: String(report[key]) } }, h("dt", {}, label), h("dd", {}, text));
  const model = report.model === "3p" ? "three-parameter" : "two-parameter";
  const basis =
    report.cp_w !== null && report.w_prime_j !== null
      ? `Under your ${model} model of the 90 days up to this ride: CP ${u.number(report.cp_w, "W")}, W′ ${u.number(report.w_prime_j / 1000, "kJ", 1)}.`
      : "Under the rider's critical power model of the 90 days up to this ride.";
  return h(
    "section",
    { class: "panel w-balance" },
    h("h2", {}, "W′ balance"),
    h(
      "dl",
      { class: "stats", "aria-label": "W′ balance" },
      stat("min_w_balance_j", "Lowest W′ balance", u.number(report.min_w_balance_j / 1000, "kJ", 1)),
      stat("max_depletion", "Most of W′ used", u.number(report.max_depletion * 100, "%")),
      stat("hard_efforts", "Hard efforts (2 kJ or more)", String(report.hard_efforts)),
    ),
    h("p", { class: "hint" }, basis),
  );
}
