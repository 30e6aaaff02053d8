// /calendar?month=YYYY-MM: a month of rides, day by day in the rider's timezone. Without a
// month it opens on the month of the newest ride (an imported archive may end years ago).

import { api } from "./api.js";
import { fill, h } from "./dom.js";
import * as u from "./units.js";

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const PAGE = 200;

const pad = (n) => String(n).padStart(2, "0");
const monthKey = (year, month) => `${year}-${pad(month)}`;

function shift([year, month], by) {
  const index = year * 12 + (month - 1) + by;
  return [Math.floor(index / 12), (index % 12) + 1];
}

async function startingMonth(query) {
  const asked = /^(\d{4})-(\d{2})$/.exec(query.get("month") || "");
  if (asked && Number(asked[2]) >= 1 && Number(asked[2]) <= 12) return [Number(asked[1]), Number(asked[2])];
  const newest = await api("/api/v1/rides?limit=1&sort=started_at&order=desc");
  const day = newest.items[0]?.started_at ? u.localDay(newest.items[0].started_at) : u.localDay(new Date().toISOString());
  return [Number(day.slice(0, 4)), Number(day.slice(5, 7))];
}

async function ridesOfMonth([year, month]) {
  const [nextYear, nextMonth] = shift([year, month], 1);
  const query = new URLSearchParams({
    started_after: u.startOfDay(`${monthKey(year, month)}-01`),
    started_before: u.startOfDay(`${monthKey(nextYear, nextMonth)}-01`),
    sort: "started_at",
    order: "asc",
    limit: String(PAGE),
  });
  const rides = [];
  for (let cursor = null; ; ) {
    if (cursor) query.set("cursor", cursor);
    const page = await api(`/api/v1/rides?${query}`);
    rides.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) return rides;
  }
}

function dayCell(day, rides, inMonth) {
  if (!inMonth) return h("li", { class: "day outside", "aria-hidden": "true" });
  const date = new Date(`${day}T12:00:00Z`);
  const weekday = date.toLocaleDateString(undefined, { weekday: "short", timeZone: "UTC" });
  return h(
    "li",
    { class: rides.length ? "day has-rides" : "day empty", dataset: { day } },
    h("span", { class: "day-number" }, h("span", { class: "day-name" }, `${weekday} `), String(date.getUTCDate())),
    rides.length
      ? h(
          "ul",
          {},
          rides.map((ride) =>
            h("li", {}, h("a", { href: `/rides/${ride.id}` }, ride.name), h("span", { class: "meta" }, ` ${u.distance(ride.distance_m, 1)}`)),
          ),
        )
      : null,
  );
}

function monthGrid([year, month], rides) {
  const byDay = new Map();
  for (const ride of rides) {
    const day = u.localDay(ride.started_at);
    if (!byDay.has(day)) byDay.set(day, []);
    byDay.get(day).push(ride);
  }
  const first = new Date(Date.UTC(year, month - 1, 1));
  const lead = (first.getUTCDay() + 6) % 7; // Monday first
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const cells = [];
  for (let i = 0; i < lead; i++) cells.push(dayCell(null, [], false));
  for (let d = 1; d <= days; d++) {
    const key = `${monthKey(year, month)}-${pad(d)}`;
    cells.push(dayCell(key, byDay.get(key) || [], true));
  }
  return h(
    "div",
    { class: "calendar" },
    h("ol", { class: "weekdays", "aria-hidden": "true" }, WEEKDAYS.map((name) => h("li", {}, name))),
    h("ol", { class: "days" }, cells),
  );
}

export async function render(main, { query }) {
  const current = await startingMonth(query);
  const rides = await ridesOfMonth(current);
  const title = new Date(Date.UTC(current[0], current[1] - 1, 15)).toLocaleDateString(undefined, {
    month: "long",
    year: "numeric",
    timeZone: "UTC",
  });
  document.title = `${title} · Calendar · BikeNode`;
  const link = (by, text) => h("a", { href: `/calendar?month=${monthKey(...shift(current, by))}`, class: "button", rel: by < 0 ? "prev" : "next" }, text);
  const total = rides.reduce((sum, ride) => sum + (ride.distance_m || 0), 0);
  const time = rides.reduce((sum, ride) => sum + (ride.moving_time_s || 0), 0);
  fill(
    main,
    h("div", { class: "title-row" }, h("h1", {}, title), h("div", { class: "actions" }, link(-1, "← Previous month"), link(1, "Next month →"))),
    h(
      "p",
      { class: "month-total" },
      rides.length ? `${rides.length} ${rides.length === 1 ? "ride" : "rides"} · ${u.distance(total, 1)} · ${u.duration(time)}` : "No rides this month.",
    ),
    monthGrid(current, rides),
  );
}
