// Sign in and sign up.

import { signIn, signUp } from "./api.js";
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

export const signInPage = {
  async render(main, { query }) {
    document.title = "Sign in · BikeNode";
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
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      showError(errors, null);
      const done = busy(form);
      try {
        await signIn(form.email.value, form.password.value);
        navigate(safeNext(query), { replace: true });
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
      h("p", { class: "narrow" }, "New here? ", h("a", { href: "/signup" }, "Create an account"), "."),
    );
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
        await signUp(form.display_name.value, form.email.value, form.password.value);
        navigate("/upload", { replace: true });
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
