"""The crash detector on synthetic tracks: a fall is found; braking, lights and jitter are not."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from bikenode.live import crash
from bikenode.rides.formats import parse_activity

M_PER_DEG = 111_195.0
LAT0, LON0, T0 = 48.0, 11.0, 1_700_000_000.0

Track = list[tuple[float, float, float, float | None]]


def at(north_m: float, t_s: float) -> tuple[float, float, float, float | None]:
    return (T0 + t_s, LAT0 + north_m / M_PER_DEG, LON0, None)


def ride(speeds_mps: list[float], *, start_m: float = 0.0, start_s: float = 0.0) -> Track:
    """One point a second, heading north at each second's speed."""
    points: Track = []
    north = start_m
    for second, speed in enumerate(speeds_mps):
        north += speed
        points.append(at(north, start_s + second + 1))
    return points


def still(
    north_m: float, start_s: float, seconds: int, *, seed: int = 1, wander_m: float = 0.5
) -> Track:
    """A phone lying still: fixes wander a little around the spot."""
    rng, offset = random.Random(seed), 0.0
    points: Track = []
    for second in range(1, seconds + 1):
        offset = 0.8 * offset + rng.gauss(0, wander_m)
        points.append(at(north_m + offset, start_s + second))
    return points


def crash_track(still_s: int) -> Track:
    cruising = ride([25 / 3.6] * 30)
    end_m, end_s = (cruising[-1][1] - LAT0) * M_PER_DEG, 30.0
    return cruising + still(end_m + 2, end_s, still_s)  # a 2 m slide, then nothing


def test_a_fall_at_25_kmh_is_raised_once_the_stillness_time_has_passed() -> None:
    found = crash.detect(crash_track(100), still_s=60)
    assert len(found) == 1
    assert found[0].stopped_at_s == pytest.approx(T0 + 31)
    assert found[0].raised_at_s - found[0].stopped_at_s == pytest.approx(60)
    assert found[0].speed_before_mps == pytest.approx(25 / 3.6, rel=0.01)


def test_a_fall_is_not_raised_before_the_stillness_time() -> None:
    assert crash.detect(crash_track(50), still_s=60) == []


def test_moving_again_clears_the_suspicion() -> None:
    track = crash_track(40)
    track += ride([4.0] * 60, start_m=(track[-1][1] - LAT0) * M_PER_DEG, start_s=70)
    assert crash.detect(track, still_s=60) == []


def test_a_traffic_light_stop_braking_over_six_seconds_raises_nothing() -> None:
    braking = [25 / 3.6 * (1 - s / 6) for s in range(1, 7)]
    track = ride([25 / 3.6] * 30 + braking)
    end_m = (track[-1][1] - LAT0) * M_PER_DEG
    track += still(end_m, 36, 90)
    assert crash.detect(track, still_s=60) == []


def test_gps_jitter_and_jumps_while_standing_raise_nothing() -> None:
    track = still(0, 0, 600, wander_m=3.0)
    track[100] = at(60, 101)  # a single jump of 60 m and back
    assert crash.detect(track, still_s=60) == []


def test_one_gps_jump_while_lying_still_does_not_clear_the_suspicion() -> None:
    track = crash_track(100)
    t, lat, lon, _ = track[60]
    track[60] = (t, lat + 80 / M_PER_DEG, lon, None)
    assert len(crash.detect(track, still_s=60)) == 1


def test_a_silence_longer_than_the_gap_is_no_evidence_of_stillness() -> None:
    track = crash_track(100)
    del track[35 : 35 + int(crash.MAX_GAP_S) + 5]
    assert crash.detect(track, still_s=60) == []


def test_reported_speed_is_used_when_the_device_gives_it() -> None:
    cruising = [(t, lat, lon, 7.0) for t, lat, lon, _ in ride([7.0] * 30)]
    end = cruising[-1]
    lying = [(end[0] + s, end[1], end[2], 0.0) for s in range(1, 80)]
    assert len(crash.detect(cruising + lying, still_s=60)) == 1


@pytest.mark.parametrize("kind", ["fit", "gpx", "tcx"])
def test_real_corpus_rides_raise_no_alarm(corpus: Path, kind: str) -> None:
    manifest = json.loads((corpus / "manifest.json").read_text())
    files = [e["file"] for e in manifest if e["expect"] == "ok" and e["file"].startswith(kind)]
    checked = 0
    for name in files[:8]:
        streams = parse_activity((corpus / name).read_bytes(), name).streams
        if "lat_deg" not in streams:
            continue
        points = [
            (float(t), float(a), float(o), None)
            for t, a, o in zip(
                streams["time_s"], streams["lat_deg"], streams["lon_deg"], strict=True
            )
            if math.isfinite(a) and math.isfinite(o)
        ]
        assert crash.detect(points) == [], name
        checked += 1
    assert checked >= 3, f"expected at least 3 {kind} rides with positions, got {checked}"
