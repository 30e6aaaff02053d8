// Forgotten password: ask for a link by e-mail, then choose a new password with it.
// The link carries its token in the fragment (#token=...), which browsers never send to a
// server; the page takes it out of the address bar at once and keeps it in memory only.

import { ApiError, errorFrom } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";

const MIN_PASSWORD_WITH_MFA = 8;

// These calls are anonymous: no access token, so no refresh-and-retry on a 401 either.
async function post(path, json) {
  let response;
  try {
    response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(json),
    });
  } catch (error) {
    throw new ApiError(0, `could not reach the server (${error.message}); check your connection`);
  }
  if (!response.ok) throw errorFrom(response.status, await response.json().catch(() => null), response.statusText);
}

export const forgotPasswordPage = {
  async render(main) {
    document.title = "Forgot password · BikeNode";
    const errors = h("div", { class: "form-errors" });
    const form = h(
      "form",
      { class: "card narrow" },
      errors,
      field(
        "E-mail address",
        h("input", { name: "email", type: "email", required: true, autocomplete: "username", maxlength: "254" }),
        "We send a link to choose a new password to this address.",
      ),
      h("button", { type: "submit", class: "primary" }, "Send reset link"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(errors, null);
      const done = busy(form);
      try {
        await post("/api/v1/auth/password-reset", { email: form.email.value.trim() });
        fill(
          form,
          h(
            "p",
            { class: "success", role: "status" },
            "If an account exists for that address, a reset link is on its way. It works once, for 30 minutes.",
          ),
          h("p", {}, h("a", { href: "/signin" }, "Back to sign in")),
        );
      } catch (error) {
        done();
        showError(errors, error);
      }
    });
    fill(main, h("h1", {}, "Forgot your password?"), form);
  },
};

function explain(error) {
  if (error.status === 400)
    return [
      "This reset link is not valid any more: it works once, for 30 minutes. ",
      h("a", { href: "/forgot-password" }, "Ask for a new one"),
      ".",
    ];
  if (error.status === 401)
    return "This account uses two-factor sign-in: enter the code from your app, or a recovery code. If you did, it was not correct.";
  return null;
}

function takeToken() {
  const token = new URLSearchParams(window.location.hash.slice(1)).get("token");
  if (window.location.hash) history.replaceState(history.state, "", window.location.pathname);
  return token;
}

let heldToken = null;

export const resetPasswordPage = {
  async render(main) {
    document.title = "Choose a new password · BikeNode";
    heldToken = takeToken() || heldToken;
    if (!heldToken) {
      fill(
        main,
        h("h1", {}, "Choose a new password"),
        h(
          "p",
          { class: "narrow" },
          "Open this page with the link from the e-mail. ",
          h("a", { href: "/forgot-password" }, "Ask for a link"),
          ".",
        ),
      );
      return;
    }
    const errors = h("div", { class: "form-errors" });
    const form = h(
      "form",
      { class: "card narrow" },
      errors,
      field(
        "New password",
        h("input", {
          name: "new_password",
          type: "password",
          required: true,
          minlength: MIN_PASSWORD_WITH_MFA,
          autocomplete: "new-password",
        }),
        "At least 15 characters (8 if you use two-factor sign-in); a few words you remember make a good one.",
      ),
      field(
        "Authentication code",
        h("input", {
          name: "code",
          maxlength: "64",
          autocomplete: "one-time-code",
          autocapitalize: "off",
          spellcheck: "false",
        }),
        "Only if you turned on two-factor sign-in: the code from your app, or a recovery code.",
      ),
      h("button", { type: "submit", class: "primary" }, "Set new password"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      fill(errors);
      const done = busy(form);
      const code = form.code.value.trim();
      try {
        await post("/api/v1/auth/password-reset/confirm", {
          token: heldToken,
          new_password: form.new_password.value,
          code: code || null,
        });
        heldToken = null;
        fill(
          form,
          h("p", { class: "success", role: "status" }, "Your password is changed, and every session was signed out."),
          h("p", {}, h("a", { href: "/signin", class: "button primary" }, "Sign in")),
        );
      } catch (error) {
        done();
        const message = explain(error);
        if (message) fill(errors, h("p", { class: "error", role: "alert" }, message));
        else showError(errors, error);
      }
    });
    fill(main, h("h1", {}, "Choose a new password"), form);
  },
};
