// The ride list: search by name, filter by sport and dates, sort, page through with cursors.
// Filters and sort live in the address (so Back and links work); the cursor stack in memory.

import { api } from "./api.js";
import { errorBox, fill, h } from "./dom.js";
import * as u from "./units.js";

const PAGE_SIZE = 25;
const COLUMNS = [
  ["started_at", "Date", (r) => (r.started_at ? u.date(r.started_at) : "No date")],
  ["name", "Name", (r) => h("a", { href: `/rides/${r.id}` }, r.name)],
  ["sport", "Sport", (r) => (r.commute ? `${u.sportLabel(r.sport)} · commute` : u.sportLabel(r.sport)), false],
  ["distance_m", "Distance", (r) => u.distance(r.distance_m)],
  ["moving_time_s", "Time", (r) => u.duration(r.moving_time_s)],
  ["elevation_gain_m", "Climb", (r) => u.elevation(r.elevation_gain_m)],
];
const DEFAULT_ORDER = { name: "asc" };

function readFilters(query) {
  return {
    q: query.get("q") || "",
    sport: query.get("sport") || "",
    commute: query.get("commute") === "true" ? "true" : "",
    from: query.get("from") || "",
    to: query.get("to") || "",
    sort: query.get("sort") || "started_at",
    order: query.get("order") === "asc" ? "asc" : "desc",
  };
}

function address(filters) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (value && !(key === "sort" && value === "started_at") && !(key === "order" && value === "desc"))
      query.set(key, value);
  }
  const text = query.toString();
  return text ? `/rides?${text}` : "/rides";
}

function apiQuery(filters, cursor) {
  const query = new URLSearchParams({ sort: filters.sort, order: filters.order, limit: String(PAGE_SIZE) });
  if (filters.q) query.set("q", filters.q);
  if (filters.sport) query.set("sport", filters.sport);
  if (filters.commute) query.set("commute", "true");
  if (filters.from) query.set("started_after", u.startOfDay(filters.from));
  if (filters.to) query.set("started_before", u.startOfDay(filters.to, 1));
  if (cursor) query.set("cursor", cursor);
  return `/api/v1/rides?${query}`;
}

// current() gives the filters in force (the sort may have changed since the form was drawn).
function filterForm(current, apply, sports) {
  const filters = current();
  const input = (name, attrs) => h("input", { name, id: `filter-${name}`, value: filters[name], ...attrs });
  const label = (name, text) => h("label", { for: `filter-${name}` }, text);
  const form = h(
    "form",
    { class: "filters", role: "search" },
    h(
      "div",
      { class: "field grow" },
      label("q", "Name contains"),
      input("q", { type: "search", maxlength: "200", placeholder: "e.g. commute" }),
    ),
    h(
      "div",
      { class: "field" },
      label("sport", "Sport"),
      sportSelect(filters.sport, sports),
    ),
    h(
      "label",
      { class: "choice commute-filter" },
      h("input", { type: "checkbox", name: "commute", checked: filters.commute === "true" }),
      " Commutes only",
    ),
    h("div", { class: "field" }, label("from", "From"), input("from", { type: "date" })),
    h("div", { class: "field" }, label("to", "To"), input("to", { type: "date" })),
    h("button", { type: "submit" }, "Filter"),
  );
  const read = () => ({
    ...current(),
    q: form.q.value.trim(),
    sport: form.sport.value,
    commute: form.commute.checked ? "true" : "",
    from: form.from.value,
    to: form.to.value,
  });
  let timer = null;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply(read());
  });
  form.sport.addEventListener("change", () => apply(read()));
  form.commute.addEventListener("change", () => apply(read()));
  form.q.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => apply(read()), 350);
  });
  return form;
}

// Only the sports the rider has, with how many rides each (and the one asked for in the address).
function sportSelect(chosen, sports) {
  const known = sports.some((s) => s.sport === chosen);
  const options = [...sports, ...(chosen && !known ? [{ sport: chosen, rides: 0 }] : [])];
  return h(
    "select",
    { name: "sport", id: "filter-sport" },
    h("option", { value: "" }, "Any sport"),
    options.map((s) => h("option", { value: s.sport, selected: s.sport === chosen }, `${u.sportLabel(s.sport)} (${s.rides})`)),
  );
}

function headerCell(key, text, sortable, filters, apply) {
  if (sortable === false) return h("th", { scope: "col", class: `col-${key}` }, text);
  const active = filters.sort === key;
  const next = active ? (filters.order === "asc" ? "desc" : "asc") : DEFAULT_ORDER[key] || "desc";
  const arrow = active ? (filters.order === "asc" ? " ▲" : " ▼") : "";
  return h(
    "th",
    {
      scope: "col",
      class: `col-${key}`,
      "aria-sort": active ? (filters.order === "asc" ? "ascending" : "descending") : null,
    },
    h(
      "button",
      {
        type: "button",
        class: "sort",
        onclick: () => apply({ ...filters, sort: key, order: next }, "th[aria-sort] button"),
      },
      text,
      h("span", { "aria-hidden": "true" }, arrow),
    ),
  );
}

function ridesTable(items, filters, apply) {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data rides-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          COLUMNS.map(([key, text, , sortable]) => headerCell(key, text, sortable, filters, apply)),
        ),
      ),
      h(
        "tbody",
        {},
        items.map((ride) =>
          h(
            "tr",
            {},
            COLUMNS.map(([key, , cell]) => h("td", { class: `col-${key}` }, cell(ride))),
          ),
        ),
      ),
    ),
  );
}

export async function render(main, { query }) {
  document.title = "Rides · BikeNode";
  let filters = readFilters(query);
  const sports = await api("/api/v1/rides/sports");
  const cursors = [null]; // cursors[n] opens page n
  let page = 0;
  const results = h("div", { class: "results", "aria-live": "polite" });

  // focus: a selector inside the results to focus after drawing (the control just used).
  async function apply(next, focus = null) {
    filters = next;
    history.replaceState(null, "", address(filters));
    cursors.length = 1;
    page = 0;
    await show(focus);
  }

  async function show(focus = null) {
    results.setAttribute("aria-busy", "true");
    try {
      const data = await api(apiQuery(filters, cursors[page]));
      cursors[page + 1] = data.next_cursor;
      fill(results, body(data));
    } catch (error) {
      fill(results, errorBox(error));
    }
    results.removeAttribute("aria-busy");
    if (focus) results.querySelector(focus)?.focus();
  }

  function body(data) {
    if (!data.items.length) {
      const filtered = filters.q || filters.sport || filters.commute || filters.from || filters.to;
      return h(
        "p",
        { class: "empty" },
        filtered ? "No ride matches these filters." : "No rides yet. ",
        filtered ? null : h("a", { href: "/upload" }, "Upload some"),
      );
    }
    const pager = h(
      "nav",
      { class: "pager", "aria-label": "Pages" },
      h(
        "button",
        { type: "button", class: "previous", disabled: page === 0, onclick: () => turn(-1) },
        "← Previous",
      ),
      h("span", {}, `Page ${page + 1}`),
      h(
        "button",
        { type: "button", class: "next", disabled: !data.next_cursor, onclick: () => turn(1) },
        "Next →",
      ),
    );
    return [ridesTable(data.items, filters, apply), pager];
  }

  async function turn(step) {
    page += step;
    await show();
    const [same, other] = step > 0 ? [".next", ".previous"] : [".previous", ".next"];
    (
      results.querySelector(`.pager ${same}:not([disabled])`) || results.querySelector(`.pager ${other}`)
    )?.focus();
  }

  fill(
    main,
    h(
      "div",
      { class: "title-row" },
      h("h1", {}, "Rides"),
      h("a", { href: "/upload", class: "button primary" }, "Upload"),
    ),
    filterForm(() => filters, apply, sports),
    results,
  );
  await show();
}
