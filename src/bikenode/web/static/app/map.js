// Maps with Leaflet (vendored, loaded as window.L): the base layer every map page shares, and
// the ride map. The base layer is OpenStreetMap's tiles unless the operator set another tile
// URL, this server's tile cache, or none; with none, or when no tile loads, the track is
// drawn on a plain background with a notice, never a broken page.

const TRACK_COLOR = "#d9480f";

/** Runs of consecutive points that have a position ([[lat, lon], ...] each). */
export function trackSegments(lat, lon) {
  const segments = [];
  let current = [];
  for (let i = 0; i < lat.length; i++) {
    if (lat[i] === null || lon[i] === null) {
      if (current.length) segments.push(current);
      current = [];
    } else {
      current.push([lat[i], lon[i]]);
    }
  }
  if (current.length) segments.push(current);
  return segments;
}

/**
 * Draw the track in element; returns {moveTo(index), destroy()}. moveTo puts the cursor
 * marker on the point at that index of lat/lon (or the nearest one with a position).
 */
export function rideMap(element, lat, lon, { tileUrl, attribution, imperial }) {
  const L = window.L;
  const segments = trackSegments(lat, lon);
  const map = L.map(element, {
    renderer: L.svg({ padding: 0.2 }),
    attributionControl: Boolean(tileUrl),
    zoomSnap: 0.25,
    keyboard: true,
  });
  baseLayer(map, element, { mapTileUrl: tileUrl, mapTileAttribution: attribution });
  const track = L.polyline(segments, {
    color: TRACK_COLOR,
    weight: 3,
    className: "ride-track",
    interactive: false,
  }).addTo(map);
  map.fitBounds(track.getBounds(), { padding: [16, 16] });
  const first = segments[0][0];
  const last = segments.at(-1).at(-1);
  endMarker(L, last, "ride-finish", "#c92a2a", "Finish").addTo(map);
  endMarker(L, first, "ride-start", "#2b8a3e", "Start").addTo(map);
  L.control.scale({ metric: !imperial, imperial, position: "bottomleft" }).addTo(map);
  const cursor = L.circleMarker(first, {
    radius: 7,
    className: "ride-cursor",
    weight: 2,
    color: "#fff",
    fillColor: "#111",
    fillOpacity: 1,
    interactive: false,
  });

  function moveTo(index) {
    if (index === null || index === undefined) {
      cursor.remove();
      return;
    }
    const found = nearestPosition(lat, lon, index);
    if (found === null) return;
    cursor.setLatLng([lat[found], lon[found]]);
    if (!map.hasLayer(cursor)) cursor.addTo(map);
  }

  return { moveTo, destroy: () => map.remove() };
}

/**
 * Add the configured base layer to a Leaflet map (config: the page's mapTileUrl and
 * mapTileAttribution). Tiles are asked for only as the map shows them (no prefetching), and
 * only the page's origin goes to the tile server as the Referer, as OpenStreetMap's tile
 * policy asks, never the page's path.
 */
export function baseLayer(map, element, config) {
  const L = window.L;
  if (!config.mapTileUrl) {
    element.classList.add("no-tiles");
    return null;
  }
  const layer = L.tileLayer(config.mapTileUrl, {
    attribution: config.mapTileAttribution,
    maxZoom: 19,
    referrerPolicy: "strict-origin-when-cross-origin",
  });
  let notice = null;
  let loaded = false;
  layer.on("tileload", () => {
    loaded = true;
    element.classList.remove("no-tiles");
    notice?.remove();
    notice = null;
  });
  layer.on("tileerror", () => {
    if (loaded || notice) return;
    element.classList.add("no-tiles");
    notice = document.createElement("p");
    notice.className = "map-notice";
    notice.setAttribute("role", "status");
    notice.textContent = "The base map could not be loaded: drawn on a plain background.";
    element.append(notice);
  });
  return layer.addTo(map);
}

function endMarker(L, at, className, fillColor, label) {
  return L.circleMarker(at, {
    radius: 6,
    className,
    weight: 2,
    color: "#fff",
    fillColor,
    fillOpacity: 1,
  }).bindTooltip(label, { direction: "top" });
}

function nearestPosition(lat, lon, index) {
  for (let step = 0; step < lat.length; step++) {
    for (const i of [index - step, index + step]) {
      if (i >= 0 && i < lat.length && lat[i] !== null && lon[i] !== null) return i;
    }
  }
  return null;
}
