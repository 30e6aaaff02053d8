"""Events as JSON: every field survives the trip, an unknown type is named."""

from __future__ import annotations

import uuid

import pytest

from bikenode.events import UnknownEvent
from bikenode.events.outbox import aggregate_of, from_payload, to_payload, user_of
from bikenode.governance.events import UserErased
from bikenode.rides.events import RideChanged


def test_an_event_reads_back_equal_from_its_json_payload() -> None:
    event = RideChanged(ride_id=uuid.uuid4(), owner_id=uuid.uuid4(), changed=("name", "sport"))
    payload = to_payload(event)
    assert payload["changed"] == ["name", "sport"]
    assert payload["ride_id"] == str(event.ride_id)
    assert from_payload(RideChanged.type, RideChanged.version, payload) == event


def test_an_event_names_its_aggregate_and_whose_data_it_carries() -> None:
    event = RideChanged(ride_id=uuid.uuid4(), owner_id=uuid.uuid4(), changed=())
    assert aggregate_of(event) == str(event.ride_id)
    assert user_of(event) == event.owner_id
    assert user_of(UserErased(user_id=uuid.uuid4())) is None  # kept when the user's are erased


def test_an_unregistered_version_is_refused_by_name() -> None:
    with pytest.raises(UnknownEvent, match=r"'rides\.ride_changed' version 99"):
        from_payload(RideChanged.type, 99, {})
