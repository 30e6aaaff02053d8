// The app shell: session start-up, navigation bar, and the router that draws each page.
// Every page module exports render(main, context) that resolves once the page is usable,
// and may return a cleanup function (stop timers, remove maps) run when the page is left.

import { currentUser, isSignedIn, restoreSession, signOut } from "./api.js";
import { errorBox, fill, h, navigate } from "./dom.js";
import { goodbyePage } from "./account.js";
import * as apps from "./apps.js";
import * as auth from "./auth.js";
import * as bike from "./bike.js";
import * as bikes from "./bikes.js";
import * as clubs from "./clubs.js";
import * as crash from "./crash.js";
import * as calendar from "./calendar.js";
import * as dashboard from "./dashboard.js";
import * as fitness from "./fitness.js";
import * as health from "./health.js";
import * as market from "./market.js";
import * as mechanics from "./mechanics.js";
import * as moderation from "./moderation.js";
import * as live from "./live.js";
import * as notifications from "./notifications.js";
import * as liveStart from "./live-start.js";
import * as power from "./power.js";
import * as privacy from "./privacy.js";
import * as reset from "./reset.js";
import * as ride from "./ride.js";
import * as rides from "./rides.js";
import * as segment from "./segment.js";
import * as segments from "./segments.js";
import * as heatmap from "./heatmap.js";
import * as plannedRoutes from "./routes.js";
import * as settings from "./settings.js";
import * as social from "./social.js";
import { setPreferences } from "./units.js";
import * as upload from "./upload.js";
import * as webhooks from "./webhooks.js";

const ROUTES = [
  { pattern: /^\/$/, name: "dashboard", page: dashboard, signedIn: true },
  { pattern: /^\/signin$/, name: "signin", page: auth.signInPage, signedOut: true },
  { pattern: /^\/signup$/, name: "signup", page: auth.signUpPage, signedOut: true },
  { pattern: /^\/rides$/, name: "rides", page: rides, signedIn: true },
  { pattern: /^\/rides\/([0-9a-fA-F-]{36})$/, name: "ride", page: ride },
  { pattern: /^\/upload$/, name: "upload", page: upload, signedIn: true },
  { pattern: /^\/calendar$/, name: "calendar", page: calendar, signedIn: true },
  { pattern: /^\/live$/, name: "live-start", page: liveStart, signedIn: true },
  { pattern: /^\/privacy$/, name: "privacy", page: privacy, signedIn: true },
  { pattern: /^\/goodbye$/, name: "goodbye", page: goodbyePage },
  { pattern: /^\/live\/([0-9a-fA-F-]{36})$/, name: "live", page: live.sessionPage },
  { pattern: /^\/live\/groups\/([0-9a-fA-F-]{36})$/, name: "live-group", page: live.groupPage },
  { pattern: /^\/settings$/, name: "settings", page: settings, signedIn: true },
  { pattern: /^\/routes$/, name: "routes", page: plannedRoutes.listPage, signedIn: true },
  { pattern: /^\/routes\/([0-9a-fA-F-]{36})$/, name: "route", page: plannedRoutes.editorPage, signedIn: true },
  { pattern: /^\/bikes$/, name: "bikes", page: bikes, signedIn: true },
  { pattern: /^\/bikes\/([0-9a-fA-F-]{36})$/, name: "bike", page: bike, signedIn: true },
  { pattern: /^\/forgot-password$/, name: "forgot-password", page: reset.forgotPasswordPage },
  { pattern: /^\/reset-password$/, name: "reset-password", page: reset.resetPasswordPage },
  { pattern: /^\/fitness$/, name: "fitness", page: fitness, signedIn: true },
  { pattern: /^\/power$/, name: "power", page: power, signedIn: true },
  { pattern: /^\/health$/, name: "health", page: health, signedIn: true },
  { pattern: /^\/notifications$/, name: "notifications", page: notifications, signedIn: true },
  { pattern: /^\/unsubscribe$/, name: "unsubscribe", page: { render: notifications.unsubscribePage } },
  { pattern: /^\/feed$/, name: "feed", page: social.feedPage, signedIn: true },
  { pattern: /^\/riders\/([0-9a-fA-F-]{36})$/, name: "rider", page: social.riderPage, signedIn: true },
  { pattern: /^\/follow-requests$/, name: "follow-requests", page: social.requestsPage, signedIn: true },
  { pattern: /^\/market$/, name: "market", page: market, signedIn: true },
  { pattern: /^\/market\/jobs\/([0-9a-fA-F-]{36})$/, name: "market-job", page: { render: market.jobPage }, signedIn: true },
  { pattern: /^\/market\/mechanics\/([0-9a-fA-F-]{36})$/, name: "market-mechanic", page: { render: mechanics.profilePage }, signedIn: true },
  { pattern: /^\/segments$/, name: "segments", page: segments, signedIn: true },
  { pattern: /^\/segments\/([0-9a-fA-F-]{36})$/, name: "segment", page: segment },
  { pattern: /^\/moderation$/, name: "moderation", page: moderation, signedIn: true },
  { pattern: /^\/clubs$/, name: "clubs", page: clubs.listPage, signedIn: true },
  { pattern: /^\/clubs\/([0-9a-fA-F-]{36})$/, name: "club", page: clubs.clubPage, signedIn: true },
  { pattern: /^\/heatmap$/, name: "heatmap", page: heatmap, signedIn: true },
  { pattern: /^\/settings\/webhooks$/, name: "webhooks", page: webhooks, signedIn: true },
  { pattern: /^\/oauth\/consent$/, name: "oauth-consent", page: apps.consentPage, signedIn: true },
  { pattern: /^\/settings\/apps$/, name: "settings-apps", page: apps.settingsAppsPage, signedIn: true },
  { pattern: /^\/settings\/crash$/, name: "settings-crash", page: { render: crash.settingsPage }, signedIn: true },
];
const NAV = [
  ["/", "Dashboard"],
  ["/feed", "Feed"],
  ["/clubs", "Clubs"],
  ["/rides", "Rides"],
  ["/upload", "Upload"],
  ["/bikes", "Bikes"],
  ["/market", "Repairs"],
  ["/fitness", "Fitness"],
  ["/power", "Power"],
  ["/health", "Health"],
  ["/segments", "Segments"],
  ["/heatmap", "Heatmap"],
  ["/routes", "Routes"],
  ["/live", "Live"],
  ["/follow-requests", "Followers"],
  ["/privacy", "Privacy"],
  ["/settings", "Settings"],
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
let cleanup = null;
let generation = 0;

const config = JSON.parse(document.querySelector('meta[name="bikenode-config"]').content);

function drawNav(path, user) {
  if (!isSignedIn()) {
    const link = (href, label) => h("a", { href, "aria-current": path === href ? "page" : null }, label);
    fill(nav, link("/signin", "Sign in"), link("/signup", "Sign up"));
    return;
  }
  const current = (href) => (href === "/" ? path === "/" : path.startsWith(href));
  // Moderators (and admins) also get the moderation queue.
  const links = moderation.isModerator(user) ? [...NAV, ["/moderation", "Moderation"]] : NAV;
  fill(
    nav,
    links.map(([href, label]) => h("a", { href, "aria-current": current(href) ? "page" : null }, label)),
    notifications.bell(current("/notifications")),
    h("button", { type: "button", class: "link", onclick: onSignOut }, "Sign out"),
  );
}

async function onSignOut() {
  notifications.stopLive();
  await signOut().catch(() => {});
  navigate("/signin");
}

function markReady(name) {
  document.documentElement.dataset.ready = name;
  performance.mark(`bikenode:ready:${name}`);
}

async function show(location) {
  const run = ++generation;
  if (cleanup) cleanup();
  cleanup = null;
  delete document.documentElement.dataset.ready;
  const url = new URL(location, window.location.origin);
  const route = ROUTES.find((r) => r.pattern.test(url.pathname));
  if (route?.signedIn && !isSignedIn()) {
    const next = url.pathname === "/" ? "" : `?next=${encodeURIComponent(url.pathname + url.search)}`;
    return go(`/signin${next}`, true);
  }
  if (route?.signedOut && isSignedIn()) return go("/", true);
  const user = (await currentUser().catch(() => null)) || {};
  setPreferences(user);
  drawNav(url.pathname, user);
  if (!route) return notFound();
  const params = url.pathname.match(route.pattern).slice(1);
  try {
    const result = await route.page.render(main, { params, query: url.searchParams, config });
    if (run !== generation) {
      if (typeof result === "function") result();
      return;
    }
    cleanup = typeof result === "function" ? result : null;
  } catch (error) {
    if (run !== generation) return;
    fill(main, h("h1", { tabindex: "-1" }, "Something went wrong"), errorBox(error));
  }
  focusHeading();
  markReady(route.name);
}

function notFound() {
  document.title = "Not found · BikeNode";
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Page not found"),
    h("p", {}, h("a", { href: "/" }, "Go to the dashboard")),
  );
  markReady("not-found");
}

function focusHeading() {
  if (main.contains(document.activeElement) && document.activeElement !== main) return;
  const heading = main.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

function go(path, replace = false) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  window.scrollTo(0, 0);
  return show(path);
}

function isAppLink(event, link) {
  if (!link || event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (link.target || link.hasAttribute("download") || link.origin !== window.location.origin) return false;
  if (link.getAttribute("href").startsWith("#")) return false;
  return !link.pathname.startsWith("/api/") && !link.pathname.startsWith("/static/");
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[href]");
  if (!isAppLink(event, link)) return;
  event.preventDefault();
  go(link.pathname + link.search);
});
window.addEventListener("popstate", () => show(window.location.pathname + window.location.search));
window.addEventListener("bikenode:navigate", (event) => go(event.detail.path, event.detail.replace));
window.addEventListener("bikenode:signed-out", () => {
  const here = window.location.pathname + window.location.search;
  if (!here.startsWith("/signin")) go(`/signin?next=${encodeURIComponent(here)}`, true);
});

const START_ATTEMPTS = 6;

async function start(attempt = 1) {
  try {
    await restoreSession();
  } catch (error) {
    const busy = error.status === 429 || error.status === 503 || error.status === 0;
    if (busy && attempt < START_ATTEMPTS) {
      // Busy or briefly unreachable: say so and come back, rather than leave a blank page.
      const waitS = Math.min(30, error.retryAfterS ?? 2 ** attempt);
      fill(
        main,
        h("h1", { tabindex: "-1" }, "BikeNode is busy"),
        h("p", { role: "status", class: "busy-retry" }, `${error.message}. Trying again in ${waitS} s…`),
      );
      markReady("busy");
      setTimeout(() => start(attempt + 1), waitS * 1000);
      return;
    }
    fill(
      main,
      h("h1", { tabindex: "-1" }, "BikeNode is not reachable"),
      errorBox(error),
      h("button", { type: "button", class: "primary", onclick: () => start() }, "Try again"),
    );
    markReady("unreachable");
    return;
  }
  await show(window.location.pathname + window.location.search);
}

start();
