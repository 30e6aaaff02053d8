"""GET /api/v1/rides/stats all-time and per-year totals, and GET /api/v1/rides/records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

# A ten-year archive in miniature: nothing in this week or this year.
STARTS = [datetime(year, 6, 1, 8, 0, tzinfo=UTC) for year in (2014, 2016, 2016, 2019)]


@contextmanager
def _counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _import(client: TestClient, headers: dict[str, str], starts: list[datetime]) -> None:
    files = [
        (f"r{n}.gpx", synthetic_gpx(s, points=300 + 60 * n, seed=n)) for n, s in enumerate(starts)
    ]
    uploads = upload_files(client, headers, files)
    assert all(u["items"][0]["status"] == "imported" for u in uploads), uploads


def test_an_old_archive_shows_in_all_time_and_per_year_totals(client: TestClient) -> None:
    _, headers = signed_in(client)
    _import(client, headers, STARTS)
    rides = client.get("/api/v1/rides?limit=10", headers=headers).json()["items"]
    body = client.get("/api/v1/rides/stats", headers=headers).json()

    assert body["this_year"]["rides"] == body["this_week"]["rides"] == 0
    assert body["all_time"]["rides"] == 4
    assert abs(body["all_time"]["distance_m"] - sum(r["distance_m"] for r in rides)) < 1e-6
    assert [(y["year"], y["rides"]) for y in body["years"]] == [(2019, 1), (2016, 2), (2014, 1)]
    in_2016 = [r for r in rides if r["started_at"].startswith("2016")]
    assert abs(body["years"][1]["moving_time_s"] - sum(r["moving_time_s"] for r in in_2016)) < 1e-6


def test_a_rider_without_rides_has_no_years_and_zero_in_all(client: TestClient) -> None:
    _, headers = signed_in(client)
    body = client.get("/api/v1/rides/stats", headers=headers).json()
    assert body["years"] == []
    assert body["all_time"] == {
        "rides": 0,
        "distance_m": 0.0,
        "moving_time_s": 0.0,
        "elevation_gain_m": 0.0,
    }


def test_records_name_the_ride_each_best_effort_came_from(client: TestClient) -> None:
    _, headers = signed_in(client)
    _import(client, headers, STARTS)
    rides = client.get("/api/v1/rides?limit=10", headers=headers).json()["items"]
    summaries = {
        r["id"]: client.get(f"/api/v1/rides/{r['id']}", headers=headers).json()["summary"]
        for r in rides
    }
    records = client.get("/api/v1/rides/records", headers=headers)
    assert records.status_code == 200, records.text
    body = records.json()
    assert body["fastest"], "the rides are several km long"
    for record in body["fastest"]:
        times = {
            ride_id: e["duration_s"]
            for ride_id, summary in summaries.items()
            for e in summary["fastest"]
            if e["distance_m"] == record["distance_m"] and e["duration_s"] is not None
        }
        best = min(times.values())
        assert record["duration_s"] == best
        assert times[record["ride"]["id"]] == best
        holder = next(r for r in rides if r["id"] == record["ride"]["id"])
        assert record["ride"]["name"] == holder["name"]
    assert body["best_power"] == []  # no power meter on these rides


def test_records_and_stats_cost_the_same_queries_for_few_or_many_rides(
    client: TestClient, engine: Engine
) -> None:
    costs = []
    for starts in (STARTS[:1], STARTS):
        _, headers = signed_in(client)
        _import(client, headers, starts)
        with _counted(engine) as statements:
            for path in ("/api/v1/rides/records", "/api/v1/rides/stats"):
                assert client.get(path, headers=headers).status_code == 200
        costs.append(len(statements))
    assert costs[0] == costs[1], costs


def test_records_are_only_for_the_signed_in_rider(client: TestClient) -> None:
    assert client.get("/api/v1/rides/records").status_code == 401
