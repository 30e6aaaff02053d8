// Charts of the fitness pages, with uPlot like charts.js: the training load over days (with
// daily stress as bars and a forecast in dashes), and the power curve on a log duration axis.

import { followWidth, width } from "./charts.js";
import * as u from "./units.js";

const LOAD_HEIGHT = 260;
const POWER_HEIGHT = 260;
const FORECAST_DASH = [6, 4];
const MIN_TICK_GAP_PX = 44;
// Colours of the three curves; the forecast draws each in its own colour, dashed.
export const LOAD_SERIES = [
  ["fitness", "Fitness", "#1d6fb8"],
  ["fatigue", "Fatigue", "#c2255c"],
  ["form", "Form", "#e67700"],
];
// Duration axis ticks of the power curve: seconds and their labels.
const DURATION_TICKS = [
  [1, "1 s"],
  [5, "5 s"],
  [15, "15 s"],
  [60, "1 min"],
  [300, "5 min"],
  [1200, "20 min"],
  [3600, "1 h"],
  [4 * 3600, "4 h"],
  [12 * 3600, "12 h"],
];

/** Seconds since the epoch of a YYYY-MM-DD day's UTC midnight: the x of the load chart. */
export const daySeconds = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/** A YYYY-MM-DD day (already the rider's) for people: "Aug 16, 2013" in the browser's language. */
export const dayText = (day) =>
  new Date(`${day}T12:00:00Z`).toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
const secondsText = (seconds) =>
  new Date(seconds * 1000).toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" });
const whole = (_u, v) => (v == null ? "—" : u.number(v));

function stop(plot, container, height) {
  const unfollow = followWidth(container, [plot], height);
  return () => {
    unfollow();
    plot.destroy();
  };
}

/**
 * The load of `days` (the API's load days) and of `ahead` (its forecast days, after them):
 * fitness, fatigue and form as lines, the forecast as dashed lines from the last actual day,
 * and daily stress as bars on their own scale. Returns the function that removes the chart.
 */
export function loadChart(container, days, ahead) {
  const last = days.length - 1;
  const x = [...days, ...ahead].map((d) => daySeconds(d.day));
  const actual = (key) => [...days.map((d) => d[key]), ...ahead.map(() => null)];
  const planned = (key) => [...days.map((d, i) => (i === last ? d[key] : null)), ...ahead.map((d) => d[key])];
  const line = (label, stroke, dash) => ({ label, stroke, dash, width: 2, scale: "load", points: { show: false }, value: whole });
  const series = [
    { label: "Day", value: (_u, v) => (v == null ? "—" : secondsText(v)) },
    {
      label: "Stress",
      scale: "stress",
      stroke: "#868e96",
      fill: "#868e9666",
      paths: window.uPlot.paths.bars({ size: [0.8, 12] }),
      points: { show: false },
      value: whole,
    },
    ...LOAD_SERIES.map(([, label, color]) => line(label, color, null)),
    ...(ahead.length ? LOAD_SERIES.map(([, label, color]) => line(`${label} ahead`, color, FORECAST_DASH)) : []),
  ];
  const data = [
    x,
    [...days.map((d) => (d.stress > 0 ? d.stress : null)), ...ahead.map(() => null)],
    ...LOAD_SERIES.map(([key]) => actual(key)),
    ...(ahead.length ? LOAD_SERIES.map(([key]) => planned(key)) : []),
  ];
  const plot = new window.uPlot(
    {
      width: width(container),
      height: LOAD_HEIGHT,
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: true },
        // Bars stay in the lower part of the chart, under the curves.
        stress: { range: (_u, _min, max) => [0, Math.max(100, (max || 0) * 2.5)] },
      },
      axes: [
        { size: 30 },
        { scale: "load", size: 44 },
        { scale: "stress", side: 1, size: 40, grid: { show: false }, label: "Stress", labelSize: 14 },
      ],
      series,
    },
    data,
    container,
  );
  container.dataset.days = String(days.length);
  container.dataset.aheadDays = String(ahead.length);
  return stop(plot, container, LOAD_HEIGHT);
}

/** A power-duration model's watts at each duration, or null where it is not drawn. */
export function modelWatts(fit, durations) {
  const { model, cp_w: cp, w_prime_j: wPrime, p_max_w: pMax } = fit;
  if (model === "3p") {
    const k = wPrime / (pMax - cp);
    return durations.map((t) => wPrime / (t + k) + cp);
  }
  // The 2-parameter model runs to infinity at short durations: drawn from its window only.
  return durations.map((t) => (t >= fit.window_s[0] ? wPrime / t + cp : null));
}

/**
 * The mean-max power curve over a log duration axis, and each fitted model (`fits`, those
 * with values) as a dashed line. Returns the function that removes the chart.
 */
export function powerChart(container, curve, fits) {
  const x = curve.durations_s;
  const colours = { "2p": "#2b8a3e", "3p": "#e67700" };
  const names = { "2p": "2-parameter model", "3p": "3-parameter model" };
  const watts = (_u, v) => (v == null ? "—" : u.number(v, "W"));
  const plot = new window.uPlot(
    {
      width: width(container),
      height: POWER_HEIGHT,
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      scales: {
        x: { time: false, distr: 3, log: 10 },
        y: { range: (_u, _min, max) => [0, Math.ceil(((max || 100) * 1.08) / 50) * 50] },
      },
      axes: [
        {
          size: 32,
          splits: (plotted) =>
            DURATION_TICKS.map(([s]) => s).filter((s) => s >= plotted.scales.x.min && s <= plotted.scales.x.max),
          values: (_u, splits) => splits.map((s) => DURATION_TICKS.find(([t]) => t === s)?.[1] ?? ""),
          // A log axis labels only some ticks by default; label every chosen tick that has room.
          filter: (plotted, splits) => {
            let last = -Infinity;
            return splits.map((s) => {
              const at = plotted.valToPos(s, "x");
              if (at - last < MIN_TICK_GAP_PX) return null;
              last = at;
              return s;
            });
          },
        },
        { size: 60, values: (_u, splits) => splits.map((v) => `${v} W`) },
      ],
      series: [
        { label: "Duration", value: (_u, v) => (v == null ? "—" : u.duration(v)) },
        { label: "Best power", stroke: "#7048e8", fill: "#7048e822", width: 2, points: { show: false }, value: watts },
        ...fits.map((fit) => ({
          label: names[fit.model],
          stroke: colours[fit.model],
          dash: FORECAST_DASH,
          width: 1.5,
          points: { show: false },
          value: watts,
        })),
      ],
    },
    [x, curve.watts, ...fits.map((fit) => modelWatts(fit, x))],
    container,
  );
  container.dataset.points = String(x.length);
  container.dataset.models = fits.map((fit) => fit.model).join(" ");
  return stop(plot, container, POWER_HEIGHT);
}
