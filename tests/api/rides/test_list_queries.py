"""A page of rides costs the same few SQL statements whether it lists 1 ride or 100.

With a privacy zone that touches every ride, the public view (the figures others see, cut
by the zones) reads the stored public views: the path that used to cost statements per ride.
Without one, the figures are the rides' own, and their summaries (deferred in a page) must
stay unloaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from bikenode.rides.models import Ride
from bikenode.rides.privacy import refresh_public_views
from bikenode.rides.storage import store_streams
from tests.factories import signed_in

PAGE_LIMIT = 200  # the largest page GET /api/v1/rides allows
# Sign-in checks, the page query and the privacy zones, public views and profile of the page:
# a bound on the whole request, whatever the page size.
MAX_STATEMENTS = 8
HOME = (51.5, -0.12)


def _seed_rides(client: TestClient, headers: dict[str, str], count: int, *, zone: bool) -> None:
    """`count` public rides that each start at HOME, inside the rider's privacy zone if any."""
    if zone:
        home = {"name": "home", "lat_deg": HOME[0], "lon_deg": HOME[1], "radius_m": 200.0}
        answer = client.post("/api/v1/privacy-zones", json=home, headers=headers)
        assert answer.status_code == 201, answer.text
    owner_id = uuid.UUID(client.get("/api/v1/me", headers=headers).json()["id"])
    lat = HOME[0] + np.linspace(0.0, 0.02, 30)
    lon = np.full(30, HOME[1])
    streams = {"time_s": np.arange(30, dtype=np.float64) * 10.0, "lat_deg": lat, "lon_deg": lon}
    with client.app.state.session_factory() as session:  # type: ignore[attr-defined]
        for n in range(count):
            ride = Ride(
                owner_id=owner_id,
                name=f"ride {n}",
                visibility="public",
                started_at=datetime(2025, 5, 1, 7, tzinfo=UTC) + timedelta(days=n),
                distance_m=2200.0,
                has_position=True,
                point_count=30,
                min_lat=float(lat.min()),
                min_lon=float(lon.min()),
                max_lat=float(lat.max()),
                max_lon=float(lon.max()),
                source_format="gpx",
                source_sha256=f"{n:064x}",
            )
            session.add(ride)
            session.flush()
            store_streams(session, ride.id, streams, 30)
        session.commit()
        assert refresh_public_views(session, owner_id=owner_id) == (count if zone else 0)


@contextmanager
def _statements(client: TestClient) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _listing_cost(client: TestClient, headers: dict[str, str], view: str) -> tuple[int, int]:
    """How many rides one page lists and how many statements it took."""
    with _statements(client) as seen:
        answer = client.get(f"/api/v1/rides?limit={PAGE_LIMIT}&view={view}", headers=headers)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"]), len(seen)


@pytest.mark.parametrize("zone", [True, False], ids=["privacy zone", "no zone"])
@pytest.mark.parametrize("view", ["own", "public"])
def test_a_page_of_rides_costs_the_same_statements_for_1_ride_or_100(
    client: TestClient, view: str, zone: bool
) -> None:
    _, one_ride = signed_in(client)
    _, hundred_rides = signed_in(client)
    _seed_rides(client, one_ride, 1, zone=zone)
    _seed_rides(client, hundred_rides, 100, zone=zone)
    _listing_cost(client, one_ride, view)  # warm: the first request of a process loads more
    listed_one, cost_one = _listing_cost(client, one_ride, view)
    listed_hundred, cost_hundred = _listing_cost(client, hundred_rides, view)
    assert (listed_one, listed_hundred) == (1, 100)
    assert cost_one == cost_hundred, (cost_one, cost_hundred)
    assert cost_hundred <= MAX_STATEMENTS
