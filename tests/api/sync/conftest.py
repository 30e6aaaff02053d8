"""Scenario fixtures for the sync API: a rider with rides, and a helper to push edits."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bikenode.sync.logic import Stamp
from bikenode.sync.logic.hlc import wall_clock_ms
from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx


@dataclass
class Device:
    """A hand-driven device: numbers its mutations and stamps them with a given clock."""

    client: TestClient
    headers: dict[str, str]
    client_id: str
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    logical: itertools.count[int] = field(default_factory=itertools.count)

    def stamp(self, *, ahead_ms: int = 0) -> str:
        return str(Stamp(wall_clock_ms() + ahead_ms, next(self.logical) % 0xFFFF, self.client_id))

    def mutation(self, record_type: str, record_id: str, **fields: Any) -> dict[str, Any]:
        return {
            "counter": next(self.counter),
            "record_type": record_type,
            "record_id": record_id,
            "fields": {name: {"hlc": self.stamp(), **edit} for name, edit in fields.items()},
        }

    def push(self, *mutations: dict[str, Any]) -> Any:
        return self.client.post(
            "/api/v1/sync/push",
            json={"client_id": self.client_id, "mutations": list(mutations)},
            headers=self.headers,
        )

    def pull(self, cursor: str | None = None, **params: Any) -> dict[str, Any]:
        query = {"cursor": cursor, **params} if cursor is not None else params
        response = self.client.get("/api/v1/sync/pull", params=query, headers=self.headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@dataclass
class Rider:
    headers: dict[str, str]
    user_id: str
    ride_ids: list[str]

    def device(self, client: TestClient, name: str) -> Device:
        return Device(client, self.headers, name)


def make_rider(client: TestClient, rides: int = 2) -> Rider:
    """A signed-in rider with `rides` imported rides."""
    _payload, headers = signed_in(client)
    start = datetime(2024, 5, 1, 8, tzinfo=UTC)
    files = [
        (f"r{n}.gpx", synthetic_gpx(start + timedelta(days=n), points=120, seed=n))
        for n in range(rides)
    ]
    uploads = upload_files(client, headers, files) if files else []
    ride_ids = [item["ride_id"] for upload in uploads for item in upload["items"]]
    me = client.get("/api/v1/me", headers=headers).json()
    return Rider(headers, me["id"], ride_ids)


@pytest.fixture
def rider(client: TestClient) -> Rider:
    return make_rider(client)


@pytest.fixture
def other_rider(client: TestClient) -> Rider:
    return make_rider(client, rides=1)
