// Small DOM helpers shared by the pages: build elements, show errors, move between pages.

/**
 * h("a", {href: "/rides", class: "btn"}, "Rides") builds an element. Attributes set to
 * null, undefined or false are left out; "on<event>" attributes add listeners; children
 * may be strings, nodes, arrays or null. Text is always inserted as text, never as HTML.
 */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, "");
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : String(child));
  }
}

/** Replace an element's content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

/** A sentence from an API detail: a capital first letter and a full stop. */
export function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** An alert box for an error (role=alert, so screen readers announce it). */
export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, sentence(error?.message || error));
}

/** Show an error inside a container, replacing any earlier one. */
export function showError(container, error) {
  fill(container, error ? errorBox(error) : null);
}

/** Go to a page of the app without reloading (main.js listens). */
export function navigate(path, { replace = false } = {}) {
  window.dispatchEvent(new CustomEvent("bikenode:navigate", { detail: { path, replace } }));
}

/** Label, input and hint in one block; the input gets an id from the name. */
export function field(label, input, hint = null) {
  input.id ||= `f-${input.name}`;
  const hintId = hint ? `${input.id}-hint` : null;
  if (hintId) input.setAttribute("aria-describedby", hintId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: input.id }, label),
    input,
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
  );
}

/** Disable a form's controls while a request runs; returns the function that re-enables. */
export function busy(form) {
  const controls = [...form.querySelectorAll("button, input, select, textarea")];
  const before = controls.map((control) => control.disabled);
  controls.forEach((control) => {
    control.disabled = true;
  });
  form.setAttribute("aria-busy", "true");
  return () => {
    controls.forEach((control, i) => {
      control.disabled = before[i];
    });
    form.removeAttribute("aria-busy");
  };
}
