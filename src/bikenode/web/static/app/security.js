// The settings page's Security section: two-factor sign-in (TOTP) on and off, recovery codes.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";

const MFA = "/api/v1/me/mfa";

function passwordInput() {
  return h("input", { name: "current_password", type: "password", required: true, autocomplete: "current-password" });
}

function codeInput(name, hint) {
  return field(
    "Code",
    h("input", {
      name,
      id: `f-${name}`,
      required: true,
      maxlength: "64",
      autocomplete: "one-time-code",
      autocapitalize: "off",
      spellcheck: "false",
    }),
    hint,
  );
}

// A form with a heading of its own: its accessible name, and a clear title for each task.
function titledForm(id, title, ...children) {
  return h(
    "form",
    { class: "security-task", "aria-labelledby": id },
    h("h3", { id }, title),
    h("div", { class: "form-errors" }),
    ...children,
  );
}

function onSubmit(form, task) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const errors = form.querySelector(".form-errors");
    showError(errors, null);
    const done = busy(form);
    try {
      await task();
    } catch (error) {
      done();
      showError(errors, explain(error));
    }
  });
}

function explain(error) {
  if (error.status === 401)
    return new Error("The code is not correct, or was already used. Enter the newest code from your app.");
  if (error.status === 403) return new Error("The password is not correct.");
  return error;
}

function groups(secret) {
  return secret.match(/.{1,4}/g).join(" ");
}

function recoveryCodes(codes, onDone) {
  const list = h("ol", { class: "recovery-codes", "aria-label": "Recovery codes" }, codes.map((c) => h("li", {}, c)));
  return h(
    "div",
    { class: "recovery", role: "region", "aria-labelledby": "recovery-heading" },
    h("h3", { id: "recovery-heading" }, "Your recovery codes"),
    h(
      "p",
      {},
      "Each code signs you in once if you lose your phone. Save them somewhere safe now: they are shown only this once.",
    ),
    list,
    h("button", { type: "button", class: "primary", onclick: onDone }, "I have saved my recovery codes"),
  );
}

async function qrImage(url) {
  const blob = await (await api(url, { raw: true })).blob();
  const src = URL.createObjectURL(blob);
  const image = h("img", {
    class: "qr",
    src,
    alt: "QR code to scan with your authenticator app",
    width: "220",
    height: "220",
  });
  image.addEventListener("load", () => URL.revokeObjectURL(src), { once: true });
  return image;
}

function enrolForm(section, redraw) {
  const form = titledForm(
    "mfa-enrol-heading",
    "Turn on two-factor sign-in",
    h(
      "p",
      { class: "hint" },
      "After your password, sign-in will ask for a code from an authenticator app on your phone.",
    ),
    field("Current password", passwordInput()),
    h("button", { type: "submit", class: "primary" }, "Set up two-factor sign-in"),
  );
  onSubmit(form, async () => {
    const started = await api(`${MFA}/totp`, {
      method: "POST",
      json: { current_password: form.current_password.value },
    });
    fill(section, h("h2", { id: "security-heading" }, "Security"), await confirmForm(section, started, redraw));
    section.querySelector("[name=confirm_code]").focus();
  });
  return form;
}

async function confirmForm(section, started, redraw) {
  const form = titledForm(
    "mfa-confirm-heading",
    "Scan the code with your app",
    await qrImage(started.qr_svg_url),
    h(
      "p",
      {},
      "Can't scan it? Type this key into the app: ",
      h("code", { class: "secret", "data-secret": started.secret }, groups(started.secret)),
    ),
    codeInput("confirm_code", "The 6-digit code the app shows for BikeNode."),
    h("button", { type: "submit", class: "primary" }, "Turn on"),
  );
  onSubmit(form, async () => {
    const answer = await api(`${MFA}/totp/confirm`, {
      method: "POST",
      json: { code: form.confirm_code.value.trim() },
    });
    fill(
      section,
      h("h2", { id: "security-heading" }, "Security"),
      h("p", { class: "success", role: "status" }, "Two-factor sign-in is on."),
      recoveryCodes(answer.recovery_codes, redraw),
    );
    section.querySelector(".recovery h3").setAttribute("tabindex", "-1");
    section.querySelector(".recovery h3").focus();
  });
  return form;
}

function regenerateForm(section, redraw) {
  const form = titledForm(
    "mfa-codes-heading",
    "New recovery codes",
    h("p", { class: "hint" }, "Replaces all your recovery codes: the old ones stop working."),
    codeInput("codes_code", "A code from your app, or a recovery code."),
    h("button", { type: "submit" }, "Make new recovery codes"),
  );
  onSubmit(form, async () => {
    const answer = await api(`${MFA}/recovery-codes`, {
      method: "POST",
      json: { code: form.codes_code.value.trim() },
    });
    fill(section, h("h2", { id: "security-heading" }, "Security"), recoveryCodes(answer.recovery_codes, redraw));
    section.querySelector(".recovery button").focus();
  });
  return form;
}

function disableForm(redraw) {
  const form = titledForm(
    "mfa-disable-heading",
    "Turn off two-factor sign-in",
    field("Current password", passwordInput()),
    codeInput("disable_code", "A code from your app, or a recovery code."),
    h("button", { type: "submit", class: "danger" }, "Turn off two-factor sign-in"),
  );
  onSubmit(form, async () => {
    await api(`${MFA}/disable`, {
      method: "POST",
      json: { current_password: form.current_password.value, code: form.disable_code.value.trim() },
    });
    await redraw("Two-factor sign-in is off.");
  });
  return form;
}

/** The Security section (a <section> that redraws itself after each change). */
export async function securitySection() {
  const section = h("section", { class: "card narrow security", "aria-labelledby": "security-heading" });
  const redraw = async (message = null) => {
    const state = await api(MFA);
    const status = state.enabled
      ? `Two-factor sign-in is on. ${state.recovery_codes_left} of 10 recovery codes left.`
      : "Two-factor sign-in is off.";
    fill(
      section,
      h("h2", { id: "security-heading" }, "Security"),
      message ? h("p", { class: "success", role: "status" }, message) : null,
      h("p", { class: "mfa-state" }, status),
      state.enabled ? [regenerateForm(section, () => redraw()), disableForm(redraw)] : enrolForm(section, () => redraw()),
    );
  };
  await redraw();
  return section;
}
