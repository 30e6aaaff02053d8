// Social pages: the feed (/feed), a rider's profile with the follow button and follower lists
// (/riders/<id>), the follow requests, follow setting and blocks (/follow-requests), and the
// kudos and comments shown on a ride page. Comments are shown as text, never as HTML.

import { api, currentUser } from "./api.js";
import { busy, errorBox, field, fill, h, showError } from "./dom.js";
import * as u from "./units.js";

const FEED_PAGE = 20;

const riderLink = (id, name) => h("a", { href: `/riders/${id}` }, name || "A rider");

function kudosButton(rideId, state, onChange) {
  const label = () => (state.given ? `Kudos given (${state.count})` : `Give kudos (${state.count})`);
  const button = h("button", { type: "button", class: "kudos", "aria-pressed": String(state.given) }, label());
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if (state.given) {
        await api(`/api/v1/rides/${rideId}/kudos`, { method: "DELETE" });
        Object.assign(state, { given: false, count: state.count - 1 });
      } else {
        const answer = await api(`/api/v1/rides/${rideId}/kudos`, { method: "POST" });
        Object.assign(state, { given: answer.given, count: answer.count });
      }
      button.textContent = label();
      button.setAttribute("aria-pressed", String(state.given));
      onChange?.(state);
    } catch (error) {
      button.after(errorBox(error));
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// A post in one of the rider's clubs, between the rides (its body is text, never HTML).
function clubPostEntry(item) {
  return h(
    "li",
    { class: "feed-item feed-post panel" },
    h(
      "p",
      { class: "meta" },
      riderLink(item.author_id, item.author_name),
      " in ",
      h("a", { href: `/clubs/${item.club_id}` }, item.club_name),
      " · ",
      u.date(item.created_at),
    ),
    h("p", { class: "post-body" }, item.body),
  );
}

function feedEntry(item) {
  if (item.kind === "club_post") return clubPostEntry(item);
  const figures = [
    item.started_at ? u.date(item.started_at) : null,
    item.distance_m !== null ? u.distance(item.distance_m) : null,
    item.moving_time_s !== null ? u.duration(item.moving_time_s) : null,
  ].filter(Boolean);
  return h(
    "li",
    { class: "feed-item panel" },
    h("p", { class: "meta" }, riderLink(item.owner_id, item.owner_name), " · ", figures.join(" · ")),
    h("h2", {}, h("a", { href: `/rides/${item.id}` }, item.name)),
    h(
      "p",
      { class: "reactions" },
      kudosButton(item.id, { given: item.kudosed, count: item.kudos }),
      " ",
      h("a", { href: `/rides/${item.id}#comments` }, `${item.comments} comments`),
    ),
  );
}

export const feedPage = {
  async render(main) {
    document.title = "Feed · BikeNode";
    const list = h("ol", { class: "feed", "aria-label": "Rides of riders you follow and your clubs' posts" });
    const more = h("button", { type: "button", hidden: true }, "Show older");
    const errors = h("div");
    let cursor = null;
    async function load() {
      const query = `limit=${FEED_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await api(`/api/v1/feed?${query}`);
      list.append(...page.items.map(feedEntry));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (!list.children.length) {
        list.replaceWith(h("p", { class: "empty" }, "No rides yet: follow riders to see their rides here."));
      }
    }
    more.addEventListener("click", () => load().catch((error) => showError(errors, error)));
    fill(main, h("h1", { tabindex: "-1" }, "Feed"), errors, list, more);
    await load();
  },
};

function riderList(title, items) {
  return h(
    "section",
    { class: "panel", "aria-label": title },
    h("h2", {}, title),
    items.length
      ? h("ul", { class: "rider-list" }, items.map((r) => h("li", {}, riderLink(r.id, r.display_name))))
      : h("p", { class: "empty" }, "Nobody yet."),
  );
}

function followButton(profile, redraw) {
  const labels = { accepted: "Unfollow", pending: "Cancel the request" };
  const button = h("button", { type: "button" }, labels[profile.follow_status] || "Follow");
  button.addEventListener("click", async () => {
    const method = profile.follow_status ? "DELETE" : "POST";
    button.disabled = true;
    try {
      await api(`/api/v1/users/${profile.id}/follow`, { method });
      await redraw();
    } catch (error) {
      button.disabled = false;
      button.after(errorBox(error));
    }
  });
  return button;
}

function blockButton(profile) {
  const button = h("button", { type: "button", class: "link danger" }, "Block");
  button.addEventListener("click", async () => {
    if (!window.confirm(`Block ${profile.display_name}? Follows between you end.`)) return;
    await api(`/api/v1/me/blocks/${profile.id}`, { method: "PUT" });
    window.location.assign("/follow-requests");
  });
  return button;
}

/** A rider's rides the viewer may see, newest first, older ones on demand. */
function ridesSection(id) {
  const list = h("ol", { class: "feed", "aria-label": "Their rides" });
  const more = h("button", { type: "button", hidden: true }, "Show older rides");
  const section = h("section", { "aria-label": "Rides" }, h("h2", {}, "Rides"), list, more);
  let cursor = null;
  const load = async () => {
    const query = `limit=${FEED_PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const page = await api(`/api/v1/users/${id}/rides?${query}`);
    list.append(...page.items.map(feedEntry));
    cursor = page.next_cursor;
    more.hidden = !cursor;
    if (!list.children.length) list.replaceWith(h("p", { class: "empty" }, "No rides you may see."));
  };
  more.addEventListener("click", () => load().catch((error) => section.append(errorBox(error))));
  load().catch((error) => section.append(errorBox(error)));
  return section;
}

export const riderPage = {
  async render(main, { params }) {
    const [id] = params;
    const me = await currentUser();
    const redraw = async () => {
      let profile;
      try {
        profile = await api(`/api/v1/users/${id}`);
      } catch (error) {
        if (error.status !== 404) throw error;
        document.title = "Rider not found · BikeNode";
        fill(main, h("h1", { tabindex: "-1" }, "Rider not found"), errorBox("There is no such rider."));
        return;
      }
      document.title = `${profile.display_name} · BikeNode`;
      const own = me && me.id === profile.id;
      const status = { accepted: "You follow this rider.", pending: "Your request waits for approval." };
      const lists = profile.lists_visible
        ? await Promise.all([api(`/api/v1/users/${id}/followers`), api(`/api/v1/users/${id}/following`)])
        : null;
      fill(
        main,
        h("h1", { tabindex: "-1" }, profile.display_name),
        h(
          "p",
          { class: "counts" },
          `${profile.followers} followers · ${profile.following} following`,
          profile.approve_followers ? " · approves followers" : "",
        ),
        own
          ? h("p", {}, h("a", { href: "/follow-requests" }, "Your follow requests and settings"))
          : h(
              "p",
              { class: "actions" },
              status[profile.follow_status] ? h("span", { role: "status" }, status[profile.follow_status], " ") : null,
              followButton(profile, redraw),
              " ",
              blockButton(profile),
            ),
        ridesSection(id),
        lists
          ? h("div", { class: "rider-lists" }, riderList("Followers", lists[0].items), riderList("Following", lists[1].items))
          : h("p", { class: "hint" }, "Only approved followers see whom this rider follows."),
      );
    };
    await redraw();
  },
};

function requestItem(rider, redraw) {
  const answer = (method) => async () => {
    await api(`/api/v1/me/follow-requests/${rider.id}`, { method });
    await redraw();
  };
  return h(
    "li",
    {},
    riderLink(rider.id, rider.display_name),
    " ",
    h("button", { type: "button", onclick: answer("POST") }, `Approve ${rider.display_name}`),
    " ",
    h("button", { type: "button", class: "link", onclick: answer("DELETE") }, "Decline"),
  );
}

export const requestsPage = {
  async render(main) {
    document.title = "Followers · BikeNode";
    const redraw = async () => {
      const [requests, settings, blocks] = await Promise.all([
        api("/api/v1/me/follow-requests"),
        api("/api/v1/me/social"),
        api("/api/v1/me/blocks"),
      ]);
      const approve = h("input", { type: "checkbox", name: "approve_followers", checked: settings.approve_followers });
      const form = h(
        "form",
        { class: "panel", "aria-label": "Follow setting" },
        field("Approve each follower myself", approve, "Off: anyone may follow you at once."),
        h("p", { role: "status" }),
      );
      approve.addEventListener("change", async () => {
        const done = busy(form);
        try {
          await api("/api/v1/me/social", { method: "PUT", json: { approve_followers: approve.checked } });
          fill(form.querySelector("[role=status]"), "Saved.");
        } finally {
          done();
        }
      });
      const unblock = (rider) =>
        h(
          "li",
          {},
          rider.display_name,
          " ",
          h(
            "button",
            {
              type: "button",
              onclick: async () => {
                await api(`/api/v1/me/blocks/${rider.id}`, { method: "DELETE" });
                await redraw();
              },
            },
            `Unblock ${rider.display_name}`,
          ),
        );
      fill(
        main,
        h("h1", { tabindex: "-1" }, "Followers"),
        form,
        h(
          "section",
          { class: "panel", "aria-label": "Follow requests" },
          h("h2", {}, "Follow requests"),
          requests.items.length
            ? h("ul", { class: "rider-list" }, requests.items.map((r) => requestItem(r, redraw)))
            : h("p", { class: "empty" }, "No requests waiting."),
        ),
        h(
          "section",
          { class: "panel", "aria-label": "Blocked riders" },
          h("h2", {}, "Blocked riders"),
          blocks.items.length
            ? h("ul", { class: "rider-list" }, blocks.items.map(unblock))
            : h("p", { class: "empty" }, "You block nobody."),
        ),
      );
    };
    await redraw();
  },
};

function commentItem(comment, redraw) {
  const remove = comment.deletable
    ? h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: async () => {
            await api(`/api/v1/comments/${comment.id}`, { method: "DELETE" });
            await redraw();
          },
        },
        "Delete",
      )
    : null;
  return h(
    "li",
    { class: "comment" },
    h("p", { class: "meta" }, riderLink(comment.author_id, comment.author_name), " · ", u.dateTime(comment.created_at), " ", remove),
    h("p", { class: "body" }, comment.body),
  );
}

/** Kudos and comments of a ride, for the ride page; signed-out readers see them only, and
 * the ride's owner sees the kudos without a button (none on one's own ride). */
export function rideSocialSection(rideId, me, isOwner) {
  const section = h("section", { class: "panel ride-social", id: "comments", "aria-label": "Kudos and comments" });
  const redraw = async () => {
    const [kudos, comments] = await Promise.all([
      api(`/api/v1/rides/${rideId}/kudos`),
      api(`/api/v1/rides/${rideId}/comments`),
    ]);
    const givers = kudos.items.map((r) => r.display_name).join(", ");
    const body = h("textarea", { name: "body", rows: "3", maxlength: "2000", required: true });
    const errors = h("div");
    const form = h(
      "form",
      { "aria-label": "Add a comment" },
      field("Comment", body, "Plain text; @Name tells a rider who may see this ride."),
      errors,
      h("button", { type: "submit" }, "Post the comment"),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const done = busy(form);
      try {
        await api(`/api/v1/rides/${rideId}/comments`, { method: "POST", json: { body: body.value } });
        await redraw();
      } catch (error) {
        done();
        showError(errors, error);
      }
    });
    fill(
      section,
      h("h2", {}, "Kudos and comments"),
      h(
        "p",
        { class: "kudos-line" },
        me && !isOwner
          ? kudosButton(rideId, { given: kudos.given, count: kudos.count }, () => redraw())
          : `${kudos.count} kudos`,
        givers ? ` ${givers}` : "",
      ),
      comments.items.length
        ? h("ol", { class: "comments" }, comments.items.map((c) => commentItem(c, redraw)))
        : h("p", { class: "empty" }, "No comments yet."),
      me ? form : null,
    );
  };
  redraw().catch((error) => fill(section, errorBox(error)));
  return section;
}
