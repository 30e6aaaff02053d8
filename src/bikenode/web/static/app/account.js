// The settings page's account sections: change the password, download all your data, delete
// the account (the password again and a typed confirmation, since it cannot be undone).

import { api, signOut } from "./api.js";
import { busy, field, fill, h, navigate, showError } from "./dom.js";

const ERASE_PHRASE = "erase my account";

function section(id, title, ...children) {
  return h("section", { class: "card narrow", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function passwordField(label, name, autocomplete, hint = null) {
  return field(label, h("input", { name, type: "password", required: true, autocomplete }), hint);
}

function passwordSection() {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { "aria-labelledby": "password-heading" },
    passwordField("Current password", "old_password", "current-password"),
    passwordField(
      "New password",
      "new_password",
      "new-password",
      "A few unrelated words make a strong one. You stay signed in here; every other device is signed out.",
    ),
    messages,
    h("button", { type: "submit", class: "primary" }, "Change password"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(messages, null);
    const done = busy(form);
    try {
      await api("/api/v1/me/password", {
        method: "POST",
        json: { current_password: form.old_password.value, new_password: form.new_password.value },
      });
      form.reset();
      fill(messages, h("p", { class: "success", role: "status" }, "Password changed. Other devices are signed out."));
    } catch (error) {
      showError(messages, error.status === 403 ? new Error("The current password is not correct.") : error);
    } finally {
      done();
    }
  });
  return section("password-heading", "Password", form);
}

async function download(button, messages) {
  button.disabled = true;
  fill(messages, h("p", { role: "status" }, "Preparing your export…"));
  try {
    const response = await api("/api/v1/me/export", { raw: true });
    const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1];
    const url = URL.createObjectURL(await response.blob());
    const link = h("a", { href: url, download: name || "bikenode-export.zip", hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    fill(messages, h("p", { class: "success", role: "status" }, "Your export is downloaded."));
  } catch (error) {
    showError(messages, error);
  } finally {
    button.disabled = false;
  }
}

function exportSection() {
  const messages = h("div", { "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary" }, "Download all my data");
  button.addEventListener("click", () => download(button, messages));
  return section(
    "export-heading",
    "Your data",
    h(
      "p",
      {},
      "One zip file with everything stored about you: your profile, every ride with its streams, the original files you uploaded, your routes and live rides.",
    ),
    messages,
    button,
  );
}

function eraseSection() {
  const messages = h("div", { "aria-live": "polite" });
  const form = h(
    "form",
    { "aria-labelledby": "erase-heading" },
    h(
      "p",
      {},
      "Deletes your account, your rides and everything else stored about you, for good. Download your data first if you want to keep it.",
    ),
    passwordField("Your password", "erase_password", "current-password", "Asked again because this cannot be undone."),
    field(
      "Type “erase my account”",
      h("input", { name: "erase_confirm", required: true, autocomplete: "off", spellcheck: "false" }),
    ),
    messages,
    h("button", { type: "submit", class: "danger" }, "Delete my account"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(messages, null);
    if (form.erase_confirm.value.trim().toLowerCase() !== ERASE_PHRASE) {
      showError(messages, new Error(`Type “${ERASE_PHRASE}” to confirm, or leave this page to keep your account.`));
      return;
    }
    const done = busy(form);
    try {
      await api("/api/v1/me/erase", {
        method: "POST",
        json: { password: form.erase_password.value, confirm: ERASE_PHRASE },
      });
    } catch (error) {
      done();
      showError(messages, error.status === 401 ? new Error("The password is not correct.") : error);
      return;
    }
    await signOut().catch(() => {});
    navigate("/goodbye", { replace: true });
  });
  return section("erase-heading", "Delete your account", form);
}

/** The Password, Your data and Delete your account sections of the settings page. */
export function accountSections() {
  return [passwordSection(), exportSection(), eraseSection()];
}

/** The page shown once the account is deleted. */
export const goodbyePage = {
  async render(main) {
    document.title = "Account deleted · BikeNode";
    fill(
      main,
      h("h1", {}, "Your account is deleted"),
      h("p", {}, "Your rides and everything else stored about you are gone. Thank you for riding with BikeNode."),
      h("p", {}, h("a", { href: "/signup" }, "Make a new account")),
    );
  },
};
