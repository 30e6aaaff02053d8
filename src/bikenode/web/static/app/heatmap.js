// The heatmap page: one map with a heat layer on top of the base map, yours (every ride of
// yours, whole) or the community's (public rides of riders who take part, differentially
// private, docs/security.md) — the whole instance's or one of your clubs' — and the setting
// that keeps you out of the community's.
// Tiles need the access token, so the layer fetches each one through the API client and
// shows it from a blob URL (an <img src> would go without the Authorization header).

import { api } from "./api.js";
import { h, fill } from "./dom.js";
import { baseLayer } from "./map.js";

const LAYERS = [
  ["me", "Yours"],
  ["community", "Community"],
  ["off", "Off"],
];

function heatLayer(kind, club) {
  const L = window.L;
  const Layer = L.GridLayer.extend({
    createTile(coords, done) {
      const tile = document.createElement("img");
      tile.alt = "";
      tile.className = `heat-tile heat-${kind}`;
      const query = kind === "community" && club ? `?club=${encodeURIComponent(club)}` : "";
      const path = `/api/v1/heatmaps/${kind}/${coords.z}/${coords.x}/${coords.y}.png${query}`;
      api(path, { raw: true })
        .then((response) => response.blob())
        .then((blob) => {
          const url = URL.createObjectURL(blob);
          tile.onload = () => {
            URL.revokeObjectURL(url);
            tile.dataset.loaded = "true";
            done(null, tile);
          };
          tile.src = url;
        })
        .catch((error) => done(error, tile));
      return tile;
    },
  });
  return new Layer({ maxZoom: 18, maxNativeZoom: 18, opacity: 0.85, className: "heat-layer" });
}

async function rideBounds() {
  const page = await api("/api/v1/rides?limit=20").catch(() => ({ items: [] }));
  const boxes = (page.items || []).filter((r) => r.min_lat_deg !== null && r.min_lat_deg !== undefined);
  if (!boxes.length) return null;
  return [
    [Math.min(...boxes.map((r) => r.min_lat_deg)), Math.min(...boxes.map((r) => r.min_lon_deg))],
    [Math.max(...boxes.map((r) => r.max_lat_deg)), Math.max(...boxes.map((r) => r.max_lon_deg))],
  ];
}

// The clubs the viewer is an active member of (the list holds public clubs too).
async function myClubs() {
  const page = await api("/api/v1/clubs?limit=100").catch(() => ({ items: [] }));
  return (page.items || []).filter((c) => c.status === "active");
}

function clubSelect(clubs) {
  const select = h(
    "select",
    { id: "heat-club", name: "heat-club" },
    h("option", { value: "" }, "Everyone on this instance"),
    clubs.map((c) => h("option", { value: c.id }, c.name)),
  );
  return h("p", { class: "heat-club" }, h("label", { for: "heat-club" }, "Community of "), select);
}

function optOutToggle(settings) {
  const box = h("input", { type: "checkbox", id: "heat-opt-out", checked: settings.community_opt_out });
  const status = h("span", { class: "meta", role: "status" });
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      const saved = await api("/api/v1/heatmaps/settings", { method: "PUT", json: { community_opt_out: box.checked } });
      box.checked = saved.community_opt_out;
      status.textContent = saved.community_opt_out ? "Left out from the next weekly release." : "Counted from the next weekly release.";
    } catch (error) {
      box.checked = !box.checked;
      status.textContent = error.message;
    } finally {
      box.disabled = false;
    }
  });
  return h(
    "p",
    { class: "heat-setting" },
    box,
    " ",
    h("label", { for: "heat-opt-out" }, "Keep my rides out of the community heatmap"),
    " ",
    status,
  );
}

/** The settings page's heatmap card: the community opt-out, the same toggle as here. */
export async function settingsSection() {
  const settings = await api("/api/v1/heatmaps/settings");
  return h(
    "section",
    { class: "card narrow heat-settings" },
    h("h2", {}, "Heatmap"),
    optOutToggle(settings),
    h("p", { class: "hint" }, "Only public rides ever count, with your privacy zones cut; see the ", h("a", { href: "/heatmap" }, "heatmap"), "."),
  );
}

export async function render(main, { config }) {
  document.title = "Heatmap · BikeNode";
  const [settings, bounds, clubs] = await Promise.all([
    api("/api/v1/heatmaps/settings"),
    rideBounds(),
    myClubs(),
  ]);
  const element = h("div", { id: "heatmap-map", class: "map heatmap-map" });
  const picker = h(
    "fieldset",
    { class: "heat-picker" },
    h("legend", {}, "Heat layer"),
    LAYERS.map(([value, label]) =>
      h("label", {}, h("input", { type: "radio", name: "heat", value, checked: value === "me" }), ` ${label}`),
    ),
  );
  fill(
    main,
    h("h1", { tabindex: "-1" }, "Heatmap"),
    h(
      "p",
      { class: "meta" },
      "Yours shows every ride of yours, whole. The community's shows only public rides, with privacy zones cut, and stays dark where fewer than a few riders went.",
    ),
    picker,
    clubs.length ? clubSelect(clubs) : null,
    element,
    optOutToggle(settings),
  );
  const L = window.L;
  const map = L.map(element, { attributionControl: Boolean(config.mapTileUrl), zoomSnap: 1 });
  baseLayer(map, element, config);
  L.control.scale({ position: "bottomleft" }).addTo(map);
  if (bounds) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
  else map.setView([20, 0], 2);
  let layer = heatLayer("me").addTo(map);
  const show = (kind, club) => {
    layer?.remove();
    layer = kind === "off" ? null : heatLayer(kind, club).addTo(map);
    element.dataset.heat = kind;
    element.dataset.club = kind === "community" ? club : "";
  };
  const chosenClub = () => main.querySelector("#heat-club")?.value || "";
  picker.addEventListener("change", (event) => show(event.target.value, chosenClub()));
  main.querySelector("#heat-club")?.addEventListener("change", () => {
    // Choosing a club means its community heat: switch the layer to it.
    picker.querySelector("input[value='community']").checked = true;
    show("community", chosenClub());
  });
  element.dataset.heat = "me";
  return () => map.remove();
}
