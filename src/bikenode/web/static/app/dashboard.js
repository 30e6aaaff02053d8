// The dashboard: this week, this year and all time, weekly volume over a year, every year,
// personal records, recent rides.

import { api, currentUser } from "./api.js";
import { dueCard } from "./bikes.js";
import { weeklyChart } from "./charts.js";
import { fill, h } from "./dom.js";
import * as u from "./units.js";

function volumeCard(title, key, volume) {
  const stat = (label, text) => h("div", { class: "stat" }, h("dt", {}, label), h("dd", {}, text));
  return h(
    "section",
    { class: "card volume", dataset: { period: key } },
    h("h2", {}, title),
    h(
      "dl",
      { class: "stats" },
      stat("Distance", u.distance(volume.distance_m, 1)),
      stat("Time", u.duration(volume.moving_time_s)),
      stat("Climbing", u.elevation(volume.elevation_gain_m)),
      stat("Rides", String(volume.rides)),
    ),
  );
}

function recentList(rides) {
  if (!rides.length)
    return h(
      "p",
      { class: "empty" },
      "No rides yet. ",
      h("a", { href: "/upload" }, "Upload your first ones"),
      ".",
    );
  return h(
    "ul",
    { class: "recent" },
    rides.map((ride) =>
      h(
        "li",
        {},
        h("a", { href: `/rides/${ride.id}` }, ride.name),
        h(
          "span",
          { class: "meta" },
          [u.date(ride.started_at), u.distance(ride.distance_m), u.duration(ride.moving_time_s)].join(" · "),
        ),
      ),
    ),
  );
}

function weeksTable(weeks) {
  return h(
    "details",
    { class: "as-table" },
    h("summary", {}, "Show as a table"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data numeric" },
        h(
          "thead",
          {},
          h(
            "tr",
            {},
            ["Week of", "Distance", "Time", "Rides"].map((t) => h("th", { scope: "col" }, t)),
          ),
        ),
        h(
          "tbody",
          {},
          weeks
            .filter((w) => w.rides)
            .reverse()
            .map((w) =>
              h(
                "tr",
                {},
                [
                  u.date(`${w.week_start}T12:00:00Z`, { dateStyle: "medium", timeZone: "UTC" }),
                  u.distance(w.distance_m, 1),
                  u.duration(w.moving_time_s),
                  String(w.rides),
                ].map((t) => h("td", {}, t)),
              ),
            ),
        ),
      ),
    ),
  );
}

function yearsTable(years) {
  if (!years.length) return null;
  return h(
    "section",
    { class: "panel years" },
    h("h2", {}, "Year by year"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data numeric" },
        h("thead", {}, h("tr", {}, ["Year", "Distance", "Time", "Climbing", "Rides"].map((t) => h("th", { scope: "col" }, t)))),
        h(
          "tbody",
          {},
          years.map((y) =>
            h(
              "tr",
              { dataset: { year: String(y.year) } },
              h("td", {}, h("a", { href: `/calendar?month=${y.year}-01` }, String(y.year))),
              [u.distance(y.distance_m, 0), u.duration(y.moving_time_s), u.elevation(y.elevation_gain_m), String(y.rides)].map((t) => h("td", {}, t)),
            ),
          ),
        ),
      ),
    ),
  );
}

function recordRow(effort, best, ride) {
  return h(
    "tr",
    {},
    h("td", {}, effort),
    h("td", { class: "record-value" }, best),
    h("td", { class: "record-ride" }, h("a", { href: `/rides/${ride.id}` }, ride.name), h("span", { class: "meta" }, ride.started_at ? ` ${u.date(ride.started_at)}` : "")),
  );
}

function recordsPanel(records) {
  const rows = [
    ...records.fastest.map((r) => recordRow(`Fastest ${u.effortDistance(r.distance_m)}`, `${u.duration(r.duration_s)} · ${u.speed(r.distance_m / r.duration_s)}`, r.ride)),
    ...records.best_power.map((r) => recordRow(`Power, ${u.span(r.duration_s)}`, u.number(r.power_w, "W"), r.ride)),
  ];
  if (!rows.length) return null;
  return h(
    "section",
    { class: "panel records" },
    h("h2", {}, "Personal records"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data" },
        h("caption", { class: "visually-hidden" }, "Your best efforts over all your rides, and the ride each came from"),
        h("thead", {}, h("tr", {}, ["Effort", "Best", "Ride"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

export async function render(main) {
  document.title = "Dashboard · BikeNode";
  const [me, stats, recent, records, due] = await Promise.all([
    currentUser(),
    api("/api/v1/rides/stats"),
    api("/api/v1/rides?limit=5"),
    api("/api/v1/rides/records"),
    dueCard().catch(() => null), // the dashboard stands without it
  ]);
  const chart = h("div", {
    class: "weekly-chart",
    role: "img",
    "aria-label": `Distance ridden each week over the last year, in ${u.distanceUnit()}`,
  });
  fill(
    main,
    h(
      "div",
      { class: "title-row" },
      h("h1", {}, `Hello, ${me.display_name}`),
      h("div", { class: "actions" }, h("a", { href: "/calendar", class: "button" }, "Calendar"), h("a", { href: "/upload", class: "button primary" }, "Upload rides")),
    ),
    h(
      "div",
      { class: "cards" },
      volumeCard("This week", "week", stats.this_week),
      volumeCard("This year", "year", stats.this_year),
      volumeCard("All time", "all", stats.all_time),
    ),
    due,
    h(
      "section",
      { class: "panel" },
      h("h2", {}, `Weekly distance (${u.distanceUnit()})`),
      chart,
      weeksTable(stats.weeks),
    ),
    yearsTable(stats.years),
    recordsPanel(records),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Recent rides"),
      recentList(recent.items),
      recent.items.length ? h("p", {}, h("a", { href: "/rides" }, "All rides →")) : null,
    ),
  );
  const x = stats.weeks.map((w) => Date.parse(`${w.week_start}T00:00:00Z`) / 1000);
  const y = stats.weeks.map((w) => u.toDistance(w.distance_m));
  return weeklyChart(chart, x, y, u.distanceUnit());
}
