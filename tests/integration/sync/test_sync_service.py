"""Sync's use cases on the database under test, without HTTP: seeding, push, pull, merges,
conflicts and retries, with rides made by the import service."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.errors import NotFound
from bikenode.events.models import OutboxEvent
from bikenode.rides.models import Ride
from bikenode.sync.mutations import FieldEdit, Mutation
from bikenode.sync.service import CounterGap, pull_changes, push_mutations, resolve_conflict
from tests.service_factories import make_ride, make_user


def _hlc(client: str, step: int = 0) -> str:
    return f"{int(time.time() * 1000)}-{step:04x}-{client}"


def _edit(counter: int, ride_id: uuid.UUID, client: str, **fields: Any) -> Mutation:
    edits = {
        name: FieldEdit(hlc=_hlc(client, counter), value=value, has_value=True, base=base)
        for name, (value, base) in fields.items()
    }
    return Mutation(counter=counter, record_type="ride", record_id=str(ride_id), fields=edits)


def _pulled(session: Session, owner: uuid.UUID, cursor: str | None = None) -> dict[str, Any]:
    page = pull_changes(session, owner_id=owner, cursor=cursor)
    return {"cursor": page.cursor, "changes": {c["record_id"]: c for c in page.changes}}


def test_a_first_pull_seeds_every_ride_and_the_next_is_empty(session: Session) -> None:
    owner = make_user(session)
    rides = [make_ride(session, owner, seed=seed) for seed in range(3)]
    first = _pulled(session, owner)
    assert {str(r) for r in rides} <= set(first["changes"])
    assert _pulled(session, owner, first["cursor"])["changes"] == {}


def test_a_push_changes_the_ride_and_announces_it_once(session: Session) -> None:
    owner = make_user(session)
    ride_id = make_ride(session, owner)
    cursor = _pulled(session, owner)["cursor"]
    events_before = session.scalar(select(func.count()).select_from(OutboxEvent)) or 0
    answer = push_mutations(
        session,
        owner_id=owner,
        client_id="phone",
        mutations=[_edit(1, ride_id, "phone", visibility=("public", None), commute=(True, None))],
    )
    assert answer.results[0]["status"] == "applied"
    ride = session.get(Ride, ride_id)
    assert ride is not None and (ride.visibility, ride.commute) == ("public", True)
    events = session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
    assert len(events) == events_before + 1 and events[-1].type == "rides.ride_changed"
    changed = _pulled(session, owner, cursor)["changes"][str(ride_id)]["fields"]
    assert changed["visibility"]["value"] == "public" and changed["commute"]["value"] is True


def test_a_retried_push_is_answered_the_same_and_applied_once(session: Session) -> None:
    owner = make_user(session)
    ride_id = make_ride(session, owner)
    name = session.get(Ride, ride_id).name  # type: ignore[union-attr]
    mutation = _edit(1, ride_id, "phone", name=(f"{name} (wet)", name))
    first = push_mutations(session, owner_id=owner, client_id="phone", mutations=[mutation])
    again = push_mutations(session, owner_id=owner, client_id="phone", mutations=[mutation])
    assert again.results == first.results
    session.expire_all()
    assert session.get(Ride, ride_id).name == f"{name} (wet)"  # type: ignore[union-attr]
    with pytest.raises(CounterGap):
        push_mutations(
            session,
            owner_id=owner,
            client_id="phone",
            mutations=[_edit(3, ride_id, "phone", name=("skipped two", None))],
        )


def test_concurrent_name_edits_merge_and_a_true_conflict_is_settled(session: Session) -> None:
    owner = make_user(session)
    ride_id = make_ride(session, owner)
    base = session.get(Ride, ride_id).name  # type: ignore[union-attr]
    session.commit()
    push_mutations(
        session,
        owner_id=owner,
        client_id="phone",
        mutations=[_edit(1, ride_id, "phone", name=(f"Wet {base}", base))],
    )
    push_mutations(
        session,
        owner_id=owner,
        client_id="laptop",
        mutations=[_edit(1, ride_id, "laptop", name=(f"{base} with Ada", base))],
    )
    session.expire_all()
    assert session.get(Ride, ride_id).name == f"Wet {base} with Ada"  # type: ignore[union-attr]

    # Both devices rewrite the same words from the same base: no rule can merge that.
    merged = f"Wet {base} with Ada"
    push_mutations(
        session,
        owner_id=owner,
        client_id="phone",
        mutations=[_edit(2, ride_id, "phone", description=("hilly", ""))],
    )
    answer = push_mutations(
        session,
        owner_id=owner,
        client_id="laptop",
        mutations=[_edit(2, ride_id, "laptop", description=("windy", ""))],
    )
    [conflict_id] = answer.results[0]["conflicts"]
    settled = resolve_conflict(
        session, owner_id=owner, conflict_id=uuid.UUID(conflict_id), value="hilly and windy"
    )
    assert settled.status == "resolved"
    session.expire_all()
    ride = session.get(Ride, ride_id)
    assert ride is not None and (ride.name, ride.description) == (merged, "hilly and windy")


def test_another_riders_record_does_not_exist_for_a_device(session: Session) -> None:
    owner, stranger = make_user(session), make_user(session)
    ride_id = make_ride(session, owner)
    with pytest.raises(NotFound):  # refuses the whole push
        push_mutations(
            session,
            owner_id=stranger,
            client_id="phone",
            mutations=[_edit(1, ride_id, "phone", visibility=("public", None))],
        )
    session.rollback()
    assert session.get(Ride, ride_id).visibility == "private"  # type: ignore[union-attr]
    assert str(ride_id) not in _pulled(session, stranger)["changes"]
