"""Erasing a rider's events: those they acted in, and others' events whose payload names them
(a follow of them, kudos on their ride), found by any payload value equal to their id."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.events import erase_user_events, publish
from bikenode.events.models import OutboxEvent
from bikenode.events.service import names_value
from bikenode.social import FollowAccepted, KudosGiven
from tests.events_tools import Pinged


def test_names_value_matches_whole_values_at_any_depth_only() -> None:
    needle = str(uuid.uuid4())
    assert names_value({"a": {"b": [1, needle]}}, needle)
    assert not names_value({"a": f"see {needle}", "b": needle.upper()}, needle)
    assert not names_value({}, needle)


def test_erasure_removes_events_naming_the_rider_and_keeps_the_rest(engine: Engine) -> None:
    erased, other, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    ride = uuid.uuid4()
    with Session(engine) as session:
        publish(session, KudosGiven(ride_id=ride, user_id=erased, ride_owner_id=other))  # theirs
        publish(session, FollowAccepted(follower_id=other, followee_id=erased))  # names them
        publish(session, KudosGiven(ride_id=ride, user_id=third, ride_owner_id=erased))
        publish(session, FollowAccepted(follower_id=other, followee_id=third))  # not theirs
        publish(session, Pinged(key=f"note {erased}", n=1))  # a text that merely holds it
        session.commit()
        assert erase_user_events(session, erased) == 3
        session.commit()
        kept = session.execute(select(OutboxEvent.type, OutboxEvent.payload)).all()
    assert kept == [
        (
            "social.follow_accepted",
            {"follower_id": str(other), "followee_id": str(third), "by_followee": False},
        ),
        ("tests.pinged", {"key": f"note {erased}", "n": 1}),
    ]
