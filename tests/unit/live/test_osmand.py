"""The OsmAnd protocol as Traccar reads it: real query strings and bodies, and what is refused."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.live import osmand

NOW_MS = 1_765_000_000_000  # 2025-12-06
SECONDS = NOW_MS // 1000 - 60


def _query(
    query: str, *, body: bytes = b"", content_type: str | None = None
) -> osmand.DeviceReport:
    return osmand.parse_request(query=query, body=body, content_type=content_type, now_ms=NOW_MS)


def test_osmand_query_with_a_millisecond_timestamp() -> None:
    # What OsmAnd sends with the Traccar template: lat={0}&lon={1}&timestamp={2}&hdop={3}...
    report = _query(
        f"id=bnd_abc&lat=52.520008&lon=13.404954&timestamp={NOW_MS - 5000}"
        "&hdop=4.2&altitude=34.5&speed=3.6&bearing=87.0"
    )
    assert report.token == "bnd_abc"
    [fix] = report.fixes
    assert (fix.time_ms, fix.lat, fix.lon, fix.elevation_m) == (
        NOW_MS - 5000,
        52.520008,
        13.404954,
        34.5,
    )


def test_traccar_client_query_with_seconds_battery_and_charge() -> None:
    report = _query(
        f"id=bnd_abc&timestamp={SECONDS}&lat=48.8584&lon=2.2945&speed=0.0&bearing=0.0"
        "&altitude=35.0&accuracy=12.0&batt=87.0&charge=true"
    )
    assert report.fixes[0].time_ms == SECONDS * 1000


def test_a_post_with_the_parameters_in_a_form_body_reads_the_same() -> None:
    body = f"deviceid=bnd_abc&location=48.8584,2.2945&timestamp={SECONDS}".encode()
    report = _query("", body=body, content_type="application/x-www-form-urlencoded")
    assert report.token == "bnd_abc"
    assert (report.fixes[0].lat, report.fixes[0].lon) == (48.8584, 2.2945)


@pytest.mark.parametrize(
    ("stamp", "expected_ms"),
    [
        ("2025-12-06T05:45:00Z", 1_764_999_900_000),
        ("2025-12-06T06:45:00+01:00", 1_764_999_900_000),
        ("2025-12-06 05:45:00", 1_764_999_900_000),
        ("1764999900", 1_764_999_900_000),
        ("1764999900000", 1_764_999_900_000),
    ],
)
def test_timestamps_in_every_form_traccar_reads(stamp: str, expected_ms: int) -> None:
    assert osmand.parse_timestamp(stamp) == expected_ms


def test_no_timestamp_means_now() -> None:
    assert _query("id=x&lat=1&lon=2").fixes[0].time_ms == NOW_MS


def test_traccar_client_json_body_with_one_location() -> None:
    body = {
        "location": {
            "timestamp": "2025-12-06T05:45:00.000Z",
            "coords": {
                "latitude": 52.52,
                "longitude": 13.405,
                "accuracy": 4.5,
                "speed": 6.1,
                "heading": 90.0,
                "altitude": 40.2,
            },
            "is_moving": True,
            "odometer": 1234.5,
            "event": "motionchange",
            "battery": {"level": 0.87, "is_charging": False},
            "activity": {"type": "on_bicycle"},
        },
        "device_id": "bnd_abc",
    }
    report = _query("", body=json.dumps(body).encode(), content_type="application/json")
    assert report.token == "bnd_abc"
    assert report.fixes == [osmand.DeviceFix(1_764_999_900_000, 52.52, 13.405, 40.2)]


def test_traccar_client_json_body_with_its_buffered_locations() -> None:
    locations = [
        {"timestamp": f"2025-12-06T05:45:0{i}Z", "coords": {"latitude": 1.0, "longitude": 2.0}}
        for i in range(3)
    ]
    body = json.dumps({"device_id": "t", "locations": locations}).encode()
    report = _query("", body=body, content_type="application/json; charset=utf-8")
    assert [f.time_ms for f in report.fixes] == [1_764_999_900_000 + 1000 * i for i in range(3)]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lat=1&lon=2", "device token"),
        ("id=x&lat=1", "'lat' and 'lon'"),
        ("id=x&lat=nan&lon=2", "finite number in 'lat'"),
        ("id=x&lat=inf&lon=2", "finite number in 'lat'"),
        ("id=x&lat=91&lon=2", "'lat' from -90 to 90"),
        ("id=x&lat=1&lon=-180.5", "'lon' from -180 to 180"),
        ("id=x&lat=abc&lon=2", "number in 'lat'"),
        ("id=x&location=1;2", "'location' as lat,lon"),
        ("id=x&lat=1&lon=2&timestamp=4070908800", "time from 2000-01-01"),  # 2099
        ("id=x&lat=1&lon=2&timestamp=2099-01-01T00:00:00Z", "time from 2000-01-01"),
        ("id=x&lat=1&lon=2&timestamp=315532800", "time from 2000-01-01"),  # 1980: GPS rollover
        ("id=x&lat=1&lon=2&timestamp=yesterday", "'timestamp' as seconds"),
        ("id=x&lat=1&lon=2&speed=fast", "number in 'speed'"),
        ("id=x&lat=1&lon=2&altitude=12000", "'altitude' from"),
    ],
)
def test_bad_queries_are_refused_saying_what_was_expected(query: str, message: str) -> None:
    with pytest.raises(osmand.BadReport, match=message):
        _query(query)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"{not json",
        b'{"device_id": "x"}',
        b'{"device_id": "x", "location": {"timestamp": "2025-12-06T05:45:00Z"}}',
        b'{"device_id": "x", "location": {"timestamp": 1, "coords": {}}}',
        b'{"device_id": "x", "locations": []}',
        b'{"device_id": "x", "location": {"timestamp": "2025-12-06T05:45:00Z",'
        b' "coords": {"latitude": NaN, "longitude": 1}}}',
    ],
)
def test_bad_json_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(osmand.BadReport):
        _query("", body=body, content_type="application/json")


def test_a_fix_the_device_marks_invalid_is_not_kept() -> None:
    assert _query("id=x&lat=1&lon=2&valid=false").fixes == []


def test_columns_are_those_of_a_phone_batch_with_gaps_in_elevation_filled() -> None:
    fixes = [
        osmand.DeviceFix(1000, 52.5, 13.4, None),
        osmand.DeviceFix(2000, 52.5000001, 13.4, 34.56),
        osmand.DeviceFix(3000, 52.5, -13.4, None),
    ]
    assert osmand.fix_columns(fixes) == {
        "t": [1000, 2000, 3000],
        "lat": [525_000_000, 525_000_001, 525_000_000],
        "lon": [134_000_000, 134_000_000, -134_000_000],
        "ele": [346, 346, 346],
    }


@given(st.text(max_size=60))
def test_any_query_string_is_a_report_or_a_bad_report(query: str) -> None:
    try:
        report = _query(query)
    except osmand.BadReport:
        return
    for fix in report.fixes:
        assert -90 <= fix.lat <= 90
        assert -180 <= fix.lon <= 180


@pytest.mark.parametrize("query", ["id=x&lat=1&lon=2&timestamp=%C2%B2", "&".join(["a=1"] * 101)])
def test_odd_digits_and_too_many_parameters_are_bad_reports(query: str) -> None:
    with pytest.raises(osmand.BadReport):
        _query(query)
