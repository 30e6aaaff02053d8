"""What a ride event's webhook data holds for its owner and for apps with various scopes."""

from __future__ import annotations

from typing import Any

import pytest

from bikenode.webhooks.logic.payloads import (
    PAYLOAD_FIELDS,
    RideFacts,
    covers,
    holds,
    needed_scope,
    ride_data,
)

READ = frozenset({"rides:read"})
READ_ALL = frozenset({"rides:read_all"})
SUMMARY: dict[str, Any] = {
    "name": "Dawn loop",
    "sport": "cycling",
    "commute": False,
    "visibility": "public",
    "started_at": "2025-06-01T07:00:00+00:00",
    "distance_m": 42_000.0,
    "moving_time_s": 5400.0,
    "elapsed_time_s": 6000.0,
    "elevation_gain_m": 350.0,
}


def created(visibility: str | None = "public", **extra: Any) -> RideFacts:
    summary = {**SUMMARY, "visibility": visibility, **extra}
    return RideFacts("ride.created", "r1", visibility, summary=summary)


def updated(values: dict[str, Any], visibility: str | None = "public") -> RideFacts:
    return RideFacts("ride.updated", "r1", visibility, changed=tuple(values), values=values)


def test_the_owner_gets_the_ride_summary_on_creation() -> None:
    assert ride_data(created(), scopes=None) == {"ride_id": "r1", "ride": SUMMARY}


def test_an_app_with_rides_read_gets_the_summary_of_a_public_ride() -> None:
    assert ride_data(created(), scopes=READ) == {"ride_id": "r1", "ride": SUMMARY}
    assert ride_data(created("followers"), scopes=READ) is not None


@pytest.mark.parametrize("visibility", ["private", None])
def test_a_private_ride_never_reaches_an_app_without_rides_read_all(
    visibility: str | None,
) -> None:
    for facts in (
        created(visibility),
        updated({"name": "Secret"}, visibility),
        RideFacts("ride.deleted", "r1", visibility),
    ):
        assert ride_data(facts, scopes=READ | {"profile:read", "sync"}) is None
        assert ride_data(facts, scopes=READ_ALL) is not None


def test_an_app_without_a_ride_scope_hears_nothing() -> None:
    assert ride_data(created(), scopes=frozenset({"profile:read", "health:read"})) is None
    assert not covers("ride.created", frozenset())
    assert covers("ride.deleted", READ_ALL)


def test_fields_outside_the_payload_list_never_leak_even_if_the_event_holds_them() -> None:
    facts = created(start_latlng=[52.5, 13.4], summary={"avg_hr_bpm": 150}, owner_email="x@y")
    data = ride_data(facts, scopes=None)
    assert data is not None
    assert set(data["ride"]) <= PAYLOAD_FIELDS
    assert "start_latlng" not in data["ride"] and "avg_hr_bpm" not in str(data)
    changed = updated({"name": "New", "latlng": [1, 2], "summary": {"avg_hr_bpm": 150}})
    data = ride_data(changed, scopes=READ_ALL)
    assert data == {
        "ride_id": "r1",
        "changed": ["latlng", "name", "summary"],
        "values": {"name": "New"},
    }


def test_an_update_carries_exactly_the_changed_fields_and_their_new_values() -> None:
    data = ride_data(updated({"name": "Evening", "commute": True}), scopes=None)
    assert data == {
        "ride_id": "r1",
        "changed": ["commute", "name"],
        "values": {"name": "Evening", "commute": True},
    }


def test_a_ride_made_private_tells_a_rides_read_app_only_that() -> None:
    facts = updated({"visibility": "private", "name": "Home run"}, "private")
    assert ride_data(facts, scopes=READ) == {
        "ride_id": "r1",
        "changed": ["visibility"],
        "values": {"visibility": "private"},
    }
    full = ride_data(facts, scopes=READ_ALL)
    assert full is not None and full["values"]["name"] == "Home run"


def test_a_deletion_carries_the_id_only() -> None:
    assert ride_data(RideFacts("ride.deleted", "r1", "public"), scopes=READ) == {"ride_id": "r1"}


def test_an_old_creation_event_without_summary_carries_the_id() -> None:
    facts = RideFacts("ride.created", "r1", "public", summary=None)
    assert ride_data(facts, scopes=None) == {"ride_id": "r1"}


def test_a_private_rides_delivery_needs_rides_read_all_still_when_it_goes() -> None:
    needed = needed_scope(created("private"), scopes=READ_ALL | READ)
    assert needed == "rides:read_all"
    assert holds(needed, READ_ALL) and not holds(needed, READ)
    public = needed_scope(created("public"), scopes=READ_ALL)
    assert public == "rides:read" and holds(public, READ_ALL) and holds(public, READ)
    assert not holds(None, frozenset({"profile:read"}))
