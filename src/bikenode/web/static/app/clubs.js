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
    field(
      "Private club",
      h("input", { type: "checkbox", name: "private" }),
      "Riders ask to join or use an invite link.",
    ),
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
    const form = h(
      "form",
      { role: "search", class: "club-search" },
      field("Search clubs", search),
      h("button", { type: "submit" }, "Search"),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      load().catch((error) => showError(errors, error));
    });
    const invite = query.get("invite");
    const heading = h("h1", { tabindex: "-1" }, "Clubs");
    fill(main, heading, invite ? inviteBox(invite) : null, form, errors, list, createForm());
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
  const membership = (method) => async () => {
    await api(`${base}/membership`, { method });
    await redraw();
  };
  if (club.status === "active") {
    const leave = action("Leave club", membership("DELETE"), { class: "link danger" });
    return h("p", { class: "actions" }, `You are a ${club.role}. `, leave);
  }
  if (club.status === "pending") {
    const waiting = h("span", { role: "status" }, "Your request waits for an admin. ");
    return h("p", { class: "actions" }, waiting, action("Withdraw request", membership("DELETE"), { class: "link" }));
  }
  return h("p", { class: "actions" }, action(club.private ? "Ask to join" : "Join club", membership("POST")));
}

function membersSection(club, base, members, requests, redraw) {
  const manage = club.role === "owner" || club.role === "admin";
  const roleButton = (m) => {
    const admin = m.role === "admin";
    const label = admin ? `Make ${m.display_name} a member` : `Make ${m.display_name} an admin`;
    const change = async () => {
      await api(`${base}/admins/${m.id}`, { method: admin ? "DELETE" : "POST" });
      await redraw();
    };
    return action(label, change, { class: "link" });
  };
  const item = (m) => h(
    "li",
    {},
    h("a", { href: `/riders/${m.id}` }, m.display_name),
    m.role !== "member" ? h("span", { class: "meta" }, ` · ${ROLE_LABELS[m.role]}`) : null,
    club.role === "owner" && m.role !== "owner" ? [" ", roleButton(m)] : null,
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
    manage && requests ? [h("h3", {}, "Requests to join"), requestList(requests.items, request)] : null,
    manage ? inviteMaker(base) : null,
  );
}

function requestList(items, item) {
  if (!items.length) return h("p", { class: "empty" }, "No requests waiting.");
  return h("ul", { class: "rider-list", "aria-label": "Requests to join" }, items.map(item));
}

function inviteMaker(base) {
  const out = h("p", { class: "invite-link" });
  const button = action("Make an invite link", async () => {
    const invite = await api(`${base}/invites`, { method: "POST", json: { hours: 168 } });
    const link = `${window.location.origin}/clubs?invite=${encodeURIComponent(invite.token)}`;
    const shown = h("input", { readonly: true, value: link, "aria-label": "Invite link", class: "wide" });
    fill(out, shown, ` Valid until ${u.dateTime(invite.expires_at)}.`);
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
  const item = (p) =>
    h(
      "li",
      { class: "club-post" },
      h("p", { class: "meta" }, `${p.author_name} · ${u.dateTime(p.created_at)}`),
      h("p", { class: "club-text" }, p.body),
    );
  return h(
    "section",
    { class: "panel", "aria-label": "Posts" },
    h("h2", {}, "Posts"),
    club.status === "active" ? form : null,
    posts.items.length
      ? h("ul", { class: "club-posts", "aria-label": "Club posts" }, posts.items.map(item))
      : h("p", { class: "empty" }, "No posts yet."),
  );
}

function eventsSection(club, base, events, redraw) {
  const form = h(
    "form",
    { "aria-label": "Plan a club ride" },
    field("Title", h("input", { name: "title", required: true, maxlength: 120 })),
    field("Starts", h("input", { type: "datetime-local", name: "starts_at", required: true })),
    field("Meeting point", h("input", { name: "place_name", maxlength: 120 }), "A public place, never a home."),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "live" }), " Open a live group ride (riders going join it)"),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "members_only" }), " Members only"),
    h("button", { type: "submit" }, "Plan ride"),
    h("div", { class: "errors" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const local = new Date(data.get("starts_at"));
    const startsAt = Number.isNaN(local.getTime()) ? "" : local.toISOString(); // the browser's zone
    const body = { title: data.get("title"), starts_at: startsAt, live: data.get("live") === "on", members_only: data.get("members_only") === "on" };
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
  const eventFacts = (e) =>
    [u.dateTime(e.starts_at), e.place_name, `${e.going} going · ${e.maybe} maybe`, e.members_only ? "members only" : null]
      .filter(Boolean)
      .join(" · ");
  // The live page of its group ride: public, or open to the riders going.
  const liveLink = (e) =>
    e.live_group_id
      ? h("p", { class: "club-ride-live" }, h("a", { href: `/live/groups/${e.live_group_id}` }, `Live: ${e.title}`))
      : null;
  const answers = (e) =>
    h(
      "p",
      { class: "actions", "aria-label": `Answer ${e.title}` },
      answer(e, "going", "Going"),
      " ",
      answer(e, "maybe", "Maybe"),
      " ",
      answer(e, "no", "Not going"),
    );
  const item = (e) => h(
    "li",
    { class: "club-event" },
    h("h3", {}, e.title),
    h("p", { class: "meta" }, eventFacts(e)),
    liveLink(e),
    club.status === "active" ? answers(e) : null,
  );
  return h(
    "section",
    { class: "panel", "aria-label": "Club rides" },
    h("h2", {}, "Club rides"),
    events.items.length
      ? h("ul", { class: "club-events" }, events.items.map(item))
      : h("p", { class: "empty" }, "No rides planned."),
    club.status === "active" ? form : null,
  );
}

const BOARDS = [
  ["distance", "Distance"],
  ["time", "Moving time"],
  ["elevation", "Climbing"],
];

function leaderRow(r) {
  const cells = [
    String(r.place),
    r.display_name,
    u.distance(r.distance_m),
    u.duration(r.moving_time_s),
    u.elevation(r.elevation_gain_m),
  ];
  return h("tr", {}, cells.map((text) => h("td", {}, text)));
}

function leaderTable(rows) {
  const head = ["#", "Rider", "Distance", "Time", "Climbing"].map((t) => h("th", { scope: "col" }, t));
  const table = h("table", { class: "data numeric" }, h("thead", {}, h("tr", {}, head)), h("tbody", {}, rows));
  return h("div", { class: "table-wrap" }, table);
}

function leaderboardSection(base) {
  const board = h("select", { name: "board", "aria-label": "Rank by" }, BOARDS.map(([v, l]) => h("option", { value: v }, l)));
  const body = h("div");
  const section = h("section", { class: "panel", "aria-label": "Leaderboard" }, h("h2", {}, "This week"), board, body);
  const load = async () => {
    const week = await api(`${base}/leaderboard?board=${board.value}`);
    const figures = [
      `${week.rides} rides`,
      u.distance(week.distance_m),
      u.duration(week.moving_time_s),
      `${u.elevation(week.elevation_gain_m)} climbed`,
    ];
    fill(
      body,
      h("p", { class: "meta club-totals" }, `${week.week}: ${figures.join(" · ")}`),
      week.rows.length ? leaderTable(week.rows.map(leaderRow)) : h("p", { class: "empty" }, "No shared rides this week yet."),
    );
  };
  board.addEventListener("change", () => load().catch((error) => showError(body, error)));
  load().catch((error) => showError(body, error));
  return section;
}

// The avatar comes with the bearer token (an <img src> would not send it), as a blob URL.
function avatarImage(club) {
  const img = h("img", { class: "club-avatar", alt: `${club.name} avatar`, width: 96, height: 96 });
  if (!club.avatar_url) {
    img.hidden = true;
    return img;
  }
  api(club.avatar_url, { raw: true })
    .then((response) => response.blob())
    .then((blob) => {
      img.src = URL.createObjectURL(blob);
    })
    .catch(() => {
      img.hidden = true;
    });
  return img;
}

function avatarForm(club, base, redraw) {
  const input = h("input", { type: "file", name: "file", accept: "image/jpeg,image/png,image/webp", required: true });
  const form = h(
    "form",
    { class: "avatar-form", "aria-label": "Club avatar" },
    field("Avatar", input, "JPEG, PNG or WebP, up to 512 KB and 4096 px a side; its photo metadata is removed."),
    h("button", { type: "submit" }, "Upload avatar"),
    club.avatar_url
      ? action("Remove avatar", async () => {
          await api(`${base}/avatar`, { method: "DELETE" });
          await redraw();
        }, { class: "link danger" })
      : null,
    h("div", { class: "errors" }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form); // before busy(): disabled inputs leave a form's data
    const done = busy(form);
    try {
      await api(`${base}/avatar`, { method: "PUT", body: data });
      await redraw();
    } catch (error) {
      done();
      showError(form.querySelector(".errors"), error);
    }
  });
  return form;
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
      const kind = club.private ? "private club" : "public club";
      const facts = [club.sport, club.place_name, `${club.members} members`, kind];
      const manage = club.role === "owner" || club.role === "admin";
      const about = [
        h("div", { class: "club-head" }, avatarImage(club), h("h1", { tabindex: "-1" }, club.name)),
        h("p", { class: "meta" }, facts.filter(Boolean).join(" · ")),
        club.description ? h("p", { class: "club-text" }, club.description) : null,
        standing(club, base, redraw),
        manage ? avatarForm(club, base, redraw) : null,
      ];
      if (club.private && club.status !== "active") {
        const hint = "Members, posts and rides of a private club are for its members.";
        fill(main, ...about, h("p", { class: "hint" }, hint));
        return;
      }
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
