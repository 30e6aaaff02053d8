// The segments page: the rider's own segments and their latest efforts.

import { api } from "./api.js";
import { fill, h } from "./dom.js";
import * as u from "./units.js";

function segmentList(segments) {
  if (!segments.length) {
    return h("p", { class: "meta" }, "No segments yet: open one of your rides and make one from a stretch of it.");
  }
  return h(
    "ul",
    { class: "segment-list" },
    segments.map((s) =>
      h(
        "li",
        { "data-segment": s.id },
        h("a", { href: `/segments/${s.id}` }, s.name),
        " ",
        h("span", { class: "meta" }, `${u.distance(s.distance_m)} · ${s.visibility}`),
      ),
    ),
  );
}

function effortTable(efforts, names) {
  if (!efforts.length) return h("p", { class: "meta" }, "No efforts yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data numeric my-efforts" },
      h("thead", {}, h("tr", {}, h("th", {}, "Segment"), h("th", {}, "Time"), h("th", {}, "Date"))),
      h(
        "tbody",
        {},
        efforts.map((e) =>
          h(
            "tr",
            {},
            h("td", {}, h("a", { href: `/segments/${e.segment_id}` }, names.get(e.segment_id) || "Segment")),
            h("td", {}, h("a", { href: `/rides/${e.ride_id}` }, u.duration(e.elapsed_s))),
            h("td", {}, u.date(e.started_at)),
          ),
        ),
      ),
    ),
  );
}

export async function render(main) {
  document.title = "Segments · BikeNode";
  const [{ segments }, { efforts }] = await Promise.all([
    api("/api/v1/segments"),
    api("/api/v1/segments/efforts/mine?limit=50"),
  ]);
  const names = new Map(segments.map((s) => [s.id, s.name]));
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Segments"),
    h("section", { class: "panel" }, h("h2", {}, "Your segments"), segmentList(segments)),
    h("section", { class: "panel" }, h("h2", {}, "Your latest efforts"), effortTable(efforts, names)),
  );
  return null;
}
