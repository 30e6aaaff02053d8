"""Strava and Garmin export metadata: names, sports and dates beside the activity files."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.rides.formats.archives import (
    ActivityMetadata,
    ArchiveKind,
    garmin_sport,
    parse_strava_date,
    read_archive_metadata,
    strava_sport,
)
from bikenode.rides.formats.containers import EntryStatus, iter_activity_files

FIT = b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT" + bytes(32)
GPX = b"<?xml version='1.0'?><gpx version='1.1'></gpx>"
# The real header repeats "Elapsed Time", "Distance" and more; a BOM comes first.
STRAVA_HEADER = (
    "\ufeffActivity ID,Activity Date,Activity Name,Activity Type,Activity Description,"
    "Elapsed Time,Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,"
    "Activity Gear,Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance\n"
)
STRAVA_ROWS = (
    '3001,"Feb 2, 2020, 6:52:10 PM",Morning Ride,Ride,"Windy,\nthen ""rain""",3600,30.5,'
    "170,40,false,,Bike,activities/3001.fit.gz,70,9,3600.0,3500.0,30512.1\n"
    '3002,"Mar 14, 2021, 7:05:00\u202fAM",Zwift,Virtual Ride,,1800,20,,,false,,,'
    "activities/3002.gpx,,,1800,1800,20000\n"
    '3003,"Jan 10, 2021, 12:30:00 PM",Lunch Run,Run,,1200,4,,,false,,,,,,,,\n'
    "3004,not a date,Short Row,Gravel Ride\n"
)


def make_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def strava_export(prefix: str = "", csv_text: str = STRAVA_HEADER + STRAVA_ROWS) -> bytes:
    return make_zip(
        {
            f"{prefix}activities.csv": csv_text.encode(),
            f"{prefix}activities/3001.fit.gz": gzip.compress(FIT),
            f"{prefix}activities/3002.gpx": GPX,
            f"{prefix}media/photo.jpg": b"\xff\xd8",
            f"{prefix}profile.csv": b"a,b\n",
        }
    )


GARMIN_START_MS = 1_563_811_349_000  # 2019-07-22 16:02:29 UTC
GARMIN_SUMMARY: list[dict[str, Any]] = [
    {
        "summarizedActivitiesExport": [
            {
                "activityId": 4001,
                "name": "Col du Galibier",
                "activityType": "road_biking",
                "startTimeGmt": float(GARMIN_START_MS),
                "startTimeLocal": float(GARMIN_START_MS + 7_200_000),
                "description": "Hot",
                "distance": 4_200_000.0,
            },
            {
                "activityId": 4002,
                "name": "Trainer",
                "activityType": {"typeKey": "indoor_cycling"},
                "beginTimestamp": GARMIN_START_MS + 86_400_000,
            },
            {"activityId": 4003, "name": "No start"},
            {"activityId": 4004, "startTimeGmt": True},
            "not an object",
            {"name": "no id"},
        ]
    }
]


def garmin_export(summary: bytes | None = None) -> bytes:
    uploaded = make_zip({"rider@example.org_98765.fit": FIT, "rider@example.org_98766.fit": FIT})
    return make_zip(
        {
            "DI_CONNECT/DI-Connect-Fitness/rider@example.org_0_summarizedActivities.json": (
                summary if summary is not None else json.dumps(GARMIN_SUMMARY).encode()
            ),
            "DI_CONNECT/DI-Connect-User/user_profile.json": b"{}",
            "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip": uploaded,
        }
    )


# --- Strava ---


def test_strava_export_maps_member_paths_to_metadata() -> None:
    metadata = read_archive_metadata(strava_export())
    assert metadata.kind is ArchiveKind.STRAVA and metadata.warnings == ()
    assert set(metadata.by_path) == {"activities/3001.fit.gz", "activities/3002.gpx"}
    assert metadata.by_path["activities/3001.fit.gz"] == ActivityMetadata(
        source="strava",
        external_id="3001",
        name="Morning Ride",
        description='Windy,\nthen "rain"',
        sport="cycling",
        started_at=datetime(2020, 2, 2, 18, 52, 10, tzinfo=UTC),
        gear="Bike",  # its "Activity Gear"
    )
    assert metadata.bikes == ()  # no bikes.csv in it
    zwift = metadata.by_path["activities/3002.gpx"]
    assert (zwift.sport, zwift.started_at) == (
        "virtual_cycling",
        datetime(2021, 3, 14, 7, 5, tzinfo=UTC),
    )


def test_strava_rows_without_a_file_are_found_by_start_time() -> None:
    metadata = read_archive_metadata(strava_export())
    started = datetime(2021, 1, 10, 12, 30, 2, tzinfo=UTC)
    found = metadata.lookup("somewhere/else.fit", started)
    assert found is not None and (found.name, found.sport) == ("Lunch Run", "running")


def test_strava_short_rows_and_bad_dates_give_none_not_a_crash() -> None:
    metadata = read_archive_metadata(strava_export())
    short = [m for m in metadata.by_start.values() if m.external_id == "3004"]
    assert short == []  # no date, no file: nothing to match it by
    header_only = read_archive_metadata(strava_export(csv_text="Activity ID,Filename\n7,a.fit\n"))
    assert header_only.by_path == {"a.fit": ActivityMetadata(source="strava", external_id="7")}


def test_strava_export_inside_a_folder_prefixes_the_paths() -> None:
    metadata = read_archive_metadata(strava_export(prefix="export_123/"))
    assert set(metadata.by_path) == {
        "export_123/activities/3001.fit.gz",
        "export_123/activities/3002.gpx",
    }


def test_strava_metadata_paths_are_the_paths_the_container_reports() -> None:
    export = strava_export()
    metadata = read_archive_metadata(export)
    found = [e for e in iter_activity_files(export, "export.zip") if e.status is EntryStatus.OK]
    assert [metadata.lookup(e.path) for e in found] == [
        metadata.by_path["activities/3001.fit.gz"],
        metadata.by_path["activities/3002.gpx"],
    ]


def test_strava_csv_over_the_budget_keeps_the_rows_read_and_warns() -> None:
    rows = "".join(
        f'{i},"Feb 2, 2020, 6:52:10 PM",R{i},Ride,,,,,,,,,a/{i}.fit\n' for i in range(5000)
    )
    export = strava_export(csv_text=STRAVA_HEADER + rows)
    metadata = read_archive_metadata(export, max_bytes=64 * 1024)
    assert 100 < len(metadata.by_path) < 5000
    (warning,) = metadata.warnings
    assert "activities.csv" in warning and "65536 bytes" in warning


def test_encrypted_activities_csv_gives_a_warning() -> None:
    raw = bytearray(strava_export())
    directory_at = raw.index(b"PK\x01\x02")  # the first directory entry is activities.csv
    raw[directory_at + 8] |= 0x1
    raw[6] |= 0x1
    metadata = read_archive_metadata(bytes(raw))
    assert metadata.kind is ArchiveKind.STRAVA and metadata.by_path == {}
    assert "encrypted" in metadata.warnings[0]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=400))
def test_any_activities_csv_text_is_read_without_error(text: str) -> None:
    metadata = read_archive_metadata(strava_export(csv_text=STRAVA_HEADER + text))
    assert metadata.kind is ArchiveKind.STRAVA
    assert all(m.source == "strava" for m in metadata.by_path.values())


# --- Garmin ---


def test_garmin_export_is_matched_by_start_time() -> None:
    metadata = read_archive_metadata(garmin_export())
    assert metadata.kind is ArchiveKind.GARMIN and metadata.warnings == ()
    started = datetime.fromtimestamp(GARMIN_START_MS / 1000, tz=UTC) + timedelta(seconds=3)
    path = "DI_CONNECT/DI-Connect-Uploaded-Files/UploadedFiles_0-_Part1.zip/x.fit"
    assert metadata.lookup(path, started) == ActivityMetadata(
        source="garmin",
        external_id="4001",
        name="Col du Galibier",
        description="Hot",
        sport="cycling",
        started_at=datetime(2019, 7, 22, 16, 2, 29, tzinfo=UTC),
    )
    assert metadata.lookup(path, started + timedelta(seconds=10)) is None
    assert metadata.lookup(path) is None


def test_garmin_begin_timestamp_and_api_shaped_types_are_read() -> None:
    metadata = read_archive_metadata(garmin_export())
    trainer = metadata.lookup("x.fit", datetime(2019, 7, 23, 16, 2, 29, tzinfo=UTC))
    assert trainer is not None and (trainer.name, trainer.sport) == ("Trainer", "virtual_cycling")
    assert len(metadata.by_start) == 2  # items without a usable start cannot be matched


def test_garmin_broken_summary_gives_a_warning() -> None:
    metadata = read_archive_metadata(garmin_export(summary=b"[{"))
    assert metadata.kind is ArchiveKind.GARMIN and metadata.by_start == {}
    assert "expected JSON" in metadata.warnings[0]


def test_garmin_deeply_nested_summary_gives_a_warning() -> None:
    metadata = read_archive_metadata(garmin_export(summary=b"[" * 100_000))
    assert metadata.by_start == {} and metadata.warnings


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_any_summary_bytes_are_read_without_error(data: bytes) -> None:
    metadata = read_archive_metadata(garmin_export(summary=data))
    assert metadata.kind is ArchiveKind.GARMIN


# --- other uploads ---


def test_plain_zip_and_single_files_are_plain_without_warnings() -> None:
    assert read_archive_metadata(make_zip({"a.gpx": GPX})).kind is ArchiveKind.PLAIN
    single = read_archive_metadata(GPX)
    assert (single.kind, single.by_path, single.warnings) == (ArchiveKind.PLAIN, {}, ())


def test_truncated_zip_is_plain_with_a_warning() -> None:
    export = strava_export()
    metadata = read_archive_metadata(export[: len(export) // 2])
    assert metadata.kind is ArchiveKind.PLAIN and "central directory" in metadata.warnings[0]


# --- sports and dates ---


@pytest.mark.parametrize(
    ("strava", "ours"),
    [
        ("Ride", "cycling"),
        ("VirtualRide", "virtual_cycling"),
        ("Virtual Ride", "virtual_cycling"),
        ("EBikeRide", "ebike"),
        ("E-Bike Ride", "ebike"),
        ("GravelRide", "gravel_cycling"),
        ("MountainBikeRide", "mountain_biking"),
        ("Mountain Bike Ride", "mountain_biking"),
        ("Run", "running"),
        ("WeightTraining", "weight_training"),
        ("Stand Up Paddling", "stand_up_paddling"),
        ("", None),
    ],
)
def test_strava_types_map_to_our_sports(strava: str, ours: str | None) -> None:
    assert strava_sport(strava) == ours


@pytest.mark.parametrize(
    ("garmin", "ours"),
    [
        ("cycling", "cycling"),
        ("road_biking", "cycling"),
        ("indoor_cycling", "virtual_cycling"),
        ("mountain_biking", "mountain_biking"),
        ("gravel_cycling", "gravel_cycling"),
        ("e_bike_fitness", "ebike"),
        ("running", "running"),
        ("treadmill_running", "running"),
        ("lap_swimming", "lap_swimming"),
        ("Strength_Training", "strength_training"),
        (None, None),
    ],
)
def test_garmin_types_map_to_our_sports(garmin: str | None, ours: str | None) -> None:
    assert garmin_sport(garmin) == ours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Feb 2, 2020, 6:52:10 PM", datetime(2020, 2, 2, 18, 52, 10, tzinfo=UTC)),
        ("Dec 31, 2019, 12:05:00 AM", datetime(2019, 12, 31, 0, 5, tzinfo=UTC)),
        ("Jan 1, 2020, 12:00:00 PM", datetime(2020, 1, 1, 12, 0, tzinfo=UTC)),
        ("Mar 14, 2021, 7:05:00\u202fam", datetime(2021, 3, 14, 7, 5, tzinfo=UTC)),
        ("Sept 3, 2022, 17:01:02", datetime(2022, 9, 3, 17, 1, 2, tzinfo=UTC)),
        ("2020-02-02 18:52:10", datetime(2020, 2, 2, 18, 52, 10, tzinfo=UTC)),
        ("2020-02-02T19:52:10+01:00", datetime(2020, 2, 2, 18, 52, 10, tzinfo=UTC)),
        ("Feb 30, 2020, 6:52:10 PM", None),
        ("Foo 2, 2020, 6:52:10 PM", None),
        ("yesterday", None),
        (None, None),
    ],
)
def test_strava_dates_are_read_as_utc(text: str | None, expected: datetime | None) -> None:
    assert parse_strava_date(text) == expected
