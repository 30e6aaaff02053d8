"""Which ride changes make segments and bikes redo their work: a rename or a note does not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from bikenode.bikes import subscribers as bikes_subscribers
from bikenode.events import Envelope
from bikenode.rides import RideChanged
from bikenode.segments import subscribers as segments_subscribers


def _changed(*fields: str) -> Envelope:
    event = RideChanged(ride_id=uuid.uuid4(), owner_id=uuid.uuid4(), changed=fields)
    return Envelope(id=1, occurred_at=datetime(2026, 12, 7, tzinfo=UTC), event=event)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []

    def record(name: str) -> Any:
        return lambda session, **kwargs: seen.append(name)

    monkeypatch.setattr(segments_subscribers, "refresh_ride_efforts", record("efforts"))
    monkeypatch.setattr(bikes_subscribers, "refresh_ride_assignment", record("assignment"))
    return seen


@pytest.mark.parametrize("fields", [("name",), ("description",), ("name", "description")])
def test_a_rename_or_a_note_rematches_nothing(calls: list[str], fields: tuple[str, ...]) -> None:
    envelope = _changed(*fields)
    segments_subscribers.match_ride_efforts(None, envelope)  # type: ignore[arg-type]
    bikes_subscribers.assign_ride_to_bike(None, envelope)  # type: ignore[arg-type]
    assert calls == []


@pytest.mark.parametrize("fields", [("started_at",), ("name", "sport"), ("visibility",)])
def test_a_change_matching_reads_rematches_the_ride(
    calls: list[str], fields: tuple[str, ...]
) -> None:
    envelope = _changed(*fields)
    segments_subscribers.match_ride_efforts(None, envelope)  # type: ignore[arg-type]
    bikes_subscribers.assign_ride_to_bike(None, envelope)  # type: ignore[arg-type]
    assert calls == ["efforts", "assignment"]
