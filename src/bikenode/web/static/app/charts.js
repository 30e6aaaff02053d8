// Charts with uPlot (vendored, loaded as window.uPlot): a ride's streams sharing one cursor,
// and the dashboard's weekly volume bars.

import { h } from "./dom.js";

const SYNC_KEY = "ride";
const CHART_HEIGHT = 140;

export function width(element) {
  return Math.max(200, Math.floor(element.clientWidth));
}

/** Keep charts as wide as their container; returns the function that stops watching. */
export function followWidth(element, plots, height) {
  const observer = new ResizeObserver(() => {
    plots.forEach((plot) => plot.setSize({ width: width(element), height }));
  });
  observer.observe(element);
  return () => observer.disconnect();
}

function valueFormatter(format) {
  return (_plot, value) => (value === null || value === undefined ? "—" : format(value));
}

/**
 * One chart per stream in `charts` ({key, label, unit, color, values, digits}), all over
 * the same x values, sharing one cursor; onCursor(index or null) follows it. Arrow keys
 * move the cursor when a chart has focus.
 */
export function rideCharts(container, x, xLabel, charts, onCursor) {
  const plots = [];
  for (const chart of charts) {
    const holder = h("div", {
      class: "chart",
      tabindex: "0",
      role: "img",
      "aria-label": `${chart.label} chart; use the arrow keys to move along the ride`,
      dataset: { key: chart.key },
    });
    container.append(
      h("figure", { class: "chart-figure" }, h("figcaption", {}, `${chart.label} (${chart.unit})`), holder),
    );
    const plot = new window.uPlot(
      {
        width: width(holder),
        height: CHART_HEIGHT,
        cursor: {
          sync: { key: SYNC_KEY, setSeries: false, scales: ["x", null] },
          drag: { x: false, y: false },
          points: { size: 7 },
        },
        scales: { x: { time: false } },
        legend: { live: true },
        axes: [{ size: 30 }, { size: 48 }],
        series: [
          { label: xLabel.label, value: valueFormatter(xLabel.format) },
          {
            label: chart.label,
            stroke: chart.color,
            width: 1.5,
            fill: `${chart.color}22`,
            spanGaps: false,
            value: valueFormatter((v) => `${v.toFixed(chart.digits)} ${chart.unit}`),
          },
        ],
        hooks: { setCursor: [(u) => onCursor(u.cursor.idx ?? null)] },
      },
      [x, chart.values],
      holder,
    );
    holder.addEventListener("keydown", (event) => stepCursor(event, plot, x));
    plots.push(plot);
  }
  const stop = followWidth(container, plots, CHART_HEIGHT);
  return () => {
    stop();
    plots.forEach((plot) => plot.destroy());
  };
}

function stepCursor(event, plot, x) {
  const moves = { ArrowLeft: -1, ArrowRight: 1, PageUp: -10, PageDown: 10, Home: -Infinity, End: Infinity };
  if (!(event.key in moves)) return;
  event.preventDefault();
  const step = Math.max(1, Math.round(x.length / 200));
  const current = plot.cursor.idx ?? 0;
  const index = Math.min(x.length - 1, Math.max(0, current + moves[event.key] * step));
  const left = plot.valToPos(x[index], "x");
  plot.setCursor({ left, top: plot.over.clientHeight / 2 }, true, true);
}

/** Weekly bars: x in seconds since the epoch (week starts), y in the rider's unit. */
export function weeklyChart(container, x, y, unit) {
  const plot = new window.uPlot(
    {
      width: width(container),
      height: 180,
      tzDate: (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      legend: { live: true },
      axes: [{ size: 30 }, { size: 44 }],
      series: [
        {
          label: "Week of",
          value: (_u, v) =>
            v == null
              ? "—"
              : new Date(v * 1000).toLocaleDateString(undefined, { dateStyle: "medium", timeZone: "UTC" }),
        },
        {
          label: "Distance",
          stroke: "#1d6fb8",
          fill: "#1d6fb8aa",
          paths: window.uPlot.paths.bars({ size: [0.7, 24] }),
          points: { show: false },
          value: (_u, v) => (v == null ? "—" : `${v.toFixed(1)} ${unit}`),
        },
      ],
    },
    [x, y],
    container,
  );
  const stop = followWidth(container, [plot], 180);
  return () => {
    stop();
    plot.destroy();
  };
}
