"""Strava and Garmin "download your data" archives import whole, with their metadata."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

STRAVA_CSV = (
    "\ufeffActivity ID,Activity Date,Activity Name,Activity Type,Activity Description,"
    "Elapsed Time,Filename,Elapsed Time\n"
    '101,"Jun 1, 2024, 6:00:00 AM",Dawn patrol,Gravel Ride,"Dusty,\nthen fast",600,'
    "activities/101.gpx,600\n"
)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_strava_archive_keeps_names_sports_and_stays_private(client: TestClient) -> None:
    _, headers = signed_in(client)
    start = datetime(2024, 6, 1, 6, 0, tzinfo=UTC)
    archive = _zip(
        {
            "activities.csv": STRAVA_CSV.encode(),
            "activities/101.gpx": synthetic_gpx(start, points=600, seed=1),
            "profile.csv": b"a,b\n",
        }
    )
    [upload] = upload_files(client, headers, [("export_123.zip", archive)])
    assert upload["archive_kind"] == "strava"
    assert "private" in upload["note"] and "Strava" in upload["note"]
    [item] = upload["items"]
    ride = client.get(f"/api/v1/rides/{item['ride_id']}", headers=headers).json()
    assert ride["name"] == "Dawn patrol"
    assert ride["description"] == "Dusty,\nthen fast"
    assert ride["sport"] == "gravel_cycling"
    assert ride["visibility"] == "private"
    assert ride["source"] == "strava"


def test_garmin_archive_matches_metadata_by_start_time(client: TestClient) -> None:
    _, headers = signed_in(client)
    start = datetime(2023, 7, 22, 16, 2, 29, tzinfo=UTC)
    inner = _zip({"ride_upload_777.gpx": synthetic_gpx(start, points=300, seed=2)})
    summary = [
        {
            "summarizedActivitiesExport": [
                {
                    "activityId": 4001,
                    "name": "Col du Galibier",
                    "activityType": "road_biking",
                    "startTimeGmt": start.timestamp() * 1000,
                    "description": "Hot",
                }
            ]
        }
    ]
    archive = _zip(
        {
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": inner,
            "DI_CONNECT/DI-Connect-Fitness/me_0_summarizedActivities.json": json.dumps(
                summary
            ).encode(),
        }
    )
    [upload] = upload_files(client, headers, [("garmin.zip", archive)])
    assert upload["archive_kind"] == "garmin"
    [item] = upload["items"]
    assert item["status"] == "imported", item
    ride = client.get(f"/api/v1/rides/{item['ride_id']}", headers=headers).json()
    assert (ride["name"], ride["description"], ride["source"]) == (
        "Col du Galibier",
        "Hot",
        "garmin",
    )
