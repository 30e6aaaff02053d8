"""Crash detection replayed on the corpus: false alarms on real rides, recall on synthetic crashes.

Every corpus file the manifest calls a real activity (expect "ok" or "tolerant") is fed to the
detector at its recorded timing with its defaults, positions only (a live session carries no
speed: speed is derived from GPS, as on the server). Per file kind it prints the files, hours
recorded, stops of 30 s or more, alarms raised (target: none), and, for synthetic crashes
injected at seeded random moving points of the rides recorded at about 1 Hz (the rate a live
phone sends), how many the detector finds.

Run: PYTHONPATH=src .venv/bin/python bench/crash_detection.py [seed]
"""

from __future__ import annotations

import json
import math
import os
import random
import sys
from pathlib import Path

import numpy as np

from bikenode.live import crash
from bikenode.rides.formats import ParseError, parse_activity

CORPUS = Path(
    os.environ.get("BIKENODE_CORPUS_DIR")
    or (Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus").resolve()
)
REAL = ("ok", "tolerant")
STOP_S = 30.0  # a stop worth counting: a traffic light, a junction, a photo
METRES_PER_DEGREE = 111_195.0

Track = list[tuple[float, float, float, float | None]]


def real_activities(corpus: Path) -> list[tuple[str, Path]]:
    """(kind, path) of every file the manifest calls a real activity."""
    manifest = json.loads((corpus / "manifest.json").read_text())
    return [
        (entry["file"].split("/")[0], corpus / entry["file"])
        for entry in manifest
        if entry["expect"] in REAL
    ]


def track(path: Path) -> Track:
    """The file's positioned points in time order, as a live session would send them."""
    try:
        streams = parse_activity(path.read_bytes(), path.name).streams
    except ParseError:
        return []
    if "lat_deg" not in streams or "time_s" not in streams:
        return []
    t, lat, lon = streams["time_s"], streams["lat_deg"], streams["lon_deg"]
    keep = np.isfinite(t) & np.isfinite(lat) & np.isfinite(lon)
    order = np.argsort(t[keep], kind="stable")
    return [
        (float(a), float(b), float(c), None)
        for a, b, c in zip(t[keep][order], lat[keep][order], lon[keep][order], strict=True)
    ]


def recorded_hours(points: Track) -> float:
    """Recorded time, not counting silences longer than the detector's gap."""
    gaps = np.diff([p[0] for p in points]) if len(points) > 1 else np.array([])
    return float(gaps[gaps <= crash.MAX_GAP_S].sum()) / 3600.0


def count_stops(points: Track) -> int:
    """Spans of STOP_S or more within the still radius (a recording silence counts too)."""
    stops, anchor, counted = 0, None, False
    for t, lat, lon, _ in points:
        if anchor is None or _metres(anchor, (lat, lon)) > crash.STILL_RADIUS_M:
            anchor, since, counted = (lat, lon), t, False
        elif not counted and t - since >= STOP_S:
            stops, counted = stops + 1, True
    return stops


def _metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    dy = (b[0] - a[0]) * METRES_PER_DEGREE
    dx = (b[1] - a[1]) * METRES_PER_DEGREE * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def moving_points(points: Track) -> list[int]:
    """Indices where the rider rode at 15 km/h or more for 5 s, recorded at about 1 Hz."""
    found = []
    for i in range(6, len(points)):
        window = points[i - 5 : i + 1]
        span = window[-1][0] - window[0][0]
        if not 4.5 <= span <= 6.5:
            continue
        metres = _metres(window[0][1:3], window[-1][1:3])
        if metres / span >= crash.MOVING_SPEED_MPS * 1.1:
            found.append(i)
    return found


def with_crash(points: Track, at: int, rng: random.Random) -> Track:
    """The track up to point `at`, then a fall: a 2 m slide and a still phone with GPS jitter."""
    t, lat, lon, _ = points[at]
    head = points[max(0, at - 30) : at + 1]
    tail: Track = [(t + 1.0, lat + 2.0 / METRES_PER_DEGREE, lon, None)]
    # A phone at rest wanders: each fix a little off the last, drawn back to where it lies.
    north, east = 0.0, 0.0
    for second in range(2, int(crash.DEFAULT_STILL_S) + 15):
        north = 0.8 * north + rng.gauss(0, 0.5)
        east = 0.8 * east + rng.gauss(0, 0.5)
        tail.append(
            (
                t + second,
                lat + (2.0 + north) / METRES_PER_DEGREE,
                lon + east / (METRES_PER_DEGREE * math.cos(math.radians(lat))),
                None,
            )
        )
    return head + tail


def main() -> None:
    if not CORPUS.is_dir():
        sys.exit(f"the shared corpus is not at {CORPUS}")
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 15)
    rows: dict[str, dict[str, float]] = {}
    alarms_seen: list[str] = []
    for kind, path in real_activities(CORPUS):
        row = rows.setdefault(
            kind,
            dict(files=0, no_gps=0, hours=0.0, stops=0, alarms=0, injected=0, detected=0),
        )
        row["files"] += 1
        points = track(path)
        if len(points) < 2:
            row["no_gps"] += 1
            continue
        row["hours"] += recorded_hours(points)
        row["stops"] += count_stops(points)
        for alarm in crash.detect(points):
            row["alarms"] += 1
            alarms_seen.append(f"{path.name} at +{alarm.stopped_at_s - points[0][0]:.0f} s")
        candidates = moving_points(points)
        if candidates:
            at = rng.choice(candidates)
            row["injected"] += 1
            found = crash.detect(with_crash(points, at, rng))
            row["detected"] += any(abs(f.stopped_at_s - points[at][0]) <= 3 for f in found)
    _print(rows)
    for line in alarms_seen:
        print("alarm:", line)


def _print(rows: dict[str, dict[str, float]]) -> None:
    header = (
        f"{'kind':5} {'files':>5} {'no GPS':>6} {'hours':>7} {'stops>=30s':>10} "
        f"{'alarms':>6} {'crashes':>7} {'found':>5} {'recall':>6}"
    )
    print(header)
    total = {key: sum(r[key] for r in rows.values()) for key in next(iter(rows.values()))}
    for kind, row in [*sorted(rows.items()), ("all", total)]:
        recall = row["detected"] / row["injected"] if row["injected"] else float("nan")
        print(
            f"{kind:5} {row['files']:>5.0f} {row['no_gps']:>6.0f} {row['hours']:>7.1f} "
            f"{row['stops']:>10.0f} {row['alarms']:>6.0f} {row['injected']:>7.0f} "
            f"{row['detected']:>5.0f} {recall:>6.0%}"
        )
    print(
        f"defaults: moving >= {crash.MOVING_SPEED_MPS * 3.6:.0f} km/h over "
        f"{crash.MOVING_WINDOW_S:.0f} s, stop within {crash.HARD_STOP_S} s, still within "
        f"{crash.STILL_RADIUS_M:.0f} m for {crash.DEFAULT_STILL_S:.0f} s"
    )


if __name__ == "__main__":
    main()
