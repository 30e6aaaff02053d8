// The moderation page (/moderation). Moderators see the queue: open reports, each with a
// summary of what it names, to act on with a reason (dismiss, hide, warn, suspend), and the
// riders' appeals to uphold or overturn. Every rider sees the actions taken against them and
// may appeal each once. Reported text is shown as text, never as HTML.

import { api, currentUser } from "./api.js";
import { busy, errorBox, field, fill, h } from "./dom.js";
import * as u from "./units.js";

const ACTIONS = [
  ["dismiss", "Dismiss the report"],
  ["hide", "Hide it"],
  ["warn", "Warn the rider"],
  ["suspend", "Suspend the rider"],
];
const TITLES = { dismiss: "Report dismissed", hide: "Hidden by a moderator", warn: "Warning", suspend: "Suspension" };
const OBJECTS = { user: "profile", ride: "ride", comment: "comment" };
const APPEAL_STATES = { pending: "waits for a moderator", upheld: "was refused", overturned: "was granted: the action is lifted" };

export const isModerator = (user) => Boolean(user && (user.moderator || user.role === "admin"));

/** A form that sends a reason (and more) and redraws the page; errors shown inside it. */
function reasonForm(label, controls, submit, send) {
  const errors = h("div");
  const form = h("form", { class: "moderation-form", "aria-label": label }, controls, errors, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      await send(event.submitter);
    } catch (error) {
      done();
      fill(errors, errorBox(error));
    }
  });
  return form;
}

function reportItem(report, redraw) {
  const kinds = ACTIONS.filter(([kind]) => kind !== "hide" || report.subject_kind !== "user");
  const kind = h("select", { name: `kind-${report.id}` }, kinds.map(([v, l]) => h("option", { value: v }, l)));
  const until = h("input", { type: "date", name: `until-${report.id}` });
  const untilField = field("Suspended until (leave empty: for good)", until);
  untilField.hidden = true;
  kind.addEventListener("change", () => {
    untilField.hidden = kind.value !== "suspend";
  });
  const reason = h("input", { name: `reason-${report.id}`, required: true, maxlength: 500 });
  const owner = report.owner_name || "a rider";
  const form = reasonForm(
    `Act on the report of ${owner}'s ${OBJECTS[report.subject_kind]}`,
    [field("Action", kind), untilField, field("Reason", reason)],
    h("button", { type: "submit" }, "Act"),
    async () => {
      const body = { kind: kind.value, reason: reason.value, report_id: report.id };
      if (kind.value === "suspend" && until.value) body.until = `${until.value}T00:00:00Z`;
      await api("/api/v1/moderation/actions", { method: "POST", json: body });
      await redraw();
    },
  );
  return h(
    "li",
    { class: "panel" },
    h("p", { class: "meta" }, `${owner}'s ${OBJECTS[report.subject_kind]} · reported ${u.date(report.created_at)}`),
    h("blockquote", { class: "summary" }, report.summary),
    h("p", {}, "Reason given: ", report.reason),
    form,
  );
}

function appealItem(action, redraw) {
  const reason = h("input", { name: `decision-${action.id}`, required: true, maxlength: 500 });
  const button = (decision, label) => h("button", { type: "submit", value: decision }, label);
  const form = reasonForm(
    "Decide the appeal",
    field("Reason", reason),
    h("p", { class: "actions" }, button("uphold", "Uphold"), " ", button("overturn", "Overturn")),
    async (submitter) => {
      const body = { decision: submitter?.value || "uphold", reason: reason.value };
      await api(`/api/v1/moderation/actions/${action.id}/appeal`, { method: "POST", json: body });
      await redraw();
    },
  );
  return h(
    "li",
    { class: "panel" },
    h("p", { class: "meta" }, `${TITLES[action.kind]} of a ${OBJECTS[action.object_kind]} · ${action.reason}`),
    h("blockquote", { class: "summary" }, action.appeal_text),
    form,
  );
}

function myActionItem(action, redraw) {
  const state = action.active
    ? action.until
      ? `In force until ${u.date(action.until)}.`
      : "In force."
    : "No longer in force.";
  let appeal;
  if (action.appeal_status) {
    appeal = h("p", { class: "status" }, `Your appeal ${APPEAL_STATES[action.appeal_status]}.`);
  } else {
    const text = h("textarea", { name: `appeal-${action.id}`, required: true, maxlength: 2000, rows: 3 });
    appeal = reasonForm(
      "Appeal this action",
      field("Why it should be undone", text, "Up to 2,000 characters. One appeal per action."),
      h("button", { type: "submit" }, "Appeal"),
      async () => {
        await api(`/api/v1/me/moderation-actions/${action.id}/appeal`, { method: "POST", json: { text: text.value } });
        await redraw();
      },
    );
  }
  return h(
    "li",
    { class: "panel" },
    h("h3", {}, `${TITLES[action.kind]}: your ${OBJECTS[action.object_kind]}`),
    h("p", { class: "meta" }, u.date(action.created_at), " · ", state),
    h("p", {}, "Reason: ", action.reason),
    appeal,
  );
}

function listSection(title, items, empty, draw) {
  return h(
    "section",
    { class: "moderation-section", "aria-label": title },
    h("h2", {}, title),
    items.length ? h("ol", { class: "moderation-list", "aria-label": title }, items.map(draw)) : h("p", { class: "empty" }, empty),
  );
}

export async function render(main) {
  document.title = "Moderation · BikeNode";
  const user = await currentUser();
  const redraw = () => render(main);
  const sections = [];
  if (isModerator(user)) {
    try {
      const queue = await api("/api/v1/moderation/queue");
      sections.push(
        listSection("Open reports", queue.reports, "No open reports.", (r) => reportItem(r, redraw)),
        listSection("Appeals", queue.appeals, "No appeals waiting.", (a) => appealItem(a, redraw)),
      );
    } catch (error) {
      sections.push(errorBox(error)); // a moderator without two-factor sign-in is told how
    }
  }
  const mine = await api("/api/v1/me/moderation-actions");
  sections.push(
    listSection("Actions against you", mine.items.filter((a) => a.kind !== "dismiss"), "None: thank you for riding fair.", (a) =>
      myActionItem(a, redraw),
    ),
  );
  fill(main, h("h1", { tabindex: "-1" }, "Moderation"), sections);
}
