"""Pure route-planning rules: the route document's shape, its update log, GPX, rate limits.

A route is a Yjs document (pycrdt here, npm ``yjs`` in browsers and Node.js) with three roots:

- ``waypoints``: a Y.Array of Y.Maps ``{id: string, lat: number, lon: number, name?: string,
  straight?: boolean}`` (straight: the leg to the next waypoint is not routed)
  in route order (a move is a delete and an insert of a copy with the same id);
- ``meta``: a Y.Map with ``name`` (string);
- ``notes``: a Y.Text.

No I/O here. pycrdt (0.14) does not always converge when updates are applied one by one out
of causal order (y-crdt issues #431, #582, #632), so the server never does that: it keeps the
updates as received and answers from their merge (``merge_updates`` is order-independent),
and every (re)connection runs the state-vector exchange, which repairs a replica that missed
or mis-ordered updates.
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Final
from xml.sax.saxutils import escape, quoteattr  # nosec B406 (writing GPX, not parsing)

from pycrdt import Array, Doc, Map, Text, get_state, get_update, merge_updates

from bikenode.planner.protocol import EMPTY_UPDATE

WAYPOINTS: Final = "waypoints"
META: Final = "meta"
NOTES: Final = "notes"
MAX_NAME_CHARS: Final = 200
MAX_NOTES_CHARS: Final = 10_000
MAX_WAYPOINT_ID_CHARS: Final = 64
# A tail longer than this is merged into the base at once, so that a busy room stays small.
MAX_TAIL_UPDATES: Final = 512
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class BadUpdate(ValueError):
    """Bytes that are not a Yjs update (v1 encoding) pycrdt can read."""


class DocumentTooLarge(ValueError):
    """A route document that would grow past its size limit."""


@dataclass(frozen=True)
class Waypoint:
    """One route point: degrees WGS84 and an optional name."""

    id: str
    lat_deg: float
    lon_deg: float
    name: str = ""
    # The leg from this waypoint to the next is a straight line on purpose (e.g. a gravel
    # track missing from the map), not routed: the document's optional `straight: true`.
    straight: bool = False


@dataclass(frozen=True)
class RouteContent:
    """What a route document says: its name, notes and waypoints in order."""

    name: str
    notes: str
    waypoints: list[Waypoint]


def new_waypoint_id() -> str:
    """A fresh waypoint id (random, so replicas never pick the same one)."""
    return uuid.uuid4().hex


def new_route_update(name: str, notes: str, waypoints: list[Waypoint]) -> bytes:
    """The first update of a new route document with this content."""
    doc: Doc[Any] = Doc()
    meta = doc.get(META, type=Map)
    text = doc.get(NOTES, type=Text)
    array = doc.get(WAYPOINTS, type=Array)
    with doc.transaction():
        meta["name"] = name
        if notes:
            text += notes
        for point in waypoints:
            array.append(Map(_waypoint_fields(point)))
    return doc.get_update()


def _waypoint_fields(point: Waypoint) -> dict[str, Any]:
    fields: dict[str, Any] = {"id": point.id, "lat": point.lat_deg, "lon": point.lon_deg}
    if point.name:
        fields["name"] = point.name
    return fields


def load_doc(update: bytes) -> Doc[Any]:
    """A pycrdt document holding one (merged) update; BadUpdate if it cannot be read."""
    doc: Doc[Any] = Doc()
    if update != EMPTY_UPDATE:
        try:
            doc.apply_update(update)
        except ValueError as error:
            raise BadUpdate(f"expected a Yjs update, got unreadable bytes ({error})") from None
    return doc


def read_route(update: bytes, *, max_waypoints: int) -> RouteContent:
    """The route a (merged) document update describes.

    Collaborators can write anything into a shared document, so this reads leniently:
    entries that are not waypoints (no id, a latitude out of range...) are skipped, a
    repeated id keeps its first position (two concurrent moves of one waypoint), and at
    most ``max_waypoints`` are read.
    """
    doc = load_doc(update)
    meta = _root(doc, META, Map)
    name = meta.get("name") if isinstance(meta, dict) else None
    notes = _root(doc, NOTES, Text)
    raw = _root(doc, WAYPOINTS, Array)
    points: list[Waypoint] = []
    seen: set[str] = set()
    for item in raw if isinstance(raw, list) else []:
        point = _as_waypoint(item)
        if point is not None and point.id not in seen:
            seen.add(point.id)
            points.append(point)
            if len(points) >= max_waypoints:
                break
    return RouteContent(
        name=name[:MAX_NAME_CHARS] if isinstance(name, str) else "",
        notes=notes[:MAX_NOTES_CHARS] if isinstance(notes, str) else "",
        waypoints=points,
    )


def read_name(update: bytes) -> str:
    """The route name a (merged) document update holds ("" if none)."""
    name = _root(load_doc(update), META, Map)
    value = name.get("name") if isinstance(name, dict) else None
    return value[:MAX_NAME_CHARS] if isinstance(value, str) else ""


def _root(doc: Doc[Any], key: str, kind: type[Array[Any] | Map[Any] | Text]) -> Any:
    """A root's plain value, or None where the document holds something else under that key."""
    if key not in set(doc.keys()):
        return None
    try:
        value = doc.get(key, type=kind)
        return str(value) if isinstance(value, Text) else value.to_py()
    except (TypeError, ValueError, RuntimeError):
        return None


def _as_waypoint(item: object) -> Waypoint | None:
    if not isinstance(item, dict):
        return None
    point_id, name = item.get("id"), item.get("name")
    lat, lon = _coordinate(item.get("lat"), 90.0), _coordinate(item.get("lon"), 180.0)
    if not isinstance(point_id, str) or not 0 < len(point_id) <= MAX_WAYPOINT_ID_CHARS:
        return None
    if lat is None or lon is None:
        return None
    label = name[:MAX_NAME_CHARS] if isinstance(name, str) else ""
    return Waypoint(point_id, lat, lon, label, straight=item.get("straight") is True)


def _coordinate(value: object, limit_deg: float) -> float | None:
    """The value as degrees if it is a finite number within ±limit_deg, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and abs(number) <= limit_deg else None


def check_update(update: bytes) -> None:
    """Raise BadUpdate unless the bytes are a readable Yjs update (pending parts are fine)."""
    load_doc(update)


def route_gpx(route: RouteContent) -> bytes:
    """The route as a GPX 1.1 file with one rte of rtept (names and notes escaped)."""
    name, notes = _xml_text(route.name), _xml_text(route.notes)
    rows = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<gpx version="1.1" creator="BikeNode" xmlns="http://www.topografix.com/GPX/1/1">',
        f"<metadata><name>{name}</name></metadata>",
        f"<rte><name>{name}</name>" + (f"<desc>{notes}</desc>" if notes else ""),
    ]
    for point in route.waypoints:
        label = f"<name>{_xml_text(point.name)}</name>" if point.name else ""
        lat, lon = quoteattr(f"{point.lat_deg:.7f}"), quoteattr(f"{point.lon_deg:.7f}")
        rows.append(f"<rtept lat={lat} lon={lon}>{label}</rtept>")
    rows.append("</rte></gpx>")
    return "\n".join(rows).encode()


def _xml_text(text: str) -> str:
    return escape(_XML_INVALID.sub("", text))


@dataclass
class UpdateLog:
    """A room's document as the updates it received: a merged base and the updates since.

    Updates are kept as received, in order, and never applied one by one to a pycrdt
    document (see the module docstring); every answer comes from their merge.
    """

    max_bytes: int
    base: bytes = EMPTY_UPDATE
    tail: list[bytes] = field(default_factory=list)
    size_bytes: int = 2

    def append(self, update: bytes, *, limit: bool = True) -> None:
        """Add a received update; BadUpdate if unreadable, DocumentTooLarge past the limit
        (unless ``limit`` is False: an update another node already stored)."""
        check_update(update)
        if limit and self.size_bytes + len(update) > self.max_bytes:
            self.compact()
            if self.size_bytes + len(update) > self.max_bytes:
                raise DocumentTooLarge(
                    f"expected the route document to stay under {self.max_bytes} bytes,"
                    f" got {self.size_bytes + len(update)}"
                )
        self.tail.append(update)
        self.size_bytes += len(update)
        if len(self.tail) > MAX_TAIL_UPDATES:
            self.compact()

    def compact(self) -> bytes:
        """Merge the tail into the base; the whole document as one update."""
        if self.tail:
            self.base = merge_updates(self.base, *self.tail)
            self.tail.clear()
            self.size_bytes = len(self.base)
        return self.base

    def snapshot(self) -> bytes:
        """The whole document as one update, without changing the log (safe from any thread:
        the tail is read before the base, and compaction sets the base before it clears the
        tail, so nothing is missed; an update read twice merges once)."""
        tail = list(self.tail)
        return merge([self.base, *tail])

    def state_vector(self) -> bytes:
        """The document's state vector (what a sync step 1 sends)."""
        return get_state(self.compact())

    def missing(self, state_vector: bytes) -> bytes:
        """What a replica with this state vector lacks (a sync step 2's update)."""
        try:
            return get_update(self.compact(), state_vector)
        except ValueError:
            raise BadUpdate("expected a Yjs state vector, got unreadable bytes") from None


def merge(updates: list[bytes]) -> bytes:
    """One update equivalent to all of these, in any order."""
    return merge_updates(*updates) if updates else EMPTY_UPDATE
