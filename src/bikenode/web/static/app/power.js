// /power?range=90d: the best average power for every duration over a range of days (a log
// duration axis), the ride that holds the best at standard durations, and the critical power
// models fitted to the curve, drawn over it. ?rider=: a coach reads an athlete's, read-only.

import { api } from "./api.js";
import { riderQuery, riderSwitcher } from "./coaches.js";
import { field, fill, h, navigate, sentence, showError } from "./dom.js";
import { powerChart } from "./fitness-charts.js";
import { addDays } from "./fitness.js";
import * as u from "./units.js";

// [key in the address, label, days back from today (null: from the first ride)]
const RANGES = [
  ["42d", "42 days", 42],
  ["90d", "90 days", 90],
  ["1y", "Season (1 year)", 365],
  ["all", "All time", null],
];
const STANDARD_S = [5, 15, 30, 60, 300, 600, 1200, 3600];
const MAX_RANGE_DAYS = 20 * 366; // the API's longest range
const MODEL_NAMES = { "2p": "Two-parameter model", "3p": "Three-parameter model" };

const today = () => u.localDay(new Date().toISOString());

async function rangeQuery(key, rider) {
  const end = today();
  const [, , back] = RANGES.find(([k]) => k === key);
  if (back !== null) return `from=${addDays(end, 1 - back)}&to=${end}`;
  const earliest = addDays(end, 1 - MAX_RANGE_DAYS);
  // A coach cannot list the athlete's rides; the API's longest range costs no more (month curves).
  if (rider) return `from=${earliest}&to=${end}`;
  const oldest = await api("/api/v1/rides?limit=1&sort=started_at&order=asc");
  const started = oldest.items[0]?.started_at;
  const first = started ? u.localDay(started) : end;
  return `from=${first < earliest ? earliest : first > end ? end : first}&to=${end}`;
}

async function load(key, rider) {
  const range = (await rangeQuery(key, rider)) + riderQuery(rider);
  const [curve, models] = await Promise.all([
    api(`/api/v1/fitness/power-curve?${range}`),
    api(`/api/v1/fitness/models?${range}`),
  ]);
  const standard = STANDARD_S.flatMap((seconds) => {
    const i = curve.durations_s.indexOf(seconds);
    return i < 0 ? [] : [{ seconds, watts: curve.watts[i], rideId: curve.ride_ids[i] }];
  });
  // The names of the few rides that hold the standard bests, for their links.
  const ids = [...new Set(standard.map((s) => s.rideId))];
  const found = await Promise.all(ids.map((id) => api(`/api/v1/rides/${id}`).catch(() => null)));
  const rides = new Map(ids.map((id, i) => [id, found[i]]));
  return { curve, models, standard, rides };
}

function standardTable(standard, rides, rider) {
  const rows = standard.map(({ seconds, watts, rideId }) => {
    const ride = rides.get(rideId);
    // An athlete's ride the coach may not open (not shared with them) is named, not linked.
    const name = rider && !ride ? h("span", { class: "meta" }, "A ride not shared with you") : h("a", { href: `/rides/${rideId}` }, ride?.name || "The ride");
    return h(
      "tr",
      { dataset: { seconds: String(seconds), watts: String(watts), ride: rideId } },
      h("td", {}, u.span(seconds)),
      h("td", {}, u.number(watts, "W")),
      h("td", {}, name, ride?.started_at ? h("span", { class: "meta" }, ` ${u.date(ride.started_at)}`) : null),
    );
  });
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data power-bests" },
      h("caption", {}, "Best average power at standard durations, and the ride that holds each"),
      h("thead", {}, h("tr", {}, ["Duration", "Power", "Ride"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows),
    ),
  );
}

function interval(ci, format) {
  return ci ? h("span", { class: "meta ci" }, `95 %: ${format(ci[0])}–${format(ci[1])}`) : null;
}

function fitCard(fit) {
  const window = `${u.span(fit.window_s[0])} to ${u.span(fit.window_s[1])}`;
  const title = h("h3", {}, `${MODEL_NAMES[fit.model]}, fitted from ${window}`);
  if (fit.refused) {
    return h("div", { class: "model-fit", dataset: { model: fit.model } }, title, h("p", { class: "refused" }, `Not fitted: ${sentence(fit.refused)}`));
  }
  const watts = (v) => u.number(v, "W");
  const kilojoules = (v) => u.number(v / 1000, "kJ", 1);
  const stat = (key, label, value, ...text) =>
    value === null ? null : h("div", { class: "stat", dataset: { key, value: String(value) } }, h("dt", {}, label), h("dd", {}, ...text));
  return h(
    "div",
    { class: "model-fit", dataset: { model: fit.model } },
    title,
    h(
      "dl",
      { class: "stats", "aria-label": MODEL_NAMES[fit.model] },
      stat("cp_w", "Critical power (CP)", fit.cp_w, watts(fit.cp_w), interval(fit.cp_ci_w, (v) => u.number(v))),
      stat("w_prime_j", "W′ (work above CP)", fit.w_prime_j, kilojoules(fit.w_prime_j), interval(fit.w_prime_ci_j, (v) => u.number(v / 1000, "", 1))),
      stat("p_max_w", "Peak power (Pmax)", fit.p_max_w, watts(fit.p_max_w), interval(fit.p_max_ci_w, (v) => u.number(v))),
      stat("ftp_w", "Estimated FTP", fit.ftp_w, watts(fit.ftp_w)),
      stat("rmse_w", "Fit error (RMSE)", fit.rmse_w, `${u.number(fit.rmse_w, "W", 1)} over ${fit.points} points`),
    ),
  );
}

function modelsPanel(models) {
  return h(
    "section",
    { class: "panel models" },
    h("h2", {}, "Critical power models"),
    h(
      "p",
      { class: "hint" },
      "Fitted to the curve above; the estimated FTP is each model's power for an hour. The intervals understate the uncertainty, since neighbouring points of a curve are not independent.",
    ),
    models.fits.map(fitCard),
  );
}

function rangePicker(current, onPick) {
  const select = h(
    "select",
    { name: "range", id: "power-range" },
    RANGES.map(([key, label]) => h("option", { value: key, selected: key === current }, label)),
  );
  select.addEventListener("change", () => onPick(select.value));
  return h("div", { class: "range-picker" }, field("Range", select));
}

export async function render(main, { query }) {
  document.title = "Power · BikeNode";
  let range = RANGES.some(([key]) => key === query.get("range")) ? query.get("range") : "90d";
  const rider = query.get("rider") || null;
  const [athletes, first] = await Promise.all([api("/api/v1/me/athletes"), load(range, rider)]);
  let data = first;
  let stopChart = () => {};
  const results = h("div", { class: "power-results" });
  const modelsHolder = h("div");
  const status = h("p", { class: "visually-hidden", role: "status" });
  const errors = h("div");

  function draw() {
    stopChart();
    stopChart = () => {};
    const { curve, models, standard, rides } = data;
    const count = curve.rides_with_power;
    if (!curve.durations_s.length) {
      fill(results, h("p", { class: "empty" }, "No rides with power in this range."));
      fill(modelsHolder);
      return;
    }
    const chart = h("div", {
      class: "power-chart",
      role: "img",
      "aria-label": "Best average power for each duration, on a logarithmic duration axis, with the fitted models dashed",
    });
    fill(
      results,
      h("p", { class: "meta" }, `From ${count} ${count === 1 ? "ride" : "rides"} with power.`),
      h("figure", { class: "chart-figure" }, h("figcaption", {}, "Best power (W) for each duration"), chart),
      standardTable(standard, rides, rider),
    );
    fill(modelsHolder, modelsPanel(models));
    stopChart = powerChart(chart, curve, models.fits.filter((fit) => !fit.refused));
  }

  async function pick(key) {
    range = key;
    history.replaceState(null, "", `/power?range=${key}${riderQuery(rider)}`);
    results.setAttribute("aria-busy", "true");
    try {
      data = await load(range, rider);
      showError(errors, null);
      draw();
      const label = RANGES.find(([k]) => k === key)[1].toLowerCase();
      status.textContent = `Showing ${label}: ${data.curve.rides_with_power} rides with power.`;
    } catch (error) {
      showError(errors, error);
    }
    results.removeAttribute("aria-busy");
  }

  fill(
    main,
    h("div", { class: "title-row" }, h("h1", {}, "Power"), h("div", { class: "actions" }, h("a", { href: `/fitness${riderQuery(rider, true)}`, class: "button" }, "Fitness"))),
    riderSwitcher(athletes.users, rider, (id) => navigate(`/power?range=${range}${riderQuery(id)}`)),
    h("section", { class: "panel" }, h("h2", {}, "Power curve"), rangePicker(range, pick), errors, status, results),
    modelsHolder,
  );
  draw();
  return () => stopChart();
}
