"""TCX reader: every activity's trackpoints in document order, with laps and device totals."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import numpy as np
from lxml import etree

from bikenode.rides.formats.activity import FloatArray, Lap, NotAnActivity, ParsedActivity
from bikenode.rides.formats.xml import (
    Document,
    Field,
    PointSpec,
    build_streams,
    container_pauses,
    first_time,
    iso_times,
    local_name,
    namespace_of,
    read_document,
)

__all__ = ["TCX", "parse_tcx"]

_FIELDS = (
    Field("time_s", ("Time",)),
    Field("lat_deg", ("LatitudeDegrees",), parent="Position"),
    Field("lon_deg", ("LongitudeDegrees",), parent="Position"),
    Field("elevation_m", ("AltitudeMeters",)),
    Field("distance_m", ("DistanceMeters",)),
    Field("hr_bpm", ("Value",), parent="HeartRateBpm"),
    # Extensions (ns3:TPX, or TPX with its own default namespace) match by local name.
    Field("cadence_rpm", ("Cadence", "RunCadence"), parent=None),
    Field("speed_mps", ("Speed",), parent=None),
    Field("power_w", ("Watts",), parent=None),
)
# Activities sit in <Activities> directly or in a MultiSportSession's First/NextSport.
_IN = "/{d}TrainingCenterDatabase/{d}Activities/"
_ACTIVITIES = f"{_IN}{{d}}Activity | {_IN}{{d}}MultiSportSession/*/{{d}}Activity"
TCX = PointSpec(
    format="TCX",
    root="TrainingCenterDatabase",
    containers=f"({_ACTIVITIES})/{{d}}Lap/{{d}}Track",
    container="Track",
    point="Trackpoint",
    attributes=(),
    fields=_FIELDS,
)
_SPORTS = {"biking": "cycling", "other": None}


def parse_tcx(data: bytes, *, fast: bool | None = None) -> ParsedActivity:
    """Decode a TCX file, all its activities as one stream (fast: see read_document)."""
    doc = read_document(data, TCX, fast=fast)
    ns = namespace_of(doc.root)
    activities = _activities(doc.root, ns)
    if not activities:
        children = sorted({local_name(e) for e in doc.root.iterchildren("{*}*")})
        raise NotAnActivity(
            f"expected an <Activity> in the TCX file, got {', '.join(children) or 'nothing'}"
        )
    streams = build_streams(doc.points.texts, doc.points.count, doc.warnings)
    times = streams["time_s"]
    found = _laps(doc, [lap for a in activities for lap in a.iterchildren(_tag(ns, "Lap"))], times)
    if not found and doc.points.count == 0:
        raise NotAnActivity("expected laps or trackpoints in the TCX activity, got neither")
    laps = [lap for lap, *_ in found if lap is not None]
    if len(laps) < len(found):
        doc.warnings.append(f"{len(found) - len(laps)} laps without a start or end time left out")
    return ParsedActivity(
        format="tcx",
        streams=streams,
        started_at=_started_at(times, laps),
        sport=_sport(activities),
        description=_text(activities[0], ns, "Notes"),
        device=_text(activities[0], ns, "Creator", "Name"),
        laps=laps,
        pauses=container_pauses(times, doc.points.sizes, [c.getparent() for c in doc.containers]),
        device_distance_m=_total([distance for _, distance, _, _ in found]),
        device_calories_kcal=_total([calories for _, _, calories, _ in found]),
        device_timer_s=_total([timer for _, _, _, timer in found]),
        device_elapsed_s=_span(laps),
        device_end_s=max((lap.end_s for lap in laps), default=None),
        warnings=doc.warnings,
    )


def _started_at(times: FloatArray, laps: list[Lap]) -> datetime | None:
    """The first lap's StartTime (the device's start, which is the Activity Id), or the first
    trackpoint's time when that is earlier or no lap has a start."""
    first = first_time(times)
    lap_start = first_time(np.array([min((lap.start_s for lap in laps), default=np.nan)]))
    if lap_start is None or (first is not None and first < lap_start):
        return first
    return lap_start


def _span(laps: list[Lap]) -> float | None:
    """Seconds from the first lap's start to the last lap's end (TCX has no elapsed total)."""
    if not laps:
        return None
    return max(lap.end_s for lap in laps) - min(lap.start_s for lap in laps)


def _tag(ns: str | None, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def _activities(root: etree._Element, ns: str | None) -> list[etree._Element]:
    path = _ACTIVITIES.format(d="d:" if ns else "")
    return cast(list[etree._Element], root.xpath(path, namespaces={"d": ns} if ns else None))


def _text(element: etree._Element, ns: str | None, *path: str) -> str | None:
    found = element.findtext("/".join(_tag(ns, p) for p in path))
    return found.strip() or None if found else None


def _numbers(element: etree._Element) -> dict[str, float]:
    """The element's children that hold a number, by local name (one pass, no path lookups)."""
    found: dict[str, float] = {}
    for child in element.iterchildren("{*}TotalTimeSeconds", "{*}DistanceMeters", "{*}Calories"):
        try:
            found.setdefault(local_name(child), float(child.text or "nan"))
        except ValueError:
            continue
    return found


def _spans(doc: Document) -> dict[etree._Element, list[tuple[int, int]]]:
    """(start, stop) point indices of each lap's tracks, by lap element."""
    spans: dict[etree._Element, list[tuple[int, int]]] = {}
    end = 0
    for container, size in zip(doc.containers, doc.points.sizes, strict=True):
        lap = container.getparent()
        if lap is not None:
            spans.setdefault(lap, []).append((end, end + size))
        end += size
    return spans


def _laps(
    doc: Document, laps: list[etree._Element], times: FloatArray
) -> list[tuple[Lap | None, float, float, float]]:
    """Each lap (StartTime to the later of timer end and last point; None without those
    times), and its distance, calories and timer time for the device totals."""
    starts, _ = iso_times([(lap.get("StartTime") or "").encode() for lap in laps])
    spans = _spans(doc)
    found: list[tuple[Lap | None, float, float, float]] = []
    for lap, start in zip(laps, starts, strict=True):
        inside = np.concatenate([times[a:b] for a, b in spans.get(lap, [])] or [times[:0]])
        inside = inside[np.isfinite(inside)]
        first = start if np.isfinite(start) else (inside[0] if inside.size else np.nan)
        numbers = _numbers(lap)
        timer = numbers.get("TotalTimeSeconds", np.nan)
        end = first + timer
        if inside.size and not end >= inside[-1]:  # "not >=" also replaces a NaN end
            end = inside.max()
        distance = numbers.get("DistanceMeters", np.nan)
        record = Lap(float(first), float(end), None if np.isnan(distance) else distance)
        timed = np.isfinite(first) and np.isfinite(end)
        calories = numbers.get("Calories", np.nan)
        found.append((record if timed else None, distance, calories, timer))
    return found


def _total(values: list[float]) -> float | None:
    finite = [v for v in values if np.isfinite(v)]
    return float(sum(finite)) if finite else None


def _sport(activities: list[etree._Element]) -> str | None:
    sports = {_SPORTS.get(s.lower(), s.lower()) for a in activities if (s := a.get("Sport"))}
    sports.discard(None)
    if len(sports) > 1:
        return "multisport"
    return sports.pop() if sports else None
