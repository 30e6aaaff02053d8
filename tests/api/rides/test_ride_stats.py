"""GET /api/v1/rides/stats: the dashboard's volume this week, this year and per week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

ZONE = "America/New_York"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def test_stats_sum_rides_by_week_and_year_in_the_riders_timezone(client: TestClient) -> None:
    _, headers = signed_in(client)
    assert client.patch("/api/v1/me", json={"timezone": ZONE}, headers=headers).status_code == 200
    now = datetime.now(UTC)
    starts = [now - timedelta(minutes=10), now - timedelta(days=20), now - timedelta(days=200)]
    starts.append(now - timedelta(days=400))  # older than a year: in no week
    files = [(f"r{n}.gpx", synthetic_gpx(s, points=300, seed=n)) for n, s in enumerate(starts)]
    uploads = upload_files(client, headers, files)
    assert all(u["items"][0]["status"] == "imported" for u in uploads), uploads
    rides = client.get("/api/v1/rides?limit=10", headers=headers).json()["items"]

    stats = client.get("/api/v1/rides/stats", headers=headers)
    assert stats.status_code == 200, stats.text
    body = stats.json()

    zone = ZoneInfo(ZONE)
    today = now.astimezone(zone).date()
    days = {r["id"]: datetime.fromisoformat(r["started_at"]).astimezone(zone).date() for r in rides}
    assert body["timezone"] == ZONE
    weeks = body["weeks"]
    assert len(weeks) == 53
    assert weeks[-1]["week_start"] == _monday(today).isoformat()
    assert weeks[0]["week_start"] == (_monday(today) - timedelta(weeks=52)).isoformat()
    for week in weeks:
        inside = [r for r in rides if _monday(days[r["id"]]).isoformat() == week["week_start"]]
        assert week["rides"] == len(inside)
        assert abs(week["distance_m"] - sum(r["distance_m"] for r in inside)) < 1e-6
    assert sum(w["rides"] for w in weeks) == 3
    assert body["this_week"] == {k: v for k, v in weeks[-1].items() if k != "week_start"}
    this_year = [r for r in rides if days[r["id"]].year == today.year]
    assert body["this_year"]["rides"] == len(this_year)
    expected_time = sum(r["moving_time_s"] for r in this_year)
    assert abs(body["this_year"]["moving_time_s"] - expected_time) < 1e-6


def test_stats_of_a_rider_without_rides_are_zero(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = client.get("/api/v1/rides/stats", headers=headers).json()
    assert (
        body["this_week"]
        == body["this_year"]
        == {
            "rides": 0,
            "distance_m": 0.0,
            "moving_time_s": 0.0,
            "elevation_gain_m": 0.0,
        }
    )
    assert client.get("/api/v1/rides/stats").status_code == 401
