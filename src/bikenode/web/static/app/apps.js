// Third-party apps: the consent page an app sends the rider to (/oauth/consent), and the
// settings page (/settings/apps) where a rider revokes apps and personal tokens and
// registers apps of their own. The API decides everything; this only asks it.

import { api } from "./api.js";
import { busy, field, fill, h, showError } from "./dom.js";

const SCOPE_NAMES = [
  "profile:read", "rides:read", "rides:read_all", "rides:write", "live:read", "live:write",
  "webhooks:manage", "fitness:read", "fitness:write", "health:read", "health:write",
  "social:read", "social:write", "segments:read", "segments:write", "bikes:read", "bikes:write",
  "market:read", "market:write", "notifications:read", "notifications:write", "routes:read",
  "routes:write", "sync",
];

/** The consent page: the app's name, the scopes in plain words, Allow and Deny. */
export const consentPage = {
  async render(main, { query }) {
    document.title = "Allow an app · BikeNode";
    const params = Object.fromEntries(query.entries());
    const messages = h("div", { "aria-live": "polite" });
    const details = await api(`/api/v1/oauth/consent?client_id=${encodeURIComponent(params.client_id || "")}&scope=${encodeURIComponent(params.scope || "")}`);
    const decide = async (decision, button) => {
      button.disabled = true;
      try {
        const body = new URLSearchParams({ ...params, decision });
        const headers = { "Content-Type": "application/x-www-form-urlencoded" };
        const answer = await api("/oauth/authorize", { method: "POST", body, headers });
        window.location.assign(answer.redirect_to);
      } catch (error) {
        button.disabled = false;
        showError(messages, error);
      }
    };
    fill(
      main,
      h("h1", {}, `Allow ${details.app_name} to use your account?`),
      h("p", {}, `${details.app_name} asks to:`),
      h("ul", { class: "scope-list" }, Object.entries(details.scopes).map(([name, words]) => h("li", { dataset: { scope: name } }, words))),
      h("p", { class: "meta" }, "You can revoke this at any time under Settings → Apps."),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", onclick: (e) => decide("allow", e.target) }, "Allow"),
        h("button", { type: "button", class: "secondary", onclick: (e) => decide("deny", e.target) }, "Deny"),
      ),
      messages,
    );
  },
};

const since = (at) => new Date(at).toLocaleDateString();

/** Settings → Apps: allowed apps, personal tokens, and the rider's own registered apps. */
export const settingsAppsPage = {
  async render(main) {
    document.title = "Apps · BikeNode";
    const [grants, tokens, apps] = await Promise.all([
      api("/api/v1/me/grants"),
      api("/api/v1/me/tokens"),
      api("/api/v1/apps"),
    ]);
    const messages = h("div", { "aria-live": "polite" });
    const redraw = async (notice) => {
      await settingsAppsPage.render(main);
      if (notice) fill(main.querySelector("[aria-live]"), h("p", { class: "success", role: "status" }, notice));
    };
    const remove = async (path, button, notice) => {
      button.disabled = true;
      try {
        await api(path, { method: "DELETE" });
        await redraw(notice);
      } catch (error) {
        button.disabled = false;
        showError(messages, error);
      }
    };
    const allowed = grants.grants.map((g) =>
      h(
        "li",
        { class: "grant" },
        h("strong", {}, g.app_name),
        h("span", { class: "meta" }, ` ${g.scopes.join(", ")} · since ${since(g.created_at)} `),
        h("button", { type: "button", "aria-label": `Revoke ${g.app_name}`, onclick: (e) => remove(`/api/v1/me/grants/${g.id}`, e.target, `${g.app_name} can no longer use your account.`) }, "Revoke"),
      ),
    );
    const personal = tokens.tokens.map((t) =>
      h(
        "li",
        { class: "personal-token" },
        h("strong", {}, t.name),
        h("span", { class: "meta" }, ` ${t.scope} `),
        h("button", { type: "button", "aria-label": `Revoke token ${t.name}`, onclick: (e) => remove(`/api/v1/me/tokens/${t.id}`, e.target, `Token ${t.name} revoked.`) }, "Revoke"),
      ),
    );
    const own = apps.apps.map((a) =>
      h(
        "li",
        { class: "own-app" },
        h("strong", {}, a.name),
        h("span", { class: "meta" }, ` client id ${a.client_id} · ${a.redirect_uris.join(" ")} `),
        h("button", { type: "button", "aria-label": `Delete app ${a.name}`, onclick: (e) => remove(`/api/v1/apps/${a.id}`, e.target, `App ${a.name} deleted.`) }, "Delete"),
      ),
    );
    fill(
      main,
      h("h1", {}, "Apps and tokens"),
      messages,
      h("section", { class: "panel" }, h("h2", {}, "Apps you allowed"), allowed.length ? h("ul", { class: "grant-list" }, allowed) : h("p", { class: "empty" }, "No app can use your account.")),
      h("section", { class: "panel" }, h("h2", {}, "Personal access tokens"), personal.length ? h("ul", {}, personal) : h("p", { class: "empty" }, "No personal tokens."), tokenForm(messages, redraw)),
      h("section", { class: "panel" }, h("h2", {}, "Your registered apps"), own.length ? h("ul", {}, own) : h("p", { class: "empty" }, "You registered no apps."), appForm(messages, redraw)),
    );
  },
};

function tokenForm(messages, redraw) {
  const name = h("input", { name: "token_name", required: true, maxlength: "80" });
  const boxes = SCOPE_NAMES.map((s) => h("label", { class: "choice" }, h("input", { type: "checkbox", name: "scope", value: s }), ` ${s}`));
  const form = h("form", { class: "token-form" }, field("Token name", name), h("fieldset", {}, h("legend", {}, "Scopes"), boxes), h("button", { type: "submit" }, "Create token"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const scopes = [...form.querySelectorAll("input[name=scope]:checked")].map((box) => box.value);
    const done = busy(form);
    try {
      const created = await api("/api/v1/me/tokens", { method: "POST", json: { name: name.value.trim(), scopes } });
      await redraw(`Token created; copy it now, it is shown only once: ${created.token}`);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return form;
}

function appForm(messages, redraw) {
  const name = h("input", { name: "app_name", required: true, maxlength: "80" });
  const uri = h("input", { name: "redirect_uri", type: "url", required: true, placeholder: "https://example.org/callback" });
  const confidential = h("input", { type: "checkbox", name: "confidential" });
  const form = h("form", { class: "app-form" }, field("App name", name), field("Redirect URI", uri, "https, or http on 127.0.0.1 / localhost"), h("label", { class: "choice" }, confidential, " Confidential (a server that keeps a secret)"), h("button", { type: "submit" }, "Register app"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const json = { name: name.value.trim(), redirect_uris: [uri.value.trim()], confidential: confidential.checked };
      const created = await api("/api/v1/apps", { method: "POST", json });
      const secret = created.client_secret ? `; client secret (shown only once): ${created.client_secret}` : "";
      await redraw(`App registered: client id ${created.client_id}${secret}`);
    } catch (error) {
      showError(messages, error);
    } finally {
      done();
    }
  });
  return form;
}
