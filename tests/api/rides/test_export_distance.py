"""Exports carry the distance and start the ride page shows, for the owner and for others
behind a privacy zone, read back by the peer readers (fitdecode, lxml, gpxpy)."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import fitdecode
import gpxpy
import pytest
from fastapi.testclient import TestClient
from lxml import etree

from tests.factories import signed_in, upload_files

pytestmark = pytest.mark.corpus

RIDES = [
    "gpx/gpxpy__korita-zbevnica.gpx",  # distance from GPS: the file has none
    "gpx/sweatpy__activity_5039744860.gpx",
    "fit/sweatpy__4801048867.fit",
    "fit/tormoder__garmin.fit",
    "tcx/sweatpy__activity_5039744860.tcx",
    "tcx/gc__2008_12_28_08_13_27.tcx",
]
TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
STATS = "{http://www.garmin.com/xmlschemas/TrackStatsExtension/v1}"


def _fit_session(data: bytes) -> dict[str, Any]:
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "session":
                return {field.name: field.value for field in frame.fields}
    raise AssertionError("no session message in the FIT export")


def _fit_figures(data: bytes) -> tuple[float, datetime]:
    session = _fit_session(data)
    return float(session["total_distance"]), session["start_time"]


def _tcx_figures(data: bytes) -> tuple[float, datetime]:
    root = etree.fromstring(data)
    laps = root.findall(f".//{TCX}Lap")
    distance = sum(float(lap.findtext(f"{TCX}DistanceMeters") or "nan") for lap in laps)
    return distance, datetime.fromisoformat(laps[0].get("StartTime", ""))


def _gpx_figures(data: bytes) -> tuple[float, datetime]:
    gpx = gpxpy.parse(data.decode())
    assert gpx.time is not None  # the metadata's time: when the ride started
    [stats] = [e for e in gpx.tracks[0].extensions if e.tag == f"{STATS}TrackStatsExtension"]
    return float(stats.findtext(f"{STATS}Distance") or "nan"), gpx.time


READ_BACK = {"fit": _fit_figures, "tcx": _tcx_figures, "gpx": _gpx_figures}


def _zone_at_start(client: TestClient, ride_id: str, owner: dict[str, str]) -> None:
    """A privacy zone around the ride's first position (others see the start cut off)."""
    url = f"/api/v1/rides/{ride_id}/streams?keys=lat_deg,lon_deg"
    streams = client.get(url, headers=owner).json()["streams"]
    lat, lon = next(
        (a, b) for a, b in zip(streams["lat_deg"], streams["lon_deg"], strict=True) if a
    )
    zone = {"name": "home", "lat_deg": lat, "lon_deg": lon, "radius_m": 200.0}
    assert client.post("/api/v1/privacy-zones", json=zone, headers=owner).status_code == 201


def _public_zoned_ride(
    client: TestClient, corpus: Path, name: str
) -> tuple[str, dict[str, dict[str, str]]]:
    """The corpus ride uploaded, made public, its owner with a zone at its start; the
    ride id and each viewer's headers."""
    _, owner = signed_in(client)
    [upload] = upload_files(client, owner, [(Path(name).name, (corpus / name).read_bytes())])
    ride_id = upload["items"][0]["ride_id"]
    client.patch(f"/api/v1/rides/{ride_id}", json={"visibility": "public"}, headers=owner)
    _zone_at_start(client, ride_id, owner)
    _, stranger = signed_in(client)
    return ride_id, {"owner": owner, "stranger": stranger}


@pytest.mark.parametrize("name", RIDES)
def test_every_export_carries_the_distance_and_start_the_viewer_sees(
    client: TestClient, corpus: Path, name: str
) -> None:
    ride_id, viewers = _public_zoned_ride(client, corpus, name)
    seen: dict[str, float] = {}
    for viewer, headers in viewers.items():
        ride = client.get(f"/api/v1/rides/{ride_id}", headers=headers).json()
        seen[viewer] = ride["distance_m"]
        shown_start = datetime.fromisoformat(ride["started_at"])
        for fmt, read_back in READ_BACK.items():
            url = f"/api/v1/rides/{ride_id}/export?format={fmt}"
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (viewer, fmt, response.text)
            distance_m, start = read_back(response.content)
            assert distance_m == pytest.approx(ride["distance_m"], rel=0.01), (viewer, fmt)
            assert abs((start - shown_start).total_seconds()) <= 1.0, (viewer, fmt)
            if fmt == "gpx" and ride["summary"]["distance_source"] == "gps":
                # Measured on the points: the track itself is as long as the page says.
                length_m = gpxpy.parse(response.content.decode()).length_2d()
                assert length_m == pytest.approx(ride["distance_m"], rel=0.01), viewer
    assert seen["stranger"] < seen["owner"]  # the zone did cut the start for others


@pytest.mark.parametrize("name", [RIDES[0], RIDES[3], RIDES[5]])
def test_a_fit_export_times_the_ride_moving_and_carries_its_climb(
    client: TestClient, corpus: Path, name: str
) -> None:
    ride_id, viewers = _public_zoned_ride(client, corpus, name)
    for viewer, headers in viewers.items():
        ride = client.get(f"/api/v1/rides/{ride_id}", headers=headers).json()
        data = client.get(f"/api/v1/rides/{ride_id}/export?format=fit", headers=headers).content
        session = _fit_session(data)
        assert session["total_timer_time"] == pytest.approx(ride["moving_time_s"], abs=0.01)
        assert session["total_timer_time"] < session["total_elapsed_time"], viewer
        assert session["total_ascent"] == round(ride["elevation_gain_m"]), viewer
        assert session["total_descent"] == round(ride["summary"]["elevation_loss_m"]), viewer
