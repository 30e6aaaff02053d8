// Settings: name, units, timezone, FTP, heart rates, weight and health sharing; the heatmap
// opt-out; then Security.

import { api, currentUser, rememberUser } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";
import { accountSections } from "./account.js";
import { settingsSection as heatmapSettings } from "./heatmap.js";
import { preferencesSection } from "./notifications.js";
import { securitySection } from "./security.js";
import { setPreferences } from "./units.js";

function zones(current) {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const all = [...new Set(["UTC", current, ...known])].sort();
  return all.map((zone) => h("option", { value: zone, selected: zone === current }, zone));
}

function optionalInt(input) {
  const text = input.value.trim();
  return text === "" ? null : Number.parseInt(text, 10);
}

const POUNDS_PER_KG = 2.20462262;

function weightKg(value, pounds) {
  if (value === null || !pounds) return value;
  return Math.round((value / POUNDS_PER_KG) * 10) / 10;
}

function optionalNumber(input) {
  const text = input.value.trim();
  return text === "" ? null : Number(text);
}

export async function render(main) {
  document.title = "Settings · BikeNode";
  const me = await currentUser();
  const pounds = me.units === "imperial"; // the weight field's unit, as drawn
  const messages = h("div", { "aria-live": "polite" });
  const unitChoice = (value, label) =>
    h(
      "label",
      { class: "choice" },
      h("input", { type: "radio", name: "units", value, checked: me.units === value }),
      ` ${label}`,
    );
  const form = h(
    "form",
    { class: "card narrow" },
    field(
      "Your name",
      h("input", { name: "display_name", required: true, maxlength: "100", value: me.display_name }),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Units"),
      unitChoice("metric", "Metric (km, m, km/h)"),
      unitChoice("imperial", "Imperial (mi, ft, mph)"),
    ),
    field(
      "Timezone",
      h("select", { name: "timezone" }, zones(me.timezone)),
      "Dates, weeks and years are counted in this timezone.",
    ),
    field(
      "FTP (watts)",
      h("input", {
        name: "ftp_w",
        type: "number",
        min: "30",
        max: "2500",
        step: "1",
        inputmode: "numeric",
        value: me.ftp_w ?? "",
      }),
      "Functional threshold power: sets your power zones.",
    ),
    field(
      "Maximum heart rate (bpm)",
      h("input", {
        name: "max_hr_bpm",
        type: "number",
        min: "100",
        max: "250",
        step: "1",
        inputmode: "numeric",
        value: me.max_hr_bpm ?? "",
      }),
      "Sets your heart-rate zones. Zones apply to rides imported from now on.",
    ),
    field(
      "Resting heart rate (bpm)",
      h("input", {
        name: "resting_hr_bpm",
        type: "number",
        min: "25",
        max: "120",
        step: "1",
        inputmode: "numeric",
        value: me.resting_hr_bpm ?? "",
      }),
      "Stored encrypted; only you can see it.",
    ),
    field(
      pounds ? "Weight (lb)" : "Weight (kg)",
      h("input", {
        name: "weight_kg",
        type: "number",
        min: pounds ? "44" : "20",
        max: pounds ? "661" : "300",
        step: "0.1",
        inputmode: "decimal",
        value: me.weight_kg == null ? "" : pounds ? (me.weight_kg * POUNDS_PER_KG).toFixed(1) : me.weight_kg,
      }),
      "Stored encrypted; only you can see it.",
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Heart rate and power"),
      h(
        "label",
        { class: "choice" },
        h("input", {
          type: "checkbox",
          name: "share_health_by_default",
          checked: me.share_health_by_default,
          "aria-describedby": "share-health-hint",
        }),
        " Show heart rate and power of my public rides to others",
      ),
      h(
        "p",
        { class: "hint", id: "share-health-hint" },
        "Heart rate is health data, so it is off unless you turn it on. Each ride can say otherwise in its Edit form.",
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Segment age and weight classes"),
      field(
        "Birth year",
        h("input", { name: "birth_year", type: "number", min: "1900", max: "2100", step: "1", inputmode: "numeric", value: me.birth_year ?? "" }),
        "Only a year: enough for a ten-year age class.",
      ),
      h(
        "label",
        { class: "choice" },
        h("input", { type: "checkbox", name: "share_board_classes", checked: me.share_board_classes }),
        " Rank me in segment boards' age and weight classes",
      ),
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Save settings"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const json = {
      display_name: form.display_name.value.trim(),
      units: form.units.value,
      timezone: form.timezone.value,
      ftp_w: optionalInt(form.ftp_w),
      max_hr_bpm: optionalInt(form.max_hr_bpm),
      resting_hr_bpm: optionalInt(form.resting_hr_bpm),
      weight_kg: weightKg(optionalNumber(form.weight_kg), pounds),
      share_health_by_default: form.share_health_by_default.checked,
      birth_year: optionalInt(form.birth_year),
      share_board_classes: form.share_board_classes.checked,
    };
    const finish = busy(form);
    try {
      const saved = await api("/api/v1/me", { method: "PATCH", json });
      rememberUser(saved);
      setPreferences(saved);
      fill(messages, h("p", { class: "success", role: "status" }, "Saved."));
    } catch (error) {
      showError(messages, error);
    } finally {
      finish();
    }
  });
  const security = await securitySection();
  const notices = await preferencesSection();
  const heat = await heatmapSettings();
  fill(main, h("h1", {}, "Settings"), h("p", { class: "hint narrow" }, `Signed in as ${me.email}. `, h("a", { href: "/settings/apps" }, "Apps and tokens")), form, notices, heat, webhooksLink(), crashLink(), security, accountSections());
}

function webhooksLink() {
  return h(
    "section",
    { id: "webhooks" },
    h("h2", {}, "Webhooks"),
    h("p", { class: "hint narrow" }, "Let your own programs hear of your rides: ", h("a", { href: "/settings/webhooks" }, "manage webhooks"), "."),
  );
}

function crashLink() {
  return h(
    "section",
    { id: "crash-detection" },
    h("h2", {}, "Crash detection"),
    h("p", { class: "hint narrow" }, "Warn your emergency contacts if you crash on a live ride: ", h("a", { href: "/settings/crash" }, "set up crash detection"), "."),
  );
}
