// /health: today's readiness and the factors behind it, alerts with their explanations, a
// chart per metric with its baseline and usual range, today's values, and an import of a
// CSV file or a watch's FIT monitoring file.
// Days are the rider's (YYYY-MM-DD in their timezone); weight shows in kg or lb.

import { api } from "./api.js";
import { followWidth, width } from "./charts.js";
import { coachesPanel, riderQuery, riderSwitcher } from "./coaches.js";
import { busy, field, fill, h, sentence, showError } from "./dom.js";
import * as u from "./units.js";

const CHART_DAYS = 90;
const CHART_HEIGHT = 180;
const DAY_S = 86_400;
// [API name, label, unit shown, colour]; weight's unit follows the rider's choice.
const METRICS = [
  ["resting_hr_bpm", "Resting heart rate", () => "bpm", "#c2255c"],
  ["hrv_rmssd_ms", "HRV (rMSSD)", () => "ms", "#1d6fb8"],
  ["weight_kg", "Weight", u.weightUnit, "#2b8a3e"],
  ["sleep_h", "Sleep", () => "h", "#7048e8"],
  ["fatigue_1_5", "Fatigue", () => "of 5", "#e67700"],
  ["soreness_1_5", "Soreness", () => "of 5", "#d9480f"],
  ["mood_1_5", "Mood", () => "of 5", "#0c8599"],
  ["steps", "Steps", () => "steps", "#5c940d"],
];
const LABEL = Object.fromEntries(METRICS.map(([key, label]) => [key, label]));
const unitOf = (metric) => METRICS.find(([key]) => key === metric)[2]();
// Values in the rider's units (weight may be lb); everything else is as the API has it.
const shown = (metric, value) => (metric === "weight_kg" && value != null ? u.toWeight(value) : value);
const STATE_WORDS = {
  ready: "Ready",
  "take it easy": "Take it easy",
  "rest advised": "Rest advised",
  "not enough data": "Not enough data",
};

export const addDays = (day, n) => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_S * 1000).toISOString().slice(0, 10);
const today = () => u.localDay(new Date().toISOString());
/** A YYYY-MM-DD day (already the rider's) for people: formatted as that day, not shifted. */
const dayText = (day) => u.date(`${day}T12:00:00Z`, { dateStyle: "medium", timeZone: "UTC" });
const daySeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

function valueText(metric, value) {
  if (value === null || value === undefined) return "—";
  const digits = metric === "weight_kg" || metric === "sleep_h" ? 1 : 0;
  return u.number(shown(metric, value), unitOf(metric), digits);
}

function readinessPanel(readiness) {
  const factors = readiness.factors.map((f) =>
    h(
      "li",
      { dataset: { metric: f.metric, status: f.status } },
      h("strong", {}, LABEL[f.metric] || f.metric),
      `: ${valueText(f.metric, f.value)}, ${f.status}`,
      f.baseline !== null ? ` (usual ${valueText(f.metric, f.baseline)}, range ${valueText(f.metric, f.usual_low)} to ${valueText(f.metric, f.usual_high)})` : "",
      f.note ? h("span", { class: "meta" }, ` ${sentence(f.note)}`) : null,
    ),
  );
  return h(
    "section",
    { class: "panel readiness", dataset: { state: readiness.state, day: readiness.day } },
    h("h2", {}, `Readiness for ${dayText(readiness.day)}`),
    h("p", { class: "readiness-state" }, STATE_WORDS[readiness.state] || readiness.state),
    factors.length ? h("ul", { class: "factors" }, factors) : h("p", { class: "empty" }, "Enter today's values below to see what is behind it."),
  );
}

function alertItem(alert, onAcknowledge) {
  const e = alert.explanation;
  const stat = (key, label, value) => h("div", { class: "stat", dataset: { key, value: String(value) } }, h("dt", {}, label), h("dd", {}, value));
  const details = e
    ? [
        h("p", { class: "alert-message" }, e.message),
        h(
          "dl",
          { class: "stats" },
          stat("values", "Values", e.values.join(", ")),
          stat("baseline", "Usual", e.baseline),
          stat("usual_low", "Usual range from", e.usual_low),
          stat("usual_high", "to", e.usual_high),
          stat("days", "Days", e.days),
        ),
        e.also.length ? h("ul", { class: "also" }, e.also.map((note) => h("li", {}, sentence(note)))) : null,
      ]
    : h("p", { class: "empty" }, "This alert's explanation cannot be read (its key is gone).");
  // A coach reads alerts but never acknowledges them (onAcknowledge null).
  const acknowledge = alert.acknowledged
    ? h("p", { class: "meta acknowledged" }, "Acknowledged")
    : !onAcknowledge
      ? null
      : h("button", { type: "button", onclick: (event) => onAcknowledge(alert, event.target) }, "Acknowledge");
  return h(
    "li",
    { class: "card health-alert", dataset: { alertId: alert.id, metric: alert.metric, acknowledged: String(alert.acknowledged) } },
    h("h3", {}, e ? `${LABEL[alert.metric] || alert.metric}, ${dayText(e.first_day)} to ${dayText(e.last_day)}` : `${LABEL[alert.metric] || alert.metric} from ${dayText(alert.day)}`),
    details,
    acknowledge,
  );
}

function alertsPanel(alerts, onAcknowledge) {
  return h(
    "section",
    { class: "panel alerts" },
    h("h2", {}, "Alerts"),
    alerts.length ? h("ul", { class: "health-alerts" }, alerts.map((a) => alertItem(a, onAcknowledge))) : h("p", { class: "empty" }, "No alerts: nothing out of the usual range."),
  );
}

/** The source with the most values: its values and its baseline are charted. */
function mainSource(values) {
  const counts = new Map();
  values.forEach((m) => counts.set(m.source, (counts.get(m.source) || 0) + 1));
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

function metricChart(container, metric, values, baselines, start, end) {
  const source = mainSource(values);
  const mine = values.filter((m) => m.source === source && m.value !== null);
  const base = new Map(baselines.filter((b) => b.source === source).map((b) => [b.day, b]));
  const byDay = new Map(mine.map((m) => [m.day, m.value]));
  const days = [];
  for (let day = start; day <= end; day = addDays(day, 1)) days.push(day);
  const pick = (key) => days.map((d) => shown(metric, base.get(d)?.[key] ?? null));
  const [, label, , colour] = METRICS.find(([key]) => key === metric);
  const format = (_u, v) => (v == null ? "—" : valueText(metric, metric === "weight_kg" ? u.fromWeight(v) : v));
  const plot = new window.uPlot(
    {
      width: width(container),
      height: CHART_HEIGHT,
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { size: 60 }],
      series: [
        { label: "Day", value: (_u, v) => (v == null ? "—" : dayText(new Date(v * 1000).toISOString().slice(0, 10))) },
        { label: "Usual high", stroke: "#adb5bd", width: 1, points: { show: false }, value: format },
        { label: "Usual low", stroke: "#adb5bd", width: 1, points: { show: false }, value: format },
        { label: "Usual", stroke: "#868e96", dash: [4, 4], width: 1.5, points: { show: false }, value: format },
        { label, stroke: colour, width: 2, spanGaps: true, points: { show: true, size: 5 }, value: format },
      ],
      bands: [{ series: [1, 2], fill: "#adb5bd33" }],
    },
    [days.map(daySeconds), pick("usual_high"), pick("usual_low"), pick("baseline"), days.map((d) => shown(metric, byDay.get(d) ?? null))],
    container,
  );
  container.dataset.points = String(mine.length);
  container.dataset.source = source || "";
  container.dataset.bandDays = String(base.size);
  const unfollow = followWidth(container, [plot], CHART_HEIGHT);
  return () => {
    unfollow();
    plot.destroy();
  };
}

function entryForm(onSave) {
  const number = (name, min, max, step) => h("input", { name, type: "number", min, max, step, inputmode: "decimal" });
  const score = (name) =>
    h("select", { name }, h("option", { value: "" }, "—"), [1, 2, 3, 4, 5].map((n) => h("option", { value: String(n) }, String(n))));
  const lb = u.isImperial();
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "health-entry", novalidate: true },
    h(
      "div",
      { class: "entry-fields" },
      field("Resting heart rate (bpm)", number("resting_hr_bpm", "25", "220", "1")),
      field("HRV, rMSSD (ms)", number("hrv_rmssd_ms", "1", "500", "0.1")),
      field(`Weight (${u.weightUnit()})`, number("weight_kg", lb ? "44" : "20", lb ? "882" : "400", "0.1")),
      field("Sleep (hours)", number("sleep_h", "0", "24", "0.25")),
      field("Fatigue (5 = exhausted)", score("fatigue_1_5")),
      field("Soreness (5 = very sore)", score("soreness_1_5")),
      field("Mood (5 = very good)", score("mood_1_5")),
      field("Steps", number("steps", "0", "200000", "1")),
    ),
    h("button", { type: "submit", class: "primary" }, "Save today's values"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const day = today();
    const metrics = METRICS.map(([key]) => [key, form.elements[key].value.trim()])
      .filter(([, text]) => text !== "")
      .map(([key, text]) => ({ day, metric: key, value: key === "weight_kg" ? Math.round(u.fromWeight(Number(text)) * 100) / 100 : Number(text) }));
    if (!metrics.length) return showError(messages, "enter at least one value");
    const done = busy(form);
    try {
      await api("/api/v1/health/metrics", { method: "POST", json: { metrics } });
      form.reset();
      fill(messages, h("p", { class: "success", role: "status" }, `Saved ${metrics.length} ${metrics.length === 1 ? "value" : "values"} for ${dayText(day)}.`));
      await onSave();
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, `Today's values`), h("p", { class: "hint" }, "Fill in what you have; a value entered again for today replaces the earlier one."), form, messages);
}

function importForm(onImported) {
  const messages = h("div", { "aria-live": "polite" });
  const input = h("input", { name: "file", type: "file", accept: ".csv,text/csv,.fit", required: true });
  const hint = "A CSV file of lines day,metric,value[,source], e.g. 2025-03-01,weight_kg,70.5 (weight in kg), or a watch's FIT monitoring file (its daily resting heart rate). Every value is imported, or none.";
  const form = h("form", { class: "health-import" }, field("CSV file or device file", input, hint), h("button", { type: "submit" }, "Import"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!input.files.length) return showError(messages, "choose a CSV or FIT file first");
    const body = new FormData();
    body.append("file", input.files[0], input.files[0].name);
    const done = busy(form);
    try {
      const answer = await api("/api/v1/health/metrics/import", { method: "POST", body });
      const from = answer.source ? ` from ${answer.source}` : "";
      fill(messages, h("p", { class: "success", role: "status" }, `Imported ${answer.imported} ${answer.imported === 1 ? "value" : "values"}${from}.`));
      form.reset();
      await onImported();
    } catch (error) {
      const lines = error.body?.errors || [];
      fill(
        messages,
        h("p", { class: "error", role: "alert" }, sentence(error.message)),
        lines.length ? h("ul", { class: "line-errors" }, lines.map((e) => h("li", { dataset: { line: String(e.line) } }, `Line ${e.line}: ${e.error}`))) : null,
      );
    } finally {
      done();
    }
  });
  return h("section", { class: "panel" }, h("h2", {}, "Import a CSV or device file"), form, messages);
}

/** The health data of `rider` (a coach's athlete), or the rider's own with null. */
async function load(start, end, rider = null) {
  const of = riderQuery(rider);
  const [metrics, alerts, readiness] = await Promise.all([
    api(`/api/v1/health/metrics?from=${start}&to=${end}${of}`),
    api(`/api/v1/health/alerts${riderQuery(rider, true)}`),
    api(`/api/v1/health/readiness?day=${end}${of}`),
  ]);
  const present = METRICS.map(([key]) => key).filter((key) => metrics.metrics.some((m) => m.metric === key));
  const baselines = await Promise.all(present.map((key) => api(`/api/v1/health/baselines?metric=${key}&from=${start}&to=${end}${of}`)));
  return { metrics: metrics.metrics, alerts: alerts.alerts, readiness, baselines: Object.fromEntries(present.map((key, i) => [key, baselines[i].days])) };
}

export async function render(main) {
  document.title = "Health · BikeNode";
  const end = today();
  const start = addDays(end, 1 - CHART_DAYS);
  let rider = null; // whose data: null for one's own, else an athlete's id (coach view)
  const [athletes, coaches] = await Promise.all([api("/api/v1/me/athletes"), api("/api/v1/me/coaches")]);
  let data = await load(start, end);
  let stops = [];
  const coachesBox = h("div");
  const showCoaches = async (notice) => fill(coachesBox, coachesPanel((await api("/api/v1/me/coaches")).users, showCoaches, notice));
  const readiness = h("div");
  const alerts = h("div");
  const charts = h("div", { class: "health-charts" });
  const errors = h("div");

  function drawCharts() {
    stops.forEach((stop) => stop());
    stops = [];
    const present = METRICS.filter(([key]) => data.baselines[key]);
    if (!present.length) return fill(charts, h("p", { class: "empty" }, `No values in the last ${CHART_DAYS} days yet.`));
    const figures = present.map(([key, label]) => {
      const chart = h("div", { class: "chart health-chart", role: "img", dataset: { metric: key }, "aria-label": `${label} each day with the usual value and range` });
      const source = mainSource(data.metrics.filter((m) => m.metric === key));
      return [key, chart, h("figure", { class: "chart-figure" }, h("figcaption", {}, `${label} (${unitOf(key)}), from ${source}; grey band: usual range`), chart)];
    });
    fill(charts, figures.map(([, , figure]) => figure));
    stops = figures.map(([key, chart]) => metricChart(chart, key, data.metrics.filter((m) => m.metric === key), data.baselines[key], start, end));
  }

  function draw() {
    fill(readiness, readinessPanel(data.readiness));
    fill(alerts, alertsPanel(data.alerts, rider ? null : acknowledge));
    drawCharts();
  }

  async function reload() {
    data = await load(start, end, rider);
    draw();
  }

  const hint = h("p", { class: "hint" });
  const entry = h("div", { class: "own-only" }, entryForm(reload));
  const own = h("div", { class: "own-only" });
  async function pick(id) {
    rider = id;
    const name = athletes.users.find((a) => a.user_id === id)?.display_name;
    hint.textContent = name
      ? `${name}'s last ${CHART_DAYS} days, which they let you read as their coach.`
      : `Your last ${CHART_DAYS} days, only you and the coaches you choose see them. Baselines are the median of the 60 days before each day, per device.`;
    entry.hidden = own.hidden = Boolean(rider);
    try {
      await reload();
      showError(errors, null);
    } catch (error) {
      showError(errors, error);
    }
  }

  async function acknowledge(alert, button) {
    button.disabled = true;
    try {
      await api(`/api/v1/health/alerts/${alert.id}/acknowledge`, { method: "POST" });
      await reload();
      showError(errors, null);
    } catch (error) {
      button.disabled = false;
      showError(errors, error);
    }
  }

  fill(own, importForm(reload), coachesBox);
  fill(
    main,
    h("h1", {}, "Health"),
    riderSwitcher(athletes.users, rider, pick),
    hint,
    errors,
    readiness,
    alerts,
    entry,
    h("section", { class: "panel" }, h("h2", {}, "Values"), charts),
    own,
  );
  fill(coachesBox, coachesPanel(coaches.users, showCoaches));
  hint.textContent = `Your last ${CHART_DAYS} days, only you and the coaches you choose see them. Baselines are the median of the 60 days before each day, per device.`;
  draw();
  return () => stops.forEach((stop) => stop());
}
