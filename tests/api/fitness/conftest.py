"""Riders with rides that carry power, and the dispatcher run until it has nothing left."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import upload_files
from tests.synthetic import synthetic_gpx

FIRST_RIDE_AT = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)  # a Monday morning in UTC


def steady(watts: float) -> Any:
    return lambda i: watts


def intervals(i: int) -> float:
    """Five minutes easy, then efforts of rising length at rising power, then easy again."""
    blocks = (
        (300, 150),
        (15, 800),
        (60, 150),
        (60, 500),
        (60, 150),
        (300, 330),
        (60, 150),
        (1200, 270),
        (600, 150),
    )
    for length, watts in blocks:
        if i < length:
            return watts
        i -= length
    return 150


def import_ride(
    client: TestClient,
    headers: dict[str, str],
    start: datetime,
    *,
    seconds: int = 1800,
    power: Any = None,
    seed: int = 0,
) -> str:
    """A ride uploaded and processed, its events handled; its id."""
    gpx = synthetic_gpx(start, points=seconds, seed=seed, power_w=power)
    [upload] = upload_files(client, headers, [(f"ride-{start:%Y%m%d%H%M}.gpx", gpx)])
    assert upload["items"][0]["status"] == "imported", upload
    drain(client)
    return str(upload["items"][0]["ride_id"])


def drain(client: TestClient) -> None:
    """Run queued jobs and deliver every event until neither has anything left."""
    app: Any = client.app
    while app.state.worker.run_until_idle() + app.state.events.run_until_idle():
        pass
