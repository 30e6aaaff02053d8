// Coaches on the health page: the rider grants read access to their fitness and health data
// by a coach's e-mail address, sees whom, and revokes it; a coach picks whose data to view.
// The API has the rules (a coach reads through ?rider=, never writes); this only asks it.

import { api } from "./api.js";
import { busy, field, h, showError } from "./dom.js";
import * as u from "./units.js";

const since = (at) => u.date(at, { dateStyle: "medium" });

/** The query suffix that reads `rider`'s data ("" for one's own). */
export const riderQuery = (rider, first = false) => (rider ? `${first ? "?" : "&"}rider=${encodeURIComponent(rider)}` : "");

/** The "Coaches" panel: grant by e-mail address, the list, revoke. onChange(notice) after
 * each redraws the panel, showing the notice in the new one. */
export function coachesPanel(coaches, onChange, notice = null) {
  const messages = h("div", { "aria-live": "polite" }, notice ? h("p", { class: "success", role: "status" }, notice) : null);
  const input = h("input", { name: "coach_email", type: "email", required: true, autocomplete: "off", maxlength: "320" });
  const form = h(
    "form",
    { class: "coach-grant" },
    field("Coach's e-mail address", input, "Your coach reads your fitness and health pages; they cannot change anything."),
    h("button", { type: "submit" }, "Grant access"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const email = input.value.trim();
    if (!email) return showError(messages, "enter your coach's e-mail address");
    const done = busy(form);
    try {
      const coach = await api("/api/v1/me/coaches", { method: "POST", json: { email } });
      form.reset();
      await onChange(`${coach.display_name} can now read your data.`);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  const revoke = async (coach, button) => {
    button.disabled = true;
    try {
      await api(`/api/v1/me/coaches/${coach.user_id}`, { method: "DELETE" });
      await onChange(`${coach.display_name} can no longer read your data.`);
    } catch (error) {
      button.disabled = false;
      showError(messages, error);
    }
  };
  const items = coaches.map((coach) =>
    h(
      "li",
      { class: "coach", dataset: { userId: coach.user_id } },
      h("span", { class: "coach-name" }, coach.display_name),
      h("span", { class: "meta" }, ` since ${since(coach.granted_at)}`),
      h("button", { type: "button", "aria-label": `Revoke ${coach.display_name}'s access`, onclick: (event) => revoke(coach, event.target) }, "Revoke"),
    ),
  );
  return h(
    "section",
    { class: "panel coaches" },
    h("h2", {}, "Coaches"),
    items.length ? h("ul", { class: "coach-list" }, items) : h("p", { class: "empty" }, "Nobody but you reads your data."),
    form,
    messages,
  );
}

/** "Viewing: <rider>" for a coach: yourself or one of your athletes; null without athletes. */
export function riderSwitcher(athletes, current, onPick) {
  if (!athletes.length) return null;
  const select = h(
    "select",
    { name: "rider", id: "f-rider" },
    h("option", { value: "" }, "You"),
    athletes.map((a) => h("option", { value: a.user_id, selected: a.user_id === current }, a.display_name)),
  );
  select.addEventListener("change", () => onPick(select.value || null));
  return h("div", { class: "rider-switcher" }, h("label", { for: "f-rider" }, "Viewing: "), select);
}
