// A segment's page: its figures, map and leaderboard (all time, this year, this month).

import { api, currentUser } from "./api.js";
import { errorBox, fill, h, navigate, showError } from "./dom.js";
import { rideMap } from "./map.js";
import * as u from "./units.js";

const PERIODS = [
  ["all", "All time"],
  ["year", "This year"],
  ["month", "This month"],
];

function figures(segment) {
  const grade = segment.avg_grade_pct === null ? "–" : `${u.number(segment.avg_grade_pct, "%", 1)}`;
  const gain = segment.elevation_gain_m === null ? "–" : u.elevation(segment.elevation_gain_m);
  return h(
    "dl",
    { class: "stats segment-stats" },
    h("div", { class: "stat" }, h("dt", {}, "Distance"), h("dd", {}, u.distance(segment.distance_m))),
    h("div", { class: "stat" }, h("dt", {}, "Average grade"), h("dd", {}, grade)),
    h("div", { class: "stat" }, h("dt", {}, "Climbing"), h("dd", {}, gain)),
    h("div", { class: "stat" }, h("dt", {}, "Visible to"), h("dd", {}, segment.visibility === "public" ? "Everyone" : "Only you")),
  );
}

function boardTable(board, meId) {
  if (!board.entries.length) return h("p", { class: "meta board-empty" }, "No efforts on this board yet.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data numeric leaderboard" },
      h("caption", {}, "Each rider's best effort"),
      h("thead", {}, h("tr", {}, h("th", {}, "Rank"), h("th", {}, "Rider"), h("th", {}, "Time"), h("th", {}, "Date"))),
      h(
        "tbody",
        {},
        board.entries.map((entry) =>
          h(
            "tr",
            { "data-rider": entry.rider_id, class: entry.rider_id === meId ? "mine" : null },
            h("td", {}, String(entry.rank)),
            h("td", {}, entry.rider_id === meId ? `${entry.rider_name} (you)` : entry.rider_name),
            h("td", {}, h("a", { href: `/rides/${entry.effort.ride_id}` }, u.duration(entry.effort.elapsed_s))),
            h("td", {}, u.date(entry.effort.started_at)),
          ),
        ),
      ),
    ),
  );
}

async function drawBoard(slot, segmentId, period, meId, club = "") {
  try {
    const query = new URLSearchParams({ period });
    if (club) query.set("club", club);
    const board = await api(`/api/v1/segments/${segmentId}/leaderboard?${query}`);
    fill(slot, boardTable(board, meId));
  } catch (error) {
    showError(slot, error);
  }
}

function historyList(efforts) {
  if (!efforts.length) return h("p", { class: "meta" }, "You have no effort here yet.");
  return h(
    "ol",
    { class: "best-history" },
    efforts.map((e) =>
      h(
        "li",
        { class: e.personal_best ? "pb" : null },
        h("a", { href: `/rides/${e.ride_id}` }, u.duration(e.elapsed_s)),
        ` · ${u.date(e.started_at)}`,
        e.personal_best ? h("span", { class: "badge" }, " personal best") : null,
      ),
    ),
  );
}

async function historySection(segmentId) {
  try {
    const { efforts } = await api(`/api/v1/segments/${segmentId}/efforts/mine`);
    return h(
      "section",
      { class: "panel", "aria-labelledby": "history-title" },
      h("h2", { id: "history-title" }, "Your efforts"),
      historyList(efforts),
    );
  } catch {
    return null; // the page stands without it
  }
}

function deleteButton(segment) {
  const messages = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "danger" }, "Delete the segment");
  button.addEventListener("click", async () => {
    if (!window.confirm("Delete this segment and every effort on it?")) return;
    try {
      await api(`/api/v1/segments/${segment.id}`, { method: "DELETE" });
      navigate("/segments");
    } catch (error) {
      showError(messages, error);
    }
  });
  return h("div", { class: "actions" }, button, messages);
}

async function myClubs() {
  try {
    const { items } = await api("/api/v1/clubs?limit=100");
    return items.filter((club) => club.status === "active");
  } catch {
    return []; // the board stands without the selector
  }
}

export async function render(main, { params, config }) {
  let segment, me;
  try {
    [segment, me] = await Promise.all([api(`/api/v1/segments/${params[0]}`), currentUser().catch(() => null)]);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.title = "Segment not found · BikeNode";
    fill(main, h("h1", {}, "Segment not found"), errorBox("This segment does not exist, or it is private."));
    return null;
  }
  document.title = `${segment.name} · BikeNode`;
  const meId = me?.id || null;
  const mapBox = h("div", { class: "map", id: "segment-map", tabindex: "0", "aria-label": "Map of the segment" });
  const slot = h("div", { class: "board-slot", "aria-live": "polite" });
  const select = h(
    "select",
    { id: "board-period", name: "period" },
    PERIODS.map(([value, label]) => h("option", { value }, label)),
  );
  // The club selector lists the viewer's clubs (active memberships): a club board is theirs only.
  const clubs = meId ? await myClubs() : [];
  const clubSelect = h(
    "select",
    { id: "board-club", name: "club" },
    h("option", { value: "" }, "Everyone"),
    clubs.map((club) => h("option", { value: club.id }, club.name)),
  );
  const redraw = () => drawBoard(slot, segment.id, select.value, meId, clubSelect.value);
  select.addEventListener("change", redraw);
  clubSelect.addEventListener("change", redraw);
  const clubField = clubs.length
    ? h("div", { class: "field inline" }, h("label", { for: "board-club" }, "Riders"), " ", clubSelect)
    : null;
  fill(
    main,
    h(
      "article",
      { class: "segment" },
      h("h1", { tabindex: "-1" }, segment.name),
      figures(segment),
      mapBox,
      h(
        "section",
        { class: "panel", "aria-labelledby": "board-title" },
        h("h2", { id: "board-title" }, "Leaderboard"),
        h("div", { class: "field inline" }, h("label", { for: "board-period" }, "Period"), " ", select),
        clubField,
        slot,
      ),
      meId ? await historySection(segment.id) : null,
      segment.owner_id === meId ? deleteButton(segment) : null,
    ),
  );
  await drawBoard(slot, segment.id, "all", meId);
  const map = rideMap(
    mapBox,
    segment.points.map((p) => p[0]),
    segment.points.map((p) => p[1]),
    { tileUrl: config.mapTileUrl, attribution: config.mapTileAttribution, imperial: u.isImperial() },
  );
  return () => map.destroy();
}
