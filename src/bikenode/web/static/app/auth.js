// Sign in and sign up.

import { signIn, signInWithCode, signUp } from "./api.js";
import { busy, field, fill, h, navigate, showError } from "./dom.js";

const MIN_PASSWORD = 15;

function safeNext(query) {
  const next = query.get("next") || "/";
  // Only paths of this site: never "//evil.example" or "https://...".
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

function explain(error) {
  if (error.status === 401)
    return new Error("The e-mail address or password is not correct. Check both and try again.");
  if (error.status === 503)
    return new Error(`The server is busy: ${error.message}. Try again in a few seconds.`);
  return error;
}

function emailInput() {
  return h("input", {
    name: "email",
    type: "email",
    required: true,
    autocomplete: "username",
    maxlength: "254",
  });
}

function explainCode(error) {
  if (error.status === 401)
    return new Error(
      "The code is not correct, or was already used. Enter the newest code from your app, or a recovery code.",
    );
  return error;
}

function passwordStep(main, query, onChallenge, message = null) {
  const errors = h("div", { class: "form-errors" });
  const form = h(
    "form",
    { class: "card narrow", novalidate: false },
    errors,
    field("E-mail address", emailInput()),
    field(
      "Password",
      h("input", { name: "password", type: "password", required: true, autocomplete: "current-password" }),
    ),
    h("button", { type: "submit", class: "primary" }, "Sign in"),
  );
  if (message) showError(errors, message);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errors, null);
    const done = busy(form);
    try {
      const answer = await signIn(form.email.value, form.password.value);
      if (answer?.mfaToken) onChallenge(answer.mfaToken);
      else navigate(safeNext(query), { replace: true });
    } catch (error) {
      done();
      showError(errors, explain(error));
      form.password.select();
    }
  });
  fill(
    main,
    h("h1", {}, "Sign in"),
    form,
    h(
      "p",
      { class: "narrow" },
      h("a", { href: "/forgot-password" }, "Forgot password?"),
      " New here? ",
      h("a", { href: "/signup" }, "Create an account"),
      ".",
    ),
  );
}

// The second step, for accounts with two-factor sign-in: a TOTP or a recovery code.
function codeStep(main, query, mfaToken, restart) {
  const errors = h("div", { class: "form-errors" });
  const code = h("input", {
    name: "code",
    required: true,
    maxlength: "64",
    autocomplete: "one-time-code",
    autocapitalize: "off",
    spellcheck: "false",
  });
  const form = h(
    "form",
    { class: "card narrow" },
    errors,
    field("Authentication code", code, "The 6-digit code from your authenticator app, or one of your recovery codes."),
    h("button", { type: "submit", class: "primary" }, "Verify"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errors, null);
    const done = busy(form);
    try {
      await signInWithCode(mfaToken, code.value.trim());
      navigate(safeNext(query), { replace: true });
    } catch (error) {
      done();
      if (error.status === 401 && /sign in again/.test(error.message)) {
        restart("That took too long. Enter your password again, then a new code.");
        return;
      }
      showError(errors, explainCode(error));
      code.select();
    }
  });
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Two-factor sign-in"),
    form,
    h("p", { class: "narrow" }, h("button", { type: "button", class: "link", onclick: () => restart() }, "Start again")),
  );
  code.focus();
}

export const signInPage = {
  async render(main, { query }) {
    document.title = "Sign in · BikeNode";
    const restart = (message = null) => {
      passwordStep(main, query, challenge, message && new Error(message));
      main.querySelector("input[name=email]").focus();
    };
    const challenge = (mfaToken) => codeStep(main, query, mfaToken, restart);
    passwordStep(main, query, challenge);
  },
};

export const signUpPage = {
  async render(main) {
    document.title = "Sign up · BikeNode";
    const errors = h("div", { class: "form-errors" });
    const form = h(
      "form",
      { class: "card narrow" },
      errors,
      field(
        "Your name",
        h("input", { name: "display_name", required: true, maxlength: "100", autocomplete: "name" }),
      ),
      field("E-mail address", emailInput()),
      field(
        "Password",
        h("input", {
          name: "password",
          type: "password",
          required: true,
          minlength: MIN_PASSWORD,
          autocomplete: "new-password",
        }),
        `At least ${MIN_PASSWORD} characters; a few words you remember make a good one.`,
      ),
      h("button", { type: "submit", class: "primary" }, "Create account"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(errors, null);
      const done = busy(form);
      try {
        const result = await signUp(form.display_name.value, form.email.value, form.password.value);
        if (!result.checkMail) return navigate("/upload", { replace: true });
        fill(
          main,
          h("h1", {}, "Check your e-mail"),
          h(
            "p",
            { class: "narrow", role: "status" },
            `If ${form.email.value} already has an account, we sent it an e-mail about it. `,
            h("a", { href: "/signin" }, "Sign in"),
            " or ",
            h("a", { href: "/forgot-password" }, "choose a new password"),
            ".",
          ),
        );
      } catch (error) {
        done();
        showError(errors, error);
      }
    });
    fill(
      main,
      h("h1", {}, "Create your account"),
      form,
      h("p", { class: "narrow" }, "Already have one? ", h("a", { href: "/signin" }, "Sign in"), "."),
    );
  },
};
