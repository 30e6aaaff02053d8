// The training stress a ride counts with on the fitness page (GET/PUT/DELETE
// /api/v1/fitness/rides/{id}/stress), shown to the rider only, with their own figure to use
// instead of the computed one (a ride without power or heart rate, or one the model misjudges).

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import * as u from "./units.js";

const SOURCES = { power: "from power and your FTP that day", heart_rate: "from heart rate", none: "" };

function summaryText(stress) {
  const computed =
    stress.stress === null
      ? `No stress could be computed: ${stress.stress_reason || "no power or heart rate"}.`
      : `Computed: ${u.number(stress.stress, "")} ${SOURCES[stress.stress_source]}.`;
  if (stress.stress_override === null) return computed;
  return `Counts your own figure, ${u.number(stress.stress_override, "")}. ${computed}`;
}

/** The panel for one of the rider's rides; redraws itself after a change. */
export async function rideStressSection(rideId) {
  const path = `/api/v1/fitness/rides/${rideId}/stress`;
  const slot = h("section", { class: "panel ride-stress", "aria-labelledby": "ride-stress-title" });
  const draw = (stress) => {
    const messages = h("div", { "aria-live": "polite" });
    const input = h("input", {
      name: "stress",
      type: "number",
      min: "0",
      max: "2000",
      step: "1",
      inputmode: "numeric",
      required: true,
      value: stress.stress_override ?? "",
    });
    const form = h(
      "form",
      { class: "stress-override" },
      field("Your own figure", input, "Counted on the fitness page instead of the computed one."),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "submit", class: "primary" }, "Use my figure"),
        stress.stress_override === null ? null : h("button", { type: "button", class: "use-computed" }, "Use the computed figure"),
      ),
      messages,
    );
    const change = async (request) => {
      const done = busy(form);
      try {
        draw(await request());
      } catch (error) {
        done();
        showError(messages, error);
      }
    };
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      change(() => api(path, { method: "PUT", json: { stress: Number(input.value) } }));
    });
    form.querySelector(".use-computed")?.addEventListener("click", () =>
      change(async () => {
        await api(path, { method: "DELETE" });
        return api(path);
      }),
    );
    fill(
      slot,
      h("h2", { id: "ride-stress-title" }, "Training stress"),
      h("p", { class: "stress-summary", dataset: { override: String(stress.stress_override ?? "") } }, summaryText(stress)),
      form,
    );
  };
  try {
    draw(await api(path));
  } catch {
    return null; // an untimed ride counts on no day: nothing to show
  }
  return slot;
}
