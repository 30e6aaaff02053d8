// The settings behind the fitness page: dated thresholds (FTP and heart rates) with the
// progress of the recomputation a change starts, and the training load profile.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import { dayText } from "./fitness-charts.js";
import * as u from "./units.js";

// [API kind, label, unit, input min, input max]
const KINDS = [
  ["ftp_w", "FTP", "W", 30, 2500],
  ["max_hr_bpm", "Maximum heart rate", "bpm", 100, 250],
  ["resting_hr_bpm", "Resting heart rate", "bpm", 25, 120],
  ["threshold_hr_bpm", "Threshold heart rate", "bpm", 60, 250],
];
const POLL_MS = 500;
const RUNNING = new Set(["queued", "running"]);


function thresholdRow(value, number) {
  const kind = h(
    "select",
    { name: "kind", "aria-label": `What, row ${number}` },
    KINDS.map(([key, label, unit]) => h("option", { value: key, selected: value.kind === key }, `${label} (${unit})`)),
  );
  const amount = h("input", {
    name: "value",
    type: "number",
    required: true,
    step: "1",
    inputmode: "numeric",
    "aria-label": `Value, row ${number}`,
    value: value.value ?? "",
  });
  const limits = () => {
    const [, , , min, max] = KINDS.find(([key]) => key === kind.value);
    amount.min = String(min);
    amount.max = String(max);
  };
  kind.addEventListener("change", limits);
  limits();
  const from = h("input", { name: "valid_from", type: "date", required: true, "aria-label": `From, row ${number}`, value: value.valid_from });
  const remove = h("button", { type: "button", class: "link", "aria-label": `Remove row ${number}` }, "Remove");
  const row = h("tr", { class: "threshold" }, h("td", {}, kind), h("td", {}, amount), h("td", {}, from), h("td", {}, remove));
  remove.addEventListener("click", () => {
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    (next?.querySelector("select") || row.closest("form")?.querySelector(".add-threshold"))?.focus();
  });
  return row;
}

function rowsOf(body) {
  return [...body.querySelectorAll("tr.threshold")].map((row) => ({
    kind: row.querySelector("[name=kind]").value,
    value: Number(row.querySelector("[name=value]").value),
    valid_from: row.querySelector("[name=valid_from]").value,
  }));
}

function progressText(view) {
  const from = view.from_day ? ` from ${dayText(view.from_day)}` : "";
  if (view.status === "queued") return `Saved. Recomputing your rides${from}: waiting to start…`;
  if (view.status === "running") return `Saved. Recomputing your rides${from}: ${view.done} of ${view.total}…`;
  const rides = view.total === 1 ? "ride" : "rides";
  return `Saved. ${view.total} ${rides}${from} recomputed.`;
}

/**
 * The thresholds editor, from the API's thresholds answer. After a save it follows the
 * recomputation until it ends, then calls onRecomputed(). Returns {element, stop}.
 */
export function thresholdsEditor(answer, onRecomputed) {
  let stopped = false;
  let timer = null;
  let count = 0;
  const body = h("tbody");
  const addRow = (value) => body.append(thresholdRow(value, ++count));
  answer.values.forEach(addRow);
  const messages = h("div", { class: "recompute", "aria-live": "polite" });

  async function follow(view) {
    if (stopped) return;
    const progress = RUNNING.has(view.status)
      ? h("progress", { max: String(Math.max(1, view.total)), value: String(view.done), "aria-label": "Rides recomputed" })
      : null;
    fill(messages, h("p", { class: "success", role: "status", dataset: { status: view.status } }, progressText(view)), progress);
    if (!RUNNING.has(view.status)) {
      await onRecomputed();
      return;
    }
    timer = setTimeout(async () => {
      try {
        await follow(await api("/api/v1/fitness/recompute"));
      } catch (error) {
        if (!stopped) showError(messages, error);
      }
    }, POLL_MS);
  }

  const add = h("button", { type: "button", class: "add-threshold" }, "Add a value");
  add.addEventListener("click", () => {
    addRow({ kind: "ftp_w", value: "", valid_from: u.localDay(new Date().toISOString()) });
    body.lastElementChild.querySelector("select").focus();
  });
  const form = h(
    "form",
    { class: "thresholds", "aria-labelledby": "thresholds-title" },
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "data threshold-rows" },
        h("caption", {}, "Each value is in force from its day until the next value of its kind."),
        h("thead", {}, h("tr", {}, ["What", "Value", "From", h("span", { class: "visually-hidden" }, "Remove")].map((t) => h("th", { scope: "col" }, t)))),
        body,
      ),
    ),
    h("div", { class: "actions" }, add, h("button", { type: "submit", class: "primary" }, "Save thresholds")),
    messages,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const saved = await api("/api/v1/fitness/thresholds", { method: "PUT", json: { values: rowsOf(body) } });
      body.replaceChildren();
      count = 0;
      saved.values.forEach(addRow);
      done();
      await follow(saved.recompute);
    } catch (error) {
      done();
      showError(messages, error);
    }
  });
  // Opened while an earlier change is still being recomputed: show it, and redraw after.
  if (RUNNING.has(answer.recompute.status)) follow(answer.recompute);
  const element = h(
    "section",
    { class: "panel", id: "thresholds" },
    h("h2", { id: "thresholds-title" }, "Thresholds"),
    h(
      "p",
      { class: "hint" },
      "Training stress comes from power when an FTP is in force on the ride's day, else from heart rate (maximum and resting, and threshold if you know it). A change recomputes the rides from its first changed day. The FTP and heart rates in ",
      h("a", { href: "/settings" }, "Settings"),
      " set the zones of rides you import.",
    ),
    form,
  );
  return {
    element,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The training load profile form; onSaved(profile) after a save. */
export function profileForm(profile, onSaved) {
  const messages = h("div", { "aria-live": "polite" });
  const days = (name, value) =>
    h("input", { name, type: "number", min: "1", max: "400", step: "1", required: true, inputmode: "numeric", value });
  const seed = (name, value) =>
    h("input", { name, type: "number", min: "0", max: "1000", step: "0.1", required: true, inputmode: "decimal", value });
  const form = h(
    "form",
    { class: "load-profile" },
    field("Fitness time constant (days)", days("fitness_days", profile.fitness_days), "How long fitness remembers training: 42 days by default."),
    field("Fatigue time constant (days)", days("fatigue_days", profile.fatigue_days), "How long fatigue lasts: 7 days by default."),
    field("Fitness before your first ride", seed("seed_fitness", profile.seed_fitness), "If you trained before the rides you imported: your fitness on the day before the first one."),
    field("Fatigue before your first ride", seed("seed_fatigue", profile.seed_fatigue), "The same for fatigue; 0 for both if you start fresh."),
    h(
      "label",
      { class: "choice" },
      h("input", { type: "checkbox", name: "form_same_day", checked: profile.form_same_day }),
      " Count a day's rides in that day's form (otherwise form is the morning's)",
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Save load settings"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const json = {
        fitness_days: Number(form.fitness_days.value),
        fatigue_days: Number(form.fatigue_days.value),
        form_same_day: form.form_same_day.checked,
        seed_fitness: Number(form.seed_fitness.value),
        seed_fatigue: Number(form.seed_fatigue.value),
      };
      const saved = await api("/api/v1/fitness/profile", { method: "PUT", json });
      fill(messages, h("p", { class: "success", role: "status" }, "Saved."));
      await onSaved(saved);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return h("section", { class: "panel", id: "load-settings" }, h("h2", {}, "Load settings"), form);
}
