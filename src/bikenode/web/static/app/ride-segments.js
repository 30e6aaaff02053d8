// The ride page's segments: the efforts this ride holds, and (for its owner) a form that
// makes a new segment from a stretch of it.

import { api } from "./api.js";
import { busy, fill, h, navigate, showError } from "./dom.js";
import * as u from "./units.js";

function effortsTable(efforts) {
  if (!efforts.length) return h("p", { class: "meta" }, "This ride passed no segments.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "data numeric ride-segments" },
      h("thead", {}, h("tr", {}, h("th", {}, "Segment"), h("th", {}, "Distance"), h("th", {}, "Time"))),
      h(
        "tbody",
        {},
        efforts.map((e) =>
          h(
            "tr",
            { "data-segment": e.segment_id },
            h("td", {}, h("a", { href: `/segments/${e.segment_id}` }, e.segment_name)),
            h("td", {}, u.distance(e.segment_distance_m)),
            h("td", {}, u.duration(e.elapsed_s)),
          ),
        ),
      ),
    ),
  );
}

function number(name, label) {
  const input = h("input", { name, id: `seg-${name}`, type: "number", min: "0", step: "0.01", required: true });
  return h("div", { class: "field" }, h("label", { for: input.id }, label), input);
}

function createForm(ride) {
  const unit = u.isImperial() ? "mi" : "km";
  const metres = u.isImperial() ? 1609.344 : 1000;
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "segment-create", "aria-label": "Make a segment" },
    h("div", { class: "field" }, h("label", { for: "seg-name" }, "Title"), h("input", { name: "name", id: "seg-name", required: true, maxlength: "200" })),
    number("start", `Starts at (${unit} into the ride)`),
    number("end", `Ends at (${unit} into the ride)`),
    h(
      "div",
      { class: "field" },
      h("label", { for: "seg-visibility" }, "Visible to"),
      h(
        "select",
        { name: "visibility", id: "seg-visibility" },
        h("option", { value: "public" }, "Everyone"),
        h("option", { value: "private" }, "Only me"),
      ),
    ),
    h("button", { type: "submit" }, "Make the segment"),
    messages,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const made = await api("/api/v1/segments", {
        method: "POST",
        json: {
          name: form.name.value.trim(),
          visibility: form.visibility.value,
          from_ride: {
            ride_id: ride.id,
            start_m: Number(form.start.value) * metres,
            end_m: Number(form.end.value) * metres,
          },
        },
      });
      navigate(`/segments/${made.id}`);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return h("details", { class: "segment-create-box" }, h("summary", {}, "Make a segment from this ride"), form);
}

/** The ride's segments section (null if the efforts cannot be read). */
export async function rideSegmentsSection(ride, isOwner) {
  let efforts;
  try {
    ({ efforts } = await api(`/api/v1/rides/${ride.id}/efforts`));
  } catch {
    return null; // the ride page stands without it
  }
  const slot = h("div", {});
  fill(slot, effortsTable(efforts));
  return h(
    "section",
    { class: "panel ride-segments-panel", "aria-labelledby": "ride-segments-title" },
    h("h2", { id: "ride-segments-title" }, "Segments on this ride"),
    slot,
    isOwner && ride.distance_m ? createForm(ride) : null,
  );
}
