// Club pages: the list with search and a form to start a club (/clubs, which also takes an
// invite link's ?invite=<token>), and a club's page (/clubs/<id>): about, join / ask / leave,
// members and requests, posts, club rides with RSVPs, and the weekly leaderboard. Every text
// a rider wrote is inserted as text, never as HTML.

import { api } from "./api.js";
import { busy, errorBox, field, fill, h, navigate, showError } from "./dom.js";
import * as u from "./units.js";

const SPORTS = ["cycling", "road", "gravel", "mountain", "track", "indoor", "running", "other"];
const ROLE_LABELS = { owner: "Owner", admin: "Admin", member: "Member" };

function clubItem(club) {
  const standing = club.status === "pending" ? "request sent" : club.role ? ROLE_LABELS[club.role].toLowerCase() : null;
  const facts = [club.sport, club.place_name, `${club.members} members`, club.private ? "private" : null, standing];
  return h(
    "li",
    { class: "panel club-item" },
    h("h2", {}, h("a", { href: `/clubs/${club.id}` }, club.name)),
    h("p", { class: "meta" }, facts.filter(Boolean).join(" · ")),
  );
}

function createForm() {
  const sport = h("select", { name: "sport" }, SPORTS.map((s) => h("option", { value: s }, s)));
  const form = h(
    "form",
    { class: "panel", "aria-label": "Start a club" },
    h("h2", {}, "Start a club"),
    field("Name", h("input", { name: "name", required: true, maxlength: 80 })),
    field("Description", h("textarea", { name: "description", maxlength: 2000, rows: 3 })),
    field("Sport", sport),
    field("Place", h("input", { name: "place_name", maxlength: 120 }), "A town or area, never a home address."),
    field("Private club", h("input", { type: "checkbox", name: "private" }), "Riders ask to join or use an invite link."),
    h("button", { type: "submit" }, "Create club"),
    h("div", { class: "errors" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {
      name: data.get("name"),
      description: data.get("description"),
      sport: data.get("sport"),
      private: data.get("private") === "on",
    };
    if (data.get("place_name")) body.place_name = data.get("place_name");
    const done = busy(form);
    try {
      const club = await api("/api/v1/clubs", { method: "POST", json: body });
      navigate(`/clubs/${club.id}`);
    } catch (error) {
      done();
      showError(form.querySelector(".errors"), error);
    }
  });
  return form;
}

function inviteBox(token) {
  const box = h("section", { class: "panel", "aria-label": "Invite" }, h("h2", {}, "You have an invite"));
  const button = h("button", { type: "button" }, "Join with this invite");
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const club = await api("/api/v1/clubs/join", { method: "POST", json: { token } });
      navigate(`/clubs/${club.id}`);
    } catch (error) {
      button.disabled = false;
      box.append(errorBox(error));
    }
  });
  box.append(button);
  return box;
}

export const listPage = {
  async render(main, { query }) {
    document.title = "Clubs · BikeNode";
    const list = h("ul", { class: "club-list", "aria-label": "Clubs" });
    const search = h("input", { type: "search", name: "q", maxlength: 80, value: query.get("q") || "" });
    const errors = h("div");
    const load = async () => {
      const q = search.value.trim();
      const page = await api(`/api/v1/clubs${q ? `?q=${encodeURIComponent(q)}` : ""}`);
      fill(list, page.items.length ? page.items.map(clubItem) : h("li", { class: "empty" }, "No clubs found."));
    };
    const form = h("form", { role: "search", class: "club-search" }, field("Search clubs", search), h("button", { type: "submit" }, "Search"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load().catch((error) => showError(errors, error));
    });
    const invite = query.get("invite");
    fill(main, h("h1", { tabindex: "-1" }, "Clubs"), invite ? inviteBox(invite) : null, form, errors, list, createForm());
    await load();
  },
};

function action(label, run, attrs = {}) {
  const button = h("button", { type: "button", ...attrs }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await run();
    } catch (error) {
      button.disabled = false;
      button.after(errorBox(error));
    }
  });
  return button;
}

function standing(club, base, redraw) {
  if (club.role === "owner") return h("p", { class: "actions" }, "You own this club.");
  if (club.status === "active") {
    return h("p", { class: "actions" }, `You are a ${club.role}. `, action("Leave club", async () => {
      await api(`${base}/membership`, { method: "DELETE" });
      await redraw();
    }, { class: "link danger" }));
  }
  if (club.status === "pending") {
    return h("p", { class: "actions" }, h("span", { role: "status" }, "Your request waits for an admin. "), action("Withdraw request", async () => {
      await api(`${base}/membership`, { method: "DELETE" });
      await redraw();
    }, { class: "link" }));
  }
  const label = club.private ? "Ask to join" : "Join club";
  return h("p", { class: "actions" }, action(label, async () => {
    await api(`${base}/membership`, { method: "POST" });
    await redraw();
  }));
}

function membersSection(club, base, members, requests, redraw) {
  const manage = club.role === "owner" || club.role === "admin";
  const item = (m) => h(
    "li",
    {},
    h("a", { href: `/riders/${m.id}` }, m.display_name),
    m.role !== "member" ? h("span", { class: "meta" }, ` · ${ROLE_LABELS[m.role]}`) : null,
    club.role === "owner" && m.role !== "owner"
      ? [" ", action(m.role === "admin" ? `Make ${m.display_name} a member` : `Make ${m.display_name} an admin`, async () => {
          await api(`${base}/admins/${m.id}`, { method: m.role === "admin" ? "DELETE" : "POST" });
          await redraw();
        }, { class: "link" })]
      : null,
  );
  const request = (m) => h(
    "li",
    {},
    m.display_name,
    " ",
    action(`Approve ${m.display_name}`, async () => {
      await api(`${base}/requests/${m.id}`, { method: "POST" });
      await redraw();
    }),
    " ",
    action("Decline", async () => {
      await api(`${base}/requests/${m.id}`, { method: "DELETE" });
      await redraw();
    }, { class: "link" }),
  );
  return h(
    "section",
    { class: "panel", "aria-label": "Members" },
    h("h2", {}, `Members (${club.members})`),
    h("ul", { class: "rider-list" }, members.items.map(item)),
    manage && requests
      ? [h("h3", {}, "Requests to join"), requests.items.length ? h("ul", { class: "rider-list", "aria-label": "Requests to join" }, requests.items.map(request)) : h("p", { class: "empty" }, "No requests waiting.")]
      : null,
    manage ? inviteMaker(base) : null,
  );
}

function inviteMaker(base) {
  const out = h("p", { class: "invite-link" });
  const button = action("Make an invite link", async () => {
    const invite = await api(`${base}/invites`, { method: "POST", json: { hours: 168 } });
    const link = `${window.location.origin}/clubs?invite=${encodeURIComponent(invite.token)}`;
    fill(out, h("input", { readonly: true, value: link, "aria-label": "Invite link", class: "wide" }), ` Valid until ${u.dateTime(invite.expires_at)}.`);
    button.disabled = false;
  }, { class: "link" });
  return h("div", {}, button, out);
}

function postsSection(club, base, posts, redraw) {
  const form = h(
    "form",
    { "aria-label": "New post" },
    field("Post to the club", h("textarea", { name: "body", required: true, maxlength: 2000, rows: 2 })),
    h("button", { type: "submit" }, "Post"),
    h("div", { class: "errors" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(form).get("body"); // before busy(): disabled fields are not sent
    const done = busy(form);
    try {
      await api(`${base}/posts`, { method: "POST", json: { body } });
      await redraw();
    } catch (error) {
      done();
      showError(form.querySelector(".errors"), error);
    }
  });
  const item = (p) => h("li", { class: "club-post" }, h("p", { class: "meta" }, `${p.author_name} · ${u.dateTime(p.created_at)}`), h("p", { class: "club-text" }, p.body));
  return h(
    "section",
    { class: "panel", "aria-label": "Posts" },
    h("h2", {}, "Posts"),
    club.status === "active" ? form : null,
    posts.items.length ? h("ul", { class: "club-posts", "aria-label": "Club posts" }, posts.items.map(item)) : h("p", { class: "empty" }, "No posts yet."),
  );
}

function eventsSection(club, base, events, redraw) {
  const form = h(
    "form",
    { "aria-label": "Plan a club ride" },
    field("Title", h("input", { name: "title", required: true, maxlength: 120 })),
    field("Starts", h("input", { type: "datetime-local", name: "starts_at", required: true })),
    field("Meeting point", h("input", { name: "place_name", maxlength: 120 }), "A public place, never a home."),
    h("button", { type: "submit" }, "Plan ride"),
    h("div", { class: "errors" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const local = new Date(data.get("starts_at"));
    const body = { title: data.get("title"), starts_at: Number.isNaN(local.getTime()) ? "" : local.toISOString() };
    if (data.get("place_name")) body.place_name = data.get("place_name");
    const done = busy(form);
    try {
      await api(`${base}/events`, { method: "POST", json: body });
      await redraw();
    } catch (error) {
      done();
      showError(form.querySelector(".errors"), error);
    }
  });
  const answer = (e, value, label) =>
    action(label, async () => {
      await api(`${base}/events/${e.id}/rsvp`, { method: "PUT", json: { answer: value } });
      await redraw();
    }, { "aria-pressed": String(e.rsvp === value), class: e.rsvp === value ? "chosen" : null });
  const item = (e) => h(
    "li",
    { class: "club-event" },
    h("h3", {}, e.title),
    h("p", { class: "meta" }, [u.dateTime(e.starts_at), e.place_name, `${e.going} going · ${e.maybe} maybe`].filter(Boolean).join(" · ")),
    club.status === "active" ? h("p", { class: "actions", "aria-label": `Answer ${e.title}` }, answer(e, "going", "Going"), " ", answer(e, "maybe", "Maybe"), " ", answer(e, "no", "Not going")) : null,
  );
  return h(
    "section",
    { class: "panel", "aria-label": "Club rides" },
    h("h2", {}, "Club rides"),
    events.items.length ? h("ul", { class: "club-events" }, events.items.map(item)) : h("p", { class: "empty" }, "No rides planned."),
    club.status === "active" ? form : null,
  );
}

function leaderboardSection(base) {
  const board = h("select", { name: "board", "aria-label": "Rank by" }, [["distance", "Distance"], ["time", "Moving time"], ["elevation", "Climbing"]].map(([v, l]) => h("option", { value: v }, l)));
  const body = h("div");
  const section = h("section", { class: "panel", "aria-label": "Leaderboard" }, h("h2", {}, "This week"), board, body);
  const load = async () => {
    const week = await api(`${base}/leaderboard?board=${board.value}`);
    const rows = week.rows.map((r) => h("tr", {}, h("td", {}, String(r.place)), h("td", {}, r.display_name), h("td", {}, u.distance(r.distance_m)), h("td", {}, u.duration(r.moving_time_s)), h("td", {}, u.elevation(r.elevation_gain_m))));
    fill(
      body,
      h("p", { class: "meta club-totals" }, `${week.week}: ${week.rides} rides · ${u.distance(week.distance_m)} · ${u.duration(week.moving_time_s)} · ${u.elevation(week.elevation_gain_m)} climbed`),
      rows.length
        ? h("div", { class: "table-wrap" }, h("table", { class: "data numeric" }, h("thead", {}, h("tr", {}, ["#", "Rider", "Distance", "Time", "Climbing"].map((t) => h("th", { scope: "col" }, t)))), h("tbody", {}, rows)))
        : h("p", { class: "empty" }, "No shared rides this week yet."),
    );
  };
  board.addEventListener("change", () => load().catch((error) => showError(body, error)));
  load().catch((error) => showError(body, error));
  return section;
}

export const clubPage = {
  async render(main, { params }) {
    const [id] = params;
    const base = `/api/v1/clubs/${id}`;
    const redraw = async () => {
      let club;
      try {
        club = await api(base);
      } catch (error) {
        if (error.status !== 404) throw error;
        document.title = "Club not found · BikeNode";
        fill(main, h("h1", { tabindex: "-1" }, "Club not found"), errorBox("There is no such club."));
        return;
      }
      document.title = `${club.name} · BikeNode`;
      const facts = [club.sport, club.place_name, `${club.members} members`, club.private ? "private club" : "public club"];
      const about = [
        h("h1", { tabindex: "-1" }, club.name),
        h("p", { class: "meta" }, facts.filter(Boolean).join(" · ")),
        club.description ? h("p", { class: "club-text" }, club.description) : null,
        standing(club, base, redraw),
      ];
      if (club.private && club.status !== "active") {
        fill(main, ...about, h("p", { class: "hint" }, "Members, posts and rides of a private club are for its members."));
        return;
      }
      const manage = club.role === "owner" || club.role === "admin";
      const [members, requests, posts, events] = await Promise.all([
        api(`${base}/members`),
        manage ? api(`${base}/requests`) : null,
        api(`${base}/posts`),
        api(`${base}/events`),
      ]);
      fill(
        main,
        ...about,
        h(
          "div",
          { class: "club-grid" },
          eventsSection(club, base, events, redraw),
          postsSection(club, base, posts, redraw),
          leaderboardSection(base),
          membersSection(club, base, members, requests, redraw),
        ),
      );
    };
    await redraw();
  },
};
