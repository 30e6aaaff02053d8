// Mechanics: "find a mechanic" (on /market), a mechanic's own profile form (on /market for
// mechanics), and /market/mechanics/<id>: a public profile with its reviews, where the
// reviewed mechanic replies once. Places are never shown: only whole km from a search point.

import { api, currentUser } from "./api.js";
import { busy, errorBox, field, fill, h, showError } from "./dom.js";

const SERVICES = [
  "bottom_bracket", "brakes", "chain", "drivetrain", "e_bike", "fitting",
  "frame", "full_service", "headset", "suspension", "tyres", "wheels",
];
const serviceName = (s) => s.replace(/_/g, " ");

function stars(rating, count) {
  return `★ ${rating.toFixed(2)} (${count} review${count === 1 ? "" : "s"})`;
}

function number(name, attrs) {
  return h("input", { name, type: "number", step: "any", required: true, ...attrs });
}

/** The rider's search: mechanics accepting jobs near a point, by rating or distance. */
export function searchForm() {
  const lat = number("near_lat", { min: "-90", max: "90" });
  const lon = number("near_lon", { min: "-180", max: "180" });
  const radius = number("near_radius", { min: "1", max: "200", value: "10", step: "1" });
  const service = h("select", { name: "near_service" }, h("option", { value: "" }, "Any service"),
    SERVICES.map((s) => h("option", { value: s }, serviceName(s))));
  const sort = h("select", { name: "near_sort" }, h("option", { value: "rating" }, "Best rated"),
    h("option", { value: "distance" }, "Nearest"));
  const results = h("div", { class: "mechanics-found" });
  const form = h("form", { class: "card", "aria-label": "Find a mechanic" },
    h("h2", {}, "Find a mechanic"),
    field("Near latitude", lat), field("Near longitude", lon), field("Within (km)", radius),
    field("Service", service), field("Sort", sort),
    h("button", { type: "submit" }, "Search"), results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const query = new URLSearchParams({ near: `${lat.value},${lon.value}`, radius_km: radius.value, sort: sort.value });
      if (service.value) query.set("service", service.value);
      const found = await api(`/api/v1/market/mechanics?${query}`);
      fill(results, found.items.length
        ? h("ul", { class: "mechanics" }, found.items.map((m) => h("li", { class: "card mechanic" },
          h("a", { href: `/market/mechanics/${m.id}` }, m.display_name),
          h("span", {}, ` · ${stars(m.rating, m.review_count)} · ${m.distance_km} km`),
          h("p", { class: "hint" }, m.services.map(serviceName).join(", ")))))
        : h("p", { role: "status" }, "No mechanics there."));
    } catch (error) {
      showError(results, error);
    } finally {
      done();
    }
  });
  return form;
}

/** The mechanic's own profile: create or change it (the place keeps only ~1 km). */
export async function profileForm() {
  let own = null;
  try {
    own = await api("/api/v1/market/me/mechanic");
  } catch (error) {
    if (error.status !== 404) throw error;
  }
  const name = h("input", { name: "shop_name", required: true, maxlength: "80", value: own?.display_name || "" });
  const bio = h("textarea", { name: "shop_bio", maxlength: "2000", rows: "3" });
  bio.value = own?.bio || "";
  const lat = number("shop_lat", { min: "-90", max: "90", value: own?.lat_deg ?? "" });
  const lon = number("shop_lon", { min: "-180", max: "180", value: own?.lon_deg ?? "" });
  const radius = number("shop_radius", { min: "1", max: "200", step: "1", value: own?.radius_km ?? 15 });
  const hours = h("input", { name: "shop_hours", maxlength: "200", value: own?.hours || "" });
  const accepting = h("input", { name: "shop_accepting", type: "checkbox", checked: own ? own.accepting : true });
  const services = h("fieldset", { class: "services" }, h("legend", {}, "Services"),
    SERVICES.map((s) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "service", value: s, checked: own?.services.includes(s) }), ` ${serviceName(s)}`)));
  const status = h("div", { class: "form-status" });
  const form = h("form", { class: "card", "aria-label": "My mechanic profile" },
    h("h2", {}, "My mechanic profile"),
    own ? h("p", {}, h("a", { href: `/market/mechanics/${own.id}` }, "See your public profile")) : null,
    field("Display name", name), field("About", bio), services,
    field("Shop latitude", lat, "Only the surrounding square kilometre is kept."),
    field("Shop longitude", lon), field("Service radius (km)", radius), field("Opening hours", hours),
    h("label", { class: "check" }, accepting, " Accepting jobs"),
    h("button", { type: "submit" }, "Save the profile"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      await api("/api/v1/market/me/mechanic", { method: "PUT", json: {
        display_name: name.value, bio: bio.value, hours: hours.value, accepting: accepting.checked,
        services: [...services.querySelectorAll("input:checked")].map((box) => box.value),
        lat_deg: Number(lat.value), lon_deg: Number(lon.value), radius_km: Number(radius.value),
      } });
      fill(status, h("p", { role: "status" }, "Profile saved."));
    } catch (error) {
      showError(status, error);
    } finally {
      done();
    }
  });
  return form;
}

/** /market/mechanics/<id>: the public profile and its reviews, newest first. */
export async function profilePage(main, { params }) {
  let mechanic;
  try {
    mechanic = await api(`/api/v1/market/mechanics/${params[0]}`);
  } catch (error) {
    if (error.status !== 404) throw error;
    document.title = "Mechanic not found · BikeNode";
    fill(main, h("h1", {}, "Mechanic not found"), errorBox("There is no mechanic profile here."));
    return null;
  }
  const me = await currentUser();
  const reviews = await api(`/api/v1/market/mechanics/${mechanic.id}/reviews`);
  document.title = `${mechanic.display_name} · BikeNode`;
  fill(main,
    h("h1", { tabindex: "-1" }, mechanic.display_name),
    h("p", { class: "rating" }, stars(mechanic.rating, mechanic.review_count)),
    h("p", {}, mechanic.bio),
    h("p", { class: "hint" }, `${mechanic.services.map(serviceName).join(", ")} · within ${mechanic.radius_km} km`),
    mechanic.hours ? h("p", {}, `Hours: ${mechanic.hours}`) : null,
    h("p", {}, mechanic.accepting ? "Accepting jobs" : "Not accepting jobs now"),
    h("h2", {}, "Reviews"),
    reviews.items.length
      ? h("ul", { class: "reviews" }, reviews.items.map((r) => reviewItem(r, me.id === mechanic.id)))
      : h("p", { class: "empty" }, "No reviews yet."));
  return null;
}

function reviewItem(review, mine) {
  const item = h("li", { class: "card review" },
    h("strong", {}, "★".repeat(review.stars)), h("p", {}, review.text));
  if (review.reply) item.append(h("p", { class: "reply" }, `Reply: ${review.reply}`));
  else if (mine) item.append(replyForm(review, item));
  return item;
}

function replyForm(review, item) {
  const text = h("textarea", { name: "reply", required: true, maxlength: "2000", rows: "2" });
  text.id = `reply-${review.id}`;
  const status = h("div", { class: "form-status" });
  const form = h("form", { "aria-label": "Reply to this review" }, field("Your reply", text),
    h("button", { type: "submit" }, "Reply"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const done = busy(form);
    try {
      const key = crypto.randomUUID();
      const saved = await api(`/api/v1/market/reviews/${review.id}/reply`, {
        method: "POST", json: { text: text.value }, headers: { "Idempotency-Key": key } });
      form.replaceWith(h("p", { class: "reply", role: "status" }, `Reply: ${saved.reply}`));
    } catch (error) {
      done();
      showError(status, error);
    }
  });
  return form;
}
