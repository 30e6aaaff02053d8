// /bikes/{id}: one bike. Its details (edit, retire), its parts as a tree with their usage and
// service interval, forms to add, move, take off, service and retire parts, and a timeline.

import { api } from "./api.js";
import {
  BIKE_TYPES,
  PART_TYPES,
  chosenSports,
  dayInput,
  holdsParts,
  instantOf,
  intervalBar,
  metresFrom,
  partName,
  sportsFieldset,
  typeLabel,
  typeSelect,
} from "./bikes.js";
import { busy, errorBox, field, fill, h, showError } from "./dom.js";
import * as u from "./units.js";

const POSITIONS = { "": "—", front: "Front", rear: "Rear" };

// Several forms on this page have fields of the same name: each gets ids of its own.
const named = (element, id) => Object.assign(element, { id });

async function load(id) {
  const [bike, tree, garage, usage, due, history, sports] = await Promise.all([
    api(`/api/v1/bikes/${id}`),
    api(`/api/v1/bikes/${id}/components`),
    api("/api/v1/bikes"),
    api("/api/v1/bikes/usage"),
    api("/api/v1/maintenance/due"),
    api(`/api/v1/bikes/${id}/history`),
    api("/api/v1/rides/sports"),
  ]);
  return {
    bike,
    tree: tree.items,
    bikes: garage.items,
    total: usage.items.find((item) => item.bike_id === id)?.total,
    due: new Map(due.items.map((item) => [item.component.id, item])),
    history: history.items,
    sports: sports.map((s) => s.sport),
  };
}

function metaLine(bike, total) {
  return [
    BIKE_TYPES[bike.type] || bike.type,
    [bike.brand, bike.model].filter(Boolean).join(" "),
    total ? `${u.distance(total.distance_m, 0)} · ${u.duration(total.moving_s)} · ${total.rides} ${total.rides === 1 ? "ride" : "rides"}` : null,
    bike.default_for_sports.length ? `default bike for ${bike.default_for_sports.map(u.sportLabel).join(", ")}` : null,
    bike.retired_at ? `retired on ${u.date(bike.retired_at)}` : null,
  ]
    .filter(Boolean)
    .join(" · ");
}

function editForm(data, reload) {
  const { bike } = data;
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { class: "card edit", hidden: true, id: "edit-bike", "aria-label": "Edit bike" },
    field("Name", h("input", { name: "name", id: "bike-name", required: true, maxlength: "200", value: bike.name })),
    field("Type", named(typeSelect(bike.type), "bike-type")),
    field("Brand", h("input", { name: "brand", id: "bike-brand", maxlength: "100", value: bike.brand ?? "" })),
    field("Model", h("input", { name: "model", id: "bike-model", maxlength: "100", value: bike.model ?? "" })),
    field(`Distance before BikeNode (${u.distanceUnit()})`, h("input", { name: "start_distance", id: "bike-start-distance", type: "number", min: "0", step: "any", inputmode: "decimal", value: bike.start_distance_m ? u.toDistance(bike.start_distance_m).toFixed(1) : "" }), "Added to the bike's total."),
    sportsFieldset(data.sports, bike.default_for_sports),
    messages,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const json = {
      name: form.name.value.trim(),
      type: form.type.value,
      brand: form.brand.value.trim() || null,
      model: form.model.value.trim() || null,
      start_distance_m: metresFrom(form.start_distance) ?? 0,
      default_for_sports: chosenSports(form),
    };
    const finish = busy(form);
    try {
      await api(`/api/v1/bikes/${bike.id}`, { method: "PATCH", json });
      await reload("Saved.");
    } catch (error) {
      showError(messages, error);
      finish();
    }
  });
  return form;
}

function header(data, reload, status) {
  const { bike } = data;
  const form = editForm(data, reload);
  const edit = h("button", { type: "button", "aria-expanded": "false", "aria-controls": "edit-bike" }, "Edit");
  edit.addEventListener("click", () => {
    form.hidden = !form.hidden;
    edit.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.name.focus();
  });
  const retire = h("button", { type: "button", class: bike.retired_at ? null : "danger" }, bike.retired_at ? "Back in service" : "Retire the bike");
  retire.addEventListener("click", async () => {
    try {
      await api(`/api/v1/bikes/${bike.id}`, { method: "PATCH", json: { retired_at: bike.retired_at ? null : new Date().toISOString() } });
      await reload(bike.retired_at ? "Back in service." : "Retired: new rides no longer go on it.");
    } catch (error) {
      showError(status, error);
    }
  });
  return h(
    "header",
    { class: "bike-header" },
    h("p", { class: "meta" }, h("a", { href: "/bikes" }, "← Bikes")),
    h("h1", {}, bike.name),
    h("p", { class: "meta bike-meta" }, metaLine(bike, data.total)),
    h("div", { class: "actions" }, edit, retire),
    status,
    form,
  );
}

/** The holders a part can go into: the bikes in service and the parts that hold parts here. */
function destinations(data, exclude) {
  const holders = [];
  const walk = (fitted) => {
    if (fitted.component.id === exclude) return;
    if (holdsParts(fitted.component.type)) holders.push(fitted.component);
    fitted.parts.forEach(walk);
  };
  data.tree.forEach(walk);
  return [
    ...data.bikes.filter((b) => !b.retired_at).map((b) => ({ value: `bike:${b.id}`, label: b.id === data.bike.id ? `On ${b.name} (this bike)` : `On ${b.name}` })),
    ...holders.map((c) => ({ value: `part:${c.id}`, label: `In the ${typeLabel(c.type).toLowerCase()}${c.brand || c.model ? ` (${[c.brand, c.model].filter(Boolean).join(" ")})` : ""}` })),
  ];
}

const target = (value) => (value.startsWith("bike:") ? { bike_id: value.slice(5) } : { parent_component_id: value.slice(5) });

function positionSelect(current = "") {
  return h("select", { name: "position" }, Object.entries(POSITIONS).map(([value, label]) => h("option", { value, selected: value === current }, label)));
}

/** A small form under a part: its fields, a submit button, and what it sends. */
function partForm(label, fields, submitText, send, reload, done) {
  const messages = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "part-form", "aria-label": label }, fields, messages, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, submitText), h("button", { type: "button", onclick: done }, "Cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const finish = busy(form);
    try {
      const said = await send(form);
      await reload(said);
    } catch (error) {
      showError(messages, error);
      finish();
    }
  });
  return form;
}

function serviceForm(part, reload, done) {
  const label = `Log a service of the ${typeLabel(part.type).toLowerCase()}`;
  const kind = h("fieldset", {}, h("legend", {}, "What was done"), h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "service", checked: true }), " Serviced"), h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "replace" }), " Replaced with a new one"));
  const fields = [
    kind,
    field("Date", named(dayInput("done_on"), `done-on-${part.id}`)),
    field("Cost", h("input", { name: "cost", id: `cost-${part.id}`, type: "number", min: "0", step: "any", inputmode: "decimal" })),
    field("Notes", h("textarea", { name: "notes", id: `notes-${part.id}`, rows: "2", maxlength: "10000" })),
  ];
  return partForm(label, fields, "Log it", async (form) => {
    const cost = form.cost.value.trim();
    const json = { kind: form.kind.value, done_at: instantOf(form.done_on.value), cost: cost === "" ? null : Number(cost), notes: form.notes.value };
    await api(`/api/v1/components/${part.id}/service`, { method: "POST", json });
    return `${partName(part)}: ${json.kind === "replace" ? "replacement" : "service"} logged; its interval starts again.`;
  }, reload, done);
}

function moveForm(part, data, reload, done) {
  const where = h("select", { name: "where", id: `where-${part.id}` }, destinations(data, part.id).map((d) => h("option", { value: d.value }, d.label)));
  const fields = [field("Move to", where), field("Position", named(positionSelect(), `position-${part.id}`)), field("From", named(dayInput("moved_on"), `moved-on-${part.id}`))];
  return partForm(`Move the ${typeLabel(part.type).toLowerCase()}`, fields, "Move it", async (form) => {
    const json = { ...target(form.where.value), position: form.position.value, installed_at: instantOf(form.moved_on.value) };
    await api(`/api/v1/components/${part.id}/install`, { method: "POST", json });
    return `${partName(part)} moved.`;
  }, reload, done);
}

function removeForm(part, retire, reload, done) {
  const verb = retire ? "Retire" : "Take off";
  const fields = [retire ? h("p", { class: "hint" }, "A retired part comes off the bike and stops counting; its history stays.") : null, field("On", named(dayInput("on"), `${retire ? "retired" : "removed"}-on-${part.id}`))];
  return partForm(`${verb} the ${typeLabel(part.type).toLowerCase()}`, fields, retire ? "Retire it" : "Take it off", async (form) => {
    const at = instantOf(form.on.value);
    const path = `/api/v1/components/${part.id}/${retire ? "retire" : "remove"}`;
    await api(path, { method: "POST", json: retire ? { retired_at: at } : { removed_at: at } });
    return `${partName(part)} ${retire ? "retired" : "taken off"}.`;
  }, reload, done);
}

function usageLine(item) {
  if (!item) return null;
  const s = item.since_service;
  return h("p", { class: "meta part-usage" }, `This interval: ${u.distance(s.distance_m, 0)} · ${u.duration(s.moving_s)} · ${s.rides} ${s.rides === 1 ? "ride" : "rides"}`);
}

function partItem(fitted, data, reload) {
  const part = fitted.component;
  const item = data.due.get(part.id);
  const slot = h("div", { class: "part-slot" });
  const open = (make) => () => {
    const close = () => fill(slot);
    fill(slot, make(close));
    slot.querySelector("input, select, textarea")?.focus();
  };
  const name = `${partName(part)}${fitted.position ? `, ${fitted.position}` : ""}`;
  const button = (text, make) => h("button", { type: "button", class: "link", "aria-label": `${text}: ${name}`, onclick: open(make) }, text);
  return h(
    "li",
    { class: "part", dataset: { component: part.id, type: part.type } },
    h("div", { class: "part-head" }, h("strong", {}, name), h("span", { class: "meta" }, ` fitted ${u.date(fitted.installed_at)}`)),
    usageLine(item),
    item ? intervalBar(item.status, part.interval) : null,
    h(
      "div",
      { class: "actions part-actions" },
      button("Log service", (done) => serviceForm(part, reload, done)),
      button("Move", (done) => moveForm(part, data, reload, done)),
      button("Take off", (done) => removeForm(part, false, reload, done)),
      button("Retire", (done) => removeForm(part, true, reload, done)),
    ),
    slot,
    fitted.parts.length ? h("ul", { class: "parts" }, fitted.parts.map((p) => partItem(p, data, reload))) : null,
  );
}

function addPartForm(data, reload) {
  const messages = h("div", { "aria-live": "polite" });
  const holders = destinations(data).filter((d) => d.value.startsWith("part:"));
  const type = h("select", { name: "type", id: "part-type" }, Object.keys(PART_TYPES).map((value) => h("option", { value }, typeLabel(value))));
  const form = h(
    "form",
    { class: "card narrow", "aria-labelledby": "add-part-title" },
    h("h2", { id: "add-part-title" }, "Add a part"),
    field("Type", type),
    field("Fitted", h("select", { name: "where", id: "part-where" }, h("option", { value: `bike:${data.bike.id}` }, "On the bike"), holders.map((d) => h("option", { value: d.value }, d.label)))),
    field("Position", named(positionSelect(), "part-position"), "Front or rear for tyres, wheels, brakes: each position holds one part of a type."),
    field("Brand", h("input", { name: "brand", id: "part-brand", maxlength: "100" })),
    field("Model", h("input", { name: "model", id: "part-model", maxlength: "100" })),
    field("Fitted on", named(dayInput("installed_on"), "part-installed-on")),
    field(`Service every (${u.distanceUnit()})`, h("input", { name: "interval", id: "part-interval", type: "number", min: "0.1", step: "any", inputmode: "decimal" }), "Leave empty for the usual interval of its type."),
    messages,
    h("button", { type: "submit", class: "primary" }, "Add the part"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const where = target(form.where.value);
    const interval = metresFrom(form.interval);
    const json = {
      type: form.type.value,
      parent_component_id: where.parent_component_id ?? null,
      position: form.position.value,
      brand: form.brand.value.trim() || null,
      model: form.model.value.trim() || null,
      installed_at: instantOf(form.installed_on.value),
    };
    if (interval !== null) json.interval = { distance_m: interval };
    const finish = busy(form);
    try {
      const part = await api(`/api/v1/bikes/${data.bike.id}/components`, { method: "POST", json });
      await reload(`${partName(part)} added.`);
    } catch (error) {
      showError(messages, error);
      finish();
    }
  });
  return form;
}

function eventText(event, names) {
  const other = event.other_bike_id ? names.get(event.other_bike_id) || "another bike" : null;
  const inside = event.parent_type ? ` in the ${typeLabel(event.parent_type).toLowerCase()}` : "";
  switch (event.kind) {
    case "installed":
      return other ? `Moved here from ${other}${inside}` : `Fitted${inside}`;
    case "removed":
      return other ? `Moved to ${other}` : `Taken off${inside}`;
    case "replace":
      return "Replaced";
    default:
      return "Serviced";
  }
}

function timeline(data) {
  if (!data.history.length) return h("p", { class: "empty" }, "Nothing yet: parts fitted, moved and serviced show here.");
  const names = new Map(data.bikes.map((b) => [b.id, b.name]));
  const rows = [...data.history].reverse().map((event) =>
    h(
      "tr",
      { dataset: { kind: event.kind, component: event.component.id } },
      h("td", {}, u.date(event.at)),
      h("td", { class: "col-name" }, partName(event.component)),
      h("td", { class: "col-name event-what" }, eventText(event, names)),
      h("td", { class: "col-name" }, [event.cost !== null ? u.number(event.cost, "", 2) : null, event.notes || null].filter(Boolean).join(" · ") || "—"),
    ),
  );
  return h(
    "div",
    { class: "table-wrap" },
    h("table", { class: "data timeline" }, h("caption", { class: "visually-hidden" }, "Parts fitted, moved, taken off and serviced on this bike, newest first"), h("thead", {}, h("tr", {}, ["Date", "Part", "What", "Cost, notes"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)),
  );
}

function draw(main, data, reload, said) {
  document.title = `${data.bike.name} · BikeNode`;
  const status = h("div", { "aria-live": "polite", class: "bike-status" }, said ? h("p", { class: "success", role: "status" }, said) : null);
  fill(
    main,
    header(data, reload, status),
    h(
      "section",
      { class: "panel", "aria-labelledby": "parts-title" },
      h("h2", { id: "parts-title" }, "Parts"),
      data.tree.length ? h("ul", { class: "parts tree" }, data.tree.map((f) => partItem(f, data, reload))) : h("p", { class: "empty" }, "No parts yet: add the chain, the wheelset and its tyres, brake pads…"),
    ),
    addPartForm(data, reload),
    h("section", { class: "panel", "aria-labelledby": "timeline-title" }, h("h2", { id: "timeline-title" }, "Timeline"), timeline(data)),
  );
}

export async function render(main, { params }) {
  const id = params[0];
  let data;
  try {
    data = await load(id);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.title = "Bike not found · BikeNode";
    fill(main, h("h1", {}, "Bike not found"), errorBox("This bike does not exist, or it is not yours."), h("p", {}, h("a", { href: "/bikes" }, "Your bikes")));
    return null;
  }
  // After a change: draw the page again from the API and say what happened where the
  // buttons are, moving focus to that message so that keyboard users are not lost.
  const reload = async (said) => {
    data = await load(id);
    draw(main, data, reload, said);
    const message = main.querySelector(".bike-status p");
    if (message) {
      message.setAttribute("tabindex", "-1");
      message.focus();
    }
  };
  draw(main, data, reload, null);
  return null;
}
