// The API client: fetch with the access token, refreshed through the HttpOnly session cookie.
// The access token lives only in this module's memory; the refresh token is never visible
// to JavaScript (see README, "Web sessions").

const WEB_AUTH = "/api/v1/auth/web";
// Only same-origin scripts can send a custom header; the server refuses session calls without.
const CSRF_HEADERS = { "X-Requested-With": "bikenode" };
const EARLY_REFRESH_MS = 30_000;

let accessToken = null;
let expiresAt = 0;
let refreshing = null;
let me = null;
// Set while this browser probably holds a session cookie (the cookie itself is unreadable),
// so that a visitor who never signed in is not sent a refresh request that must fail.
const HINT_KEY = "bikenode:signed-in";

/** An error answer from the API, with the problem document's human-readable detail. */
export class ApiError extends Error {
  constructor(status, detail, body = null, retryAfterS = null) {
    super(detail);
    this.status = status;
    this.body = body;
    this.retryAfterS = retryAfterS; // from Retry-After on 429 and 503: when to try again
  }
}

// A busy server (429 rate limit, 503 overload) says when to come back; reads wait that long
// and try again, twice at most, when the wait is short.
const BUSY = new Set([429, 503]);
const MAX_BUSY_RETRIES = 2;
const MAX_BUSY_WAIT_S = 10;

function retryAfterS(response) {
  const value = Number(response.headers.get("Retry-After"));
  return Number.isFinite(value) && value >= 0 ? value : null;
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

/** The ApiError for an answer's status and problem document (body may be null). */
export function errorFrom(status, body, statusText = "", retryAfter = null) {
  let detail = body?.detail || body?.title || `the server answered ${status} ${statusText}`.trim();
  if (status >= 500 && body?.request_id) detail += ` (request id ${body.request_id})`;
  return new ApiError(status, detail, body, retryAfter);
}

async function problem(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's error page, say
  }
  return errorFrom(response.status, body, response.statusText, retryAfterS(response));
}

function networkError(error) {
  return new ApiError(0, `could not reach the server (${error.message}); check your connection`);
}

function keepToken(answer) {
  localStorage.setItem(HINT_KEY, "1");
  accessToken = answer.access_token;
  expiresAt = Date.now() + answer.expires_in * 1000 - EARLY_REFRESH_MS;
}

function forget() {
  localStorage.removeItem(HINT_KEY);
  accessToken = null;
  expiresAt = 0;
  me = null;
}

// Refresh tokens rotate and a reused one ends the session, so tabs must not refresh at the
// same moment with the same cookie: a Web Lock serialises them (where the browser has it).
function withSessionLock(task) {
  return navigator.locks ? navigator.locks.request("bikenode-session", task) : task();
}

async function post(path, init = {}) {
  try {
    return await fetch(path, { method: "POST", credentials: "same-origin", ...init });
  } catch (error) {
    throw networkError(error);
  }
}

/** Trade the session cookie for a new access token; ApiError(401) when signed out. */
export function refresh() {
  refreshing ??= withSessionLock(async () => {
    const response = await post(`${WEB_AUTH}/refresh`, { headers: CSRF_HEADERS });
    if (!response.ok) {
      // Only a refused session ends it here; a busy or failing server leaves it for later.
      if (response.status === 401 || response.status === 403) forget();
      throw await problem(response);
    }
    keepToken(await response.json());
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** A valid access token (refreshed first if it is about to expire), or null when signed out. */
export async function freshToken() {
  if (accessToken && Date.now() > expiresAt) {
    try {
      await refresh();
    } catch {
      signedOut();
    }
  }
  return accessToken;
}

function signedOut() {
  forget();
  window.dispatchEvent(new Event("bikenode:signed-out"));
}

async function send(path, options, retried = false, busyRetries = 0) {
  const headers = new Headers(options.headers || {});
  const token = await freshToken();
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let body = options.body;
  if (options.json !== undefined) {
    headers.set("Content-Type", "application/json");
    body = JSON.stringify(options.json);
  }
  let response;
  try {
    response = await fetch(path, { method: options.method || "GET", headers, body, signal: options.signal });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw networkError(error);
  }
  if (response.status === 401 && token && !retried) {
    try {
      await refresh();
    } catch {
      signedOut();
      throw await problem(response);
    }
    return send(path, options, true, busyRetries);
  }
  const method = options.method || "GET";
  const wait = retryAfterS(response);
  if (BUSY.has(response.status) && (method === "GET" || method === "HEAD") && busyRetries < MAX_BUSY_RETRIES && wait !== null && wait <= MAX_BUSY_WAIT_S) {
    await sleep(wait);
    return send(path, options, retried, busyRetries + 1);
  }
  if (!response.ok) throw await problem(response);
  return response;
}

/** Call the API: JSON in (options.json) and out; null for 204; the Response if options.raw. */
export async function api(path, options = {}) {
  const response = await send(path, options);
  if (options.raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

/** Call an appeal route with the appeal token a suspended account's refused sign-in answered
 * (it opens those routes alone, so it never becomes this module's access token). */
export async function withAppealToken(token, path, options = {}) {
  const headers = { Authorization: `Bearer ${token}` };
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  let response;
  try {
    response = await fetch(path, { method: options.method || "GET", headers, body });
  } catch (error) {
    throw networkError(error);
  }
  if (!response.ok) throw await problem(response);
  return response.json();
}

/** The signed-in user's profile (loaded once per session), or null. */
export async function currentUser() {
  if (!me && accessToken) me = await api("/api/v1/me");
  return me;
}

export function rememberUser(user) {
  me = user;
}

/** Resume the session of an earlier visit from the cookie; false when there is none. */
export async function restoreSession() {
  if (!localStorage.getItem(HINT_KEY)) return false;
  try {
    await refresh();
    await currentUser();
    return true;
  } catch (error) {
    if (error.status === 401) return false;
    throw error;
  }
}

/** Sign in: the user's profile, or {mfaToken} when the account asks for a second factor. */
export async function signIn(email, password) {
  const answer = await postSession("login", { email, password });
  if (answer.mfa_required) return { mfaToken: answer.mfa_token };
  keepToken(answer);
  me = null;
  return currentUser();
}

/** Finish a sign-in with a TOTP or recovery code; the user's profile. */
export async function signInWithCode(mfaToken, code) {
  keepToken(await postSession("login/mfa", { mfa_token: mfaToken, code }));
  me = null;
  return currentUser();
}

async function postSession(path, json) {
  const response = await post(`${WEB_AUTH}/${path}`, {
    headers: { ...CSRF_HEADERS, "Content-Type": "application/json" },
    body: JSON.stringify(json),
  });
  if (!response.ok) throw await problem(response);
  return response.json();
}

/** Sign up, then sign in; `{ checkMail: true }` when the password does not sign in: the
 * address already had an account, and the server (which never says so) mailed it. */
export async function signUp(displayName, email, password) {
  await api("/api/v1/auth/register", {
    method: "POST",
    json: { display_name: displayName, email, password },
  });
  try {
    const user = await signIn(email, password);
    return user.mfaToken ? { checkMail: true } : user;
  } catch (error) {
    if (error.status === 401) return { checkMail: true };
    throw error;
  }
}

export async function signOut() {
  try {
    await post(`${WEB_AUTH}/logout`, { headers: CSRF_HEADERS });
  } finally {
    forget();
  }
}

export function isSignedIn() {
  return accessToken !== null;
}
