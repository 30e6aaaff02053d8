"""Who sees a ride: the owner always, nobody a private one, nobody blocked either way, an
approved follower a followers-only one, anyone a public one (rides/audience.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Select, select

from bikenode.rides import audience
from bikenode.rides.audience import (
    Relation,
    current_audience,
    may_view,
    register_audience,
)
from bikenode.rides.models import Ride

OWNER, FOLLOWER, BLOCKED, STRANGER = (uuid.uuid4() for _ in range(4))
WITHHELD_RIDE = uuid.uuid4()


class Relations:
    """An audience from a fixed table: the in-process fake of social's."""

    def relation(self, session: Any, *, owner_id: uuid.UUID, viewer_id: uuid.UUID) -> Relation:
        return {FOLLOWER: "follower", BLOCKED: "blocked"}.get(viewer_id, "none")  # type: ignore[return-value]

    def followed_by(self, viewer_id: uuid.UUID) -> Select[uuid.UUID]:
        return select(Ride.owner_id)

    def withheld(self, session: Any, *, ride_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
        return ride_id == WITHHELD_RIDE

    def withheld_rides(self) -> Select[uuid.UUID]:
        return select(Ride.id).where(Ride.id == WITHHELD_RIDE)

    def withheld_riders(self) -> Select[uuid.UUID]:
        return select(Ride.owner_id).where(Ride.owner_id == BLOCKED)


@pytest.fixture
def relations() -> Iterator[None]:
    before = current_audience()
    register_audience(Relations())
    yield
    register_audience(before)


@pytest.mark.parametrize(
    ("visibility", "seen_by"),
    [
        ("private", {OWNER}),
        ("followers", {OWNER, FOLLOWER}),
        ("public", {OWNER, FOLLOWER, STRANGER, None}),
    ],
)
def test_each_visibility_is_seen_by_its_viewers_and_never_by_a_blocked_one(
    relations: None, visibility: str, seen_by: set[uuid.UUID | None]
) -> None:
    ride = Ride(owner_id=OWNER, visibility=visibility)
    viewers: list[uuid.UUID | None] = [OWNER, FOLLOWER, BLOCKED, STRANGER, None]
    seen = {v for v in viewers if may_view(None, ride=ride, viewer_id=v)}  # type: ignore[arg-type]
    assert seen == seen_by


def test_a_ride_a_moderator_withheld_is_seen_by_its_owner_only(relations: None) -> None:
    ride = Ride(id=WITHHELD_RIDE, owner_id=OWNER, visibility="public")
    viewers = [OWNER, FOLLOWER, STRANGER, None]
    seen = [may_view(None, ride=ride, viewer_id=v) for v in viewers]  # type: ignore[arg-type]
    assert seen == [True, False, False, False]


def test_an_unknown_visibility_is_seen_by_its_owner_only(relations: None) -> None:
    ride = Ride(owner_id=OWNER, visibility="friends")
    assert [may_view(None, ride=ride, viewer_id=v) for v in (OWNER, FOLLOWER)] == [True, False]  # type: ignore[arg-type]


def test_without_social_registered_followers_widens_nothing() -> None:
    before = current_audience()
    register_audience(audience._Nobody())  # as rides runs with no social domain
    try:
        ride = Ride(owner_id=OWNER, visibility="followers")
        assert not may_view(None, ride=ride, viewer_id=FOLLOWER)  # type: ignore[arg-type]
    finally:
        register_audience(before)
