// The ride page's "Bike" line: the bike a ride was ridden on and why, with a choice of another.

import { api } from "./api.js";
import { fill, h, showError } from "./dom.js";

function reasonText(answer) {
  if (answer.chosen_by_rider) return "chosen by you";
  if (answer.reason) return answer.reason.replace(/_/g, " ");
  return "no bike of yours is the default for this sport";
}

/** The owner's bike line for a ride, or null when the rider has no bikes (or it fails). */
export async function rideBikeLine(rideId) {
  let answer, bikes;
  try {
    [answer, { items: bikes }] = await Promise.all([api(`/api/v1/rides/${rideId}/bike`), api("/api/v1/bikes")]);
  } catch {
    return null; // the ride page stands without it
  }
  if (!bikes.length) return null;
  const reason = h("span", { class: "meta ride-bike-reason" }, reasonText(answer));
  const messages = h("div", { "aria-live": "polite" });
  const choices = bikes.filter((bike) => !bike.retired_at || bike.id === answer.bike_id);
  const select = h(
    "select",
    { id: "ride-bike", name: "bike" },
    h("option", { value: "", selected: !answer.bike_id }, "No bike"),
    choices.map((bike) => h("option", { value: bike.id, selected: bike.id === answer.bike_id }, bike.name)),
  );
  select.addEventListener("change", async () => {
    select.disabled = true;
    try {
      const saved = await api(`/api/v1/rides/${rideId}/bike`, { method: "PUT", json: { bike_id: select.value || null } });
      reason.textContent = reasonText(saved);
      fill(messages, h("p", { class: "success", role: "status" }, "Saved: the bikes' usage follows."));
    } catch (error) {
      showError(messages, error);
    } finally {
      select.disabled = false;
    }
  });
  return h("div", { class: "ride-bike" }, h("label", { for: "ride-bike" }, "Bike"), " ", select, " ", reason, messages);
}
