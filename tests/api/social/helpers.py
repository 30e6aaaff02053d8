"""Riders, rides and relations for the social API tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import signed_in, upload_files
from tests.synthetic import synthetic_gpx

_days = itertools.count()


@dataclass
class Rider:
    id: str
    name: str
    headers: dict[str, str]


def rider(client: TestClient, name: str) -> Rider:
    _, headers = signed_in(client, display_name=name)
    me = client.get("/api/v1/me", headers=headers).json()
    return Rider(me["id"], name, headers)


def ride(client: TestClient, owner: Rider, visibility: str = "public") -> str:
    """A ride of the owner's from an upload, with the visibility asked."""
    start = datetime(2025, 5, 4, 7, 0, tzinfo=UTC) + timedelta(days=next(_days))
    (upload,) = upload_files(client, owner.headers, [("ride.gpx", synthetic_gpx(start))])
    ride_id: str = upload["items"][0]["ride_id"]
    changed = client.patch(
        f"/api/v1/rides/{ride_id}", json={"visibility": visibility}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    return ride_id


def follow(client: TestClient, follower: Rider, followee: Rider) -> str:
    answer = client.post(f"/api/v1/users/{followee.id}/follow", headers=follower.headers)
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["status"]
    return status


def approve_followers(client: TestClient, who: Rider, on: bool = True) -> None:
    answer = client.put("/api/v1/me/social", json={"approve_followers": on}, headers=who.headers)
    assert answer.status_code == 200, answer.text


def block(client: TestClient, who: Rider, whom: Rider) -> None:
    answer = client.put(f"/api/v1/me/blocks/{whom.id}", headers=who.headers)
    assert answer.status_code == 204, answer.text


def names(answer: Any) -> list[str]:
    assert answer.status_code == 200, answer.text
    return [item["display_name"] for item in answer.json()["items"]]
