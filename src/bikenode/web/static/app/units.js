// Numbers for people: metric or imperial, durations, dates in the rider's timezone.
// Every value from the API is SI (metres, seconds, metres per second, degrees Celsius).

const METRES_PER_MILE = 1609.344;
const FEET_PER_METRE = 3.28084;
const POUNDS_PER_KG = 2.2046226218;

let system = "metric";
let zone = undefined; // the browser's own until a user's preference is known

export function setPreferences({ units, timezone } = {}) {
  system = units === "imperial" ? "imperial" : "metric";
  zone = timezone || undefined;
}

export const isImperial = () => system === "imperial";
export const timeZone = () => zone;

function fixed(value, digits) {
  return value.toLocaleString(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

const missing = (value) => value === null || value === undefined || Number.isNaN(value);

export const distanceUnit = () => (isImperial() ? "mi" : "km");
export const elevationUnit = () => (isImperial() ? "ft" : "m");
export const speedUnit = () => (isImperial() ? "mph" : "km/h");

/** Metres in the rider's big unit (km or mi), as a number. */
export const toDistance = (m) => (isImperial() ? m / METRES_PER_MILE : m / 1000);
export const toElevation = (m) => (isImperial() ? m * FEET_PER_METRE : m);
export const toSpeed = (mps) => (isImperial() ? (mps * 3600) / METRES_PER_MILE : mps * 3.6);

export const weightUnit = () => (isImperial() ? "lb" : "kg");
/** Kilograms in the rider's unit (kg or lb), and back. */
export const toWeight = (kg) => (isImperial() ? kg * POUNDS_PER_KG : kg);
export const fromWeight = (value) => (isImperial() ? value / POUNDS_PER_KG : value);

export function weight(kg) {
  return missing(kg) ? "—" : `${fixed(toWeight(kg), 1)} ${weightUnit()}`;
}

export function distance(m, digits = 2) {
  return missing(m) ? "—" : `${fixed(toDistance(m), digits)} ${distanceUnit()}`;
}

export function elevation(m) {
  return missing(m) ? "—" : `${fixed(toElevation(m), 0)} ${elevationUnit()}`;
}

export function speed(mps) {
  return missing(mps) ? "—" : `${fixed(toSpeed(mps), 1)} ${speedUnit()}`;
}

export function temperature(c) {
  if (missing(c)) return "—";
  return isImperial() ? `${fixed((c * 9) / 5 + 32, 0)} °F` : `${fixed(c, 0)} °C`;
}

export function number(value, unit = "", digits = 0) {
  return missing(value) ? "—" : `${fixed(value, digits)}${unit ? ` ${unit}` : ""}`;
}

/** Seconds as h:mm:ss (or m:ss under an hour). */
export function duration(seconds) {
  if (missing(seconds)) return "—";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A short duration label for best efforts: 5 s, 1 min, 20 min, 1 h. */
export function span(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${seconds / 60} min`;
  return `${seconds / 3600} h`;
}

export function date(iso, options = { dateStyle: "medium" }) {
  if (!iso) return "—";
  // A caller's own timeZone wins (a day string formatted in UTC, say); else the rider's.
  return new Date(iso).toLocaleDateString(undefined, { timeZone: zone, ...options });
}

export function dateTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
}

function offsetMs(utcMs, tz) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(utcMs));
  const get = (type) => Number(parts.find((part) => part.type === type).value);
  const asUtc = Date.UTC(
    get("year"),
    get("month") - 1,
    get("day"),
    get("hour"),
    get("minute"),
    get("second"),
  );
  return asUtc - utcMs;
}

/** The UTC instant (ISO 8601) of midnight starting a YYYY-MM-DD day in the rider's zone. */
export function startOfDay(day, plusDays = 0) {
  const [y, m, d] = day.split("-").map(Number);
  const guess = Date.UTC(y, m - 1, d + plusDays);
  const tz = zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  let instant = guess - offsetMs(guess, tz);
  instant = guess - offsetMs(instant, tz); // once more across a DST change
  return new Date(instant).toISOString();
}

/** The YYYY-MM-DD day an instant falls on in the rider's timezone. */
export function localDay(iso) {
  const tz = zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  return new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
}

/** The label of a fastest-distance effort: "1 km", "40 km"; in imperial what it is, "0.62 mi". */
export function effortDistance(m) {
  if (!isImperial()) return `${fixed(m / 1000, m % 1000 ? 1 : 0)} km`;
  const miles = m / METRES_PER_MILE;
  return `${fixed(miles, Math.abs(miles - Math.round(miles)) < 0.005 ? 0 : 2)} mi`;
}

// Sport types by their API names, as the peers call them.
export const SPORT_LABELS = {
  cycling: "Ride",
  virtual_cycling: "Virtual ride",
  ebike: "E-bike ride",
  gravel_cycling: "Gravel ride",
  mountain_biking: "Mountain bike ride",
  running: "Run",
  virtual_running: "Virtual run",
  trail_running: "Trail run",
  walking: "Walk",
  hiking: "Hike",
  swimming: "Swim",
  multisport: "Multisport",
};
export const CYCLING_SPORTS = ["cycling", "gravel_cycling", "mountain_biking", "ebike", "virtual_cycling"];

/** A sport's name for people: "gravel_cycling" is "Gravel ride". */
export function sportLabel(sport) {
  if (SPORT_LABELS[sport]) return SPORT_LABELS[sport];
  const words = String(sport || "").replace(/_/g, " ").trim();
  return words ? words[0].toUpperCase() + words.slice(1) : "—";
}
