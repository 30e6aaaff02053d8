// The dashboard: this week and this year, weekly volume over a year, recent rides.

import { api, currentUser } from "./api.js";
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

export async function render(main) {
  document.title = "Dashboard · BikeNode";
  const [me, stats, recent] = await Promise.all([
    currentUser(),
    api("/api/v1/rides/stats"),
    api("/api/v1/rides?limit=5"),
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
      h("a", { href: "/upload", class: "button primary" }, "Upload rides"),
    ),
    h(
      "div",
      { class: "cards" },
      volumeCard("This week", "week", stats.this_week),
      volumeCard("This year", "year", stats.this_year),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, `Weekly distance (${u.distanceUnit()})`),
      chart,
      weeksTable(stats.weeks),
    ),
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
