// Sign in and sign up.

import { signIn, signInWithCode, signUp, withAppealToken } from "./api.js";
import { busy, field, fill, h, navigate, sentence, showError } from "./dom.js";

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
      if (error.body?.appeal_token) return suspendedStep(main, error);
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
      if (error.body?.appeal_token) return suspendedStep(main, error);
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

const MY_ACTIONS = "/api/v1/me/moderation-actions";
const APPEAL_STATES = { pending: "waits for a moderator", upheld: "was refused", overturned: "was granted" };

// A suspended account's refused sign-in: why, and the one appeal it may send. Its appeal
// token opens the appeal routes alone (docs/moderation.md) and is dropped with this page.
async function suspendedStep(main, refusal) {
  const token = refusal.body.appeal_token;
  const { items } = await withAppealToken(token, MY_ACTIONS);
  const action = items.find((a) => a.kind === "suspend" && a.active);
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Your account is suspended"),
    h("p", { class: "narrow" }, sentence(refusal.message)),
    action ? h("p", { class: "narrow" }, "Reason given: ", action.reason) : null,
    action ? appealBlock(token, action) : null,
  );
  main.querySelector("h1").focus();
}

function appealBlock(token, action) {
  if (action.appeal_status)
    return h("p", { class: "narrow status", role: "status" }, `Your appeal ${APPEAL_STATES[action.appeal_status]}.`);
  const errors = h("div", { class: "form-errors" });
  const text = h("textarea", { name: "appeal", required: true, maxlength: "2000", rows: "4" });
  const form = h(
    "form",
    { class: "card narrow", "aria-label": "Appeal the suspension" },
    errors,
    field("Why it should be undone", text, "Up to 2,000 characters. A moderator reads it; one appeal per action."),
    h("button", { type: "submit", class: "primary" }, "Send appeal"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(errors, null);
    const done = busy(form);
    try {
      const path = `${MY_ACTIONS}/${action.id}/appeal`;
      await withAppealToken(token, path, { method: "POST", json: { text: text.value } });
      form.replaceWith(
        h("p", { class: "narrow status", role: "status" }, "Appeal sent. Sign in later to read the moderator's decision."),
      );
    } catch (error) {
      done();
      showError(errors, error);
    }
  });
  return form;
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
