// /fitness?range=90d: fitness, fatigue and form over a range of days with daily stress, a
// forecast of the days ahead, why some rides count no stress, and the settings behind it all.
// Days are the rider's (the API counts them in the rider's timezone).

import { api } from "./api.js";
import { riderQuery, riderSwitcher } from "./coaches.js";
import { busy, field, fill, h, navigate, sentence, showError } from "./dom.js";
import { LOAD_SERIES, dayText, loadChart } from "./fitness-charts.js";
import { profileForm, thresholdsEditor } from "./fitness-settings.js";
import * as u from "./units.js";

// [key in the address, label, days back from today (null: from the first ride)]
const RANGES = [
  ["90d", "90 days", 90],
  ["6m", "6 months", 183],
  ["1y", "1 year", 365],
  ["all", "All", null],
];
const MAX_RANGE_DAYS = 20 * 366; // the API's longest range
const DEFAULT_FORECAST_DAYS = 14;

/** The YYYY-MM-DD day `n` days after `day`. */
export function addDays(day, n) {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}

const today = () => u.localDay(new Date().toISOString());

const COACH_ALL_DAYS = 365; // a coach cannot list the athlete's rides, so "all" is a year

async function firstDay(end, rider) {
  if (rider) return addDays(end, 1 - COACH_ALL_DAYS);
  const oldest = await api("/api/v1/rides?limit=1&sort=started_at&order=asc");
  const started = oldest.items[0]?.started_at;
  const first = started ? u.localDay(started) : addDays(end, -89);
  const earliest = addDays(end, 1 - MAX_RANGE_DAYS);
  return first < earliest ? earliest : first > end ? end : first;
}

/** The load days of a range, of `rider` (a coach's athlete) or one's own with null. */
async function rangeDays(key, rider = null) {
  const end = today();
  const [, , back] = RANGES.find(([k]) => k === key);
  const start = back === null ? await firstDay(end, rider) : addDays(end, 1 - back);
  return (await api(`/api/v1/fitness/load?from=${start}&to=${end}${riderQuery(rider)}`)).days;
}

// Form in words, by the bands coaches commonly use.
function formWords(form) {
  if (form < -30) return "very tired: a heavy block, time to rest soon";
  if (form < -10) return "training hard";
  if (form <= 5) return "steady";
  if (form <= 25) return "fresh";
  return "rested for a while: fitness is fading";
}

function todayCard(day, profile) {
  const stat = (key, label, value) =>
    h("div", { class: "stat", dataset: { key, value: String(value) } }, h("dt", {}, label), h("dd", {}, u.number(value)));
  return [
    h(
      "p",
      { class: "load-words" },
      `Today, ${dayText(day.day)}: fitness ${u.number(day.fitness)}, fatigue ${u.number(day.fatigue)}, form ${u.number(day.form)} (${formWords(day.form)}).`,
    ),
    h(
      "dl",
      { class: "stats", "aria-label": "Today's training load" },
      stat("fitness", "Fitness", day.fitness),
      stat("fatigue", "Fatigue", day.fatigue),
      stat("form", "Form", day.form),
      stat("ramp", `Fitness gained in ${profile.fatigue_days} days`, day.ramp),
    ),
  ];
}

function missingPanel(days) {
  const missing = days.filter((d) => d.missing.length);
  if (!missing.length) return null;
  return h(
    "section",
    { class: "panel missing-stress" },
    h("h2", {}, "Rides that count no stress"),
    h(
      "p",
      { class: "hint" },
      "Set your FTP or heart-rate thresholds (maximum and resting) for the days of these rides in ",
      h("a", { href: "#thresholds" }, "Thresholds"),
      " below.",
    ),
    h(
      "ul",
      {},
      missing.map((d) => h("li", { dataset: { day: d.day } }, h("strong", {}, dayText(d.day)), ": ", d.missing.map(sentence).join(" "))),
    ),
  );
}

function daysTable(days) {
  const ridden = days.filter((d) => d.rides).reverse();
  if (!ridden.length) return h("p", { class: "empty" }, "No rides in this range.");
  const rows = ridden.map((d) =>
    h("tr", { dataset: { day: d.day } }, [dayText(d.day), String(d.rides), u.number(d.stress), u.number(d.fitness), u.number(d.fatigue), u.number(d.form)].map((t) => h("td", {}, t))),
  );
  return h(
    "details",
    { class: "as-table" },
    h("summary", {}, "Show the days you rode as a table"),
    h(
      "div",
      rows.length > 12 ? { class: "table-wrap tall", tabindex: "0", role: "region", "aria-label": "Days you rode" } : { class: "table-wrap" },
      h(
        "table",
        { class: "data numeric" },
        h("caption", {}, "Days you rode: stress, and the load at the end of the day"),
        h("thead", {}, h("tr", {}, ["Day", "Rides", "Stress", "Fitness", "Fatigue", "Form"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

function forecastWords(ahead) {
  if (!ahead.length) return "";
  const end = ahead[ahead.length - 1];
  const perDay = ahead.reduce((sum, d) => sum + d.stress, 0) / ahead.length;
  return `In ${ahead.length} ${ahead.length === 1 ? "day" : "days"}, ${dayText(end.day)}, riding about ${u.number(perDay)} stress a day: fitness ${u.number(end.fitness)}, fatigue ${u.number(end.fatigue)}, form ${u.number(end.form)}.`;
}

function forecastForm(onAsk) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "forecast-form" },
    field(
      "Planned stress each day",
      h("input", { name: "planned", type: "number", min: "0", max: "1000", step: "1", inputmode: "numeric", placeholder: "last 4 weeks' average" }),
      "Leave it empty to keep the average of the last four weeks.",
    ),
    field("Days ahead", h("input", { name: "days", type: "number", min: "1", max: "365", step: "1", required: true, inputmode: "numeric", value: String(DEFAULT_FORECAST_DAYS) })),
    h("button", { type: "submit" }, "Draw the forecast"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const days = Number(form.days.value);
      const text = form.planned.value.trim();
      await onAsk(days, text === "" ? null : Array(days).fill(Number(text)));
      showError(messages, null);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return h("div", {}, form, messages);
}

function rangePicker(current, onPick) {
  const select = h(
    "select",
    { name: "range", id: "fitness-range" },
    RANGES.map(([key, label]) => h("option", { value: key, selected: key === current }, label)),
  );
  select.addEventListener("change", () => onPick(select.value));
  return h("div", { class: "range-picker" }, field("Range", select));
}

export async function render(main, { query }) {
  document.title = "Fitness · BikeNode";
  let range = RANGES.some(([key]) => key === query.get("range")) ? query.get("range") : "90d";
  // ?rider=: a coach reads an athlete's load; the forecast and settings are the athlete's own.
  const rider = query.get("rider") || null;
  const plan = { days: DEFAULT_FORECAST_DAYS, planned_stress: null };
  const forecast = async () => (rider ? { days: [] } : api("/api/v1/fitness/forecast", { method: "POST", json: plan }));
  let [days, ahead, thresholds, profile, athletes] = await Promise.all([
    rangeDays(range, rider),
    forecast().then((answer) => answer.days),
    api(`/api/v1/fitness/thresholds${riderQuery(rider, true)}`),
    api(`/api/v1/fitness/profile${riderQuery(rider, true)}`),
    api("/api/v1/me/athletes"),
  ]);
  let stopChart = () => {};
  const chart = h("div", {
    class: "load-chart",
    role: "img",
    "aria-label": "Fitness, fatigue and form each day, daily stress as bars, and the forecast in dashes",
  });
  const now = h("div", { class: "load-today" });
  const aheadText = h("p", { class: "forecast-words", "aria-live": "polite" });
  const missing = h("div");
  const table = h("div");
  const status = h("p", { class: "visually-hidden", role: "status" });
  const errors = h("div");

  function draw() {
    stopChart();
    fill(chart);
    fill(now, days.length ? todayCard(days[days.length - 1], profile) : null);
    aheadText.textContent = forecastWords(ahead);
    fill(missing, missingPanel(days));
    fill(table, daysTable(days));
    stopChart = loadChart(chart, days, ahead);
  }

  async function reload() {
    [days, ahead] = await Promise.all([rangeDays(range, rider), forecast().then((answer) => answer.days)]);
    draw();
  }

  async function pick(key) {
    range = key;
    history.replaceState(null, "", `/fitness?range=${key}${riderQuery(rider)}`);
    chart.setAttribute("aria-busy", "true");
    try {
      days = await rangeDays(range, rider);
      draw();
      showError(errors, null);
      status.textContent = `Showing ${RANGES.find(([k]) => k === key)[1].toLowerCase()}.`;
    } catch (error) {
      showError(errors, error);
    }
    chart.removeAttribute("aria-busy");
  }

  const editor = thresholdsEditor(thresholds, () => reload().catch((error) => showError(errors, error)));
  const switcher = riderSwitcher(athletes.users, rider, (id) => navigate(`/fitness?range=${range}${riderQuery(id)}`));
  fill(
    main,
    h("div", { class: "title-row" }, h("h1", {}, "Fitness"), h("div", { class: "actions" }, h("a", { href: `/power${riderQuery(rider, true)}`, class: "button" }, "Power curve"))),
    switcher,
    now,
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Training load"),
      rangePicker(range, pick),
      errors,
      status,
      h("figure", { class: "chart-figure" }, h("figcaption", {}, legendNote()), chart),
      table,
    ),
    rider
      ? null
      : h(
      "section",
      { class: "panel forecast" },
      h("h2", {}, "Forecast"),
      aheadText,
      forecastForm(async (count, planned) => {
        const next = { days: count, planned_stress: planned };
        ahead = (await api("/api/v1/fitness/forecast", { method: "POST", json: next })).days;
        Object.assign(plan, next);
        draw();
      }),
    ),
    missing,
    rider ? null : editor.element,
    rider
      ? null
      : profileForm(profile, (saved) => {
          profile = saved;
          return reload();
        }),
  );
  draw();
  return () => {
    editor.stop();
    stopChart();
  };
}

function legendNote() {
  const names = LOAD_SERIES.map(([, label]) => label.toLowerCase()).join(", ");
  return `Each day's ${names}; bars: daily stress; dashes: the forecast`;
}
