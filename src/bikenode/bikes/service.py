"""Garage use cases: bikes, components and where each sits; each commits once.

Installation windows are checked here on every database: a component is in one place at
a time, a slot (the holder, the type, the position) holds one component at a time, a
retired part goes nowhere, and no component goes inside itself. PostgreSQL could hold the
first rule with an exclusion constraint as well (docs/bikes.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bikenode.bikes import reminders, repo, sync_records
from bikenode.bikes.logic.catalogue import CATALOGUE
from bikenode.bikes.logic.tree import first_overlap, would_nest_in_itself
from bikenode.bikes.logic.usage import windows_overlap
from bikenode.bikes.models import Bike, Component, Installation
from bikenode.db.base import utcnow
from bikenode.errors import InvalidInput, NotFound

# Types a holder may have several of at once, told apart by nothing: no slot rule.
UNSLOTTED_TYPES = frozenset({"other"})


def get_bike(session: Session, *, owner_id: uuid.UUID, bike_id: uuid.UUID) -> Bike:
    """The owner's bike; NotFound for another's bike or a missing one (the same answer)."""
    found = repo.bike(session, owner_id, bike_id)
    if found is None:
        raise NotFound("no such bike")
    return found


def get_component(session: Session, *, owner_id: uuid.UUID, component_id: uuid.UUID) -> Component:
    """The owner's component; NotFound for another's or a missing one."""
    found = repo.component(session, owner_id, component_id)
    if found is None:
        raise NotFound("no such component")
    return found


def _claim_sports(session: Session, bike: Bike) -> None:
    """A sport has one default bike: the bike that claims it last takes it from the others."""
    if not bike.default_for_sports:
        return
    for other in repo.bikes_of(session, bike.owner_id):
        if other.id != bike.id and set(other.default_for_sports) & set(bike.default_for_sports):
            other.default_for_sports = [
                s for s in other.default_for_sports if s not in bike.default_for_sports
            ]
            sync_records.record_bike_saved(session, other)


def create_bike(session: Session, *, owner_id: uuid.UUID, fields: Mapping[str, Any]) -> Bike:
    """A new bike in the owner's garage."""
    bike = Bike(id=uuid.uuid4(), owner_id=owner_id, **fields)
    session.add(bike)
    _claim_sports(session, bike)
    sync_records.record_bike_saved(session, bike)
    session.commit()
    return bike


def update_bike(session: Session, *, bike: Bike, changes: Mapping[str, Any]) -> Bike:
    """The bike with the given fields changed (retired_at set or cleared among them)."""
    for name, value in changes.items():
        setattr(bike, name, value)
    _claim_sports(session, bike)
    sync_records.record_bike_saved(session, bike)
    session.commit()
    return bike


def delete_bike(session: Session, *, bike: Bike) -> None:
    """Delete a bike with its installation windows and its rides' assignments; the
    components stay in the garage, fitted nowhere."""
    sync_records.record_bike_deleted(session, bike)
    session.delete(bike)
    session.commit()


def list_bikes(session: Session, *, owner_id: uuid.UUID) -> list[Bike]:
    """The owner's bikes, oldest first, retired ones included."""
    return list(repo.bikes_of(session, owner_id))


def _check_type(type_name: str) -> None:
    if type_name not in CATALOGUE:
        raise InvalidInput(
            f"expected a component type from the catalogue ({', '.join(CATALOGUE)}), "
            f"got {type_name[:40]!r}"
        )


def create_component(
    session: Session,
    *,
    owner_id: uuid.UUID,
    fields: Mapping[str, Any],
    bike_id: uuid.UUID | None = None,
    parent_id: uuid.UUID | None = None,
    installed_at: datetime | None = None,
    position: str = "",
) -> Component:
    """A new component, installed on the bike or in the parent if one is named."""
    _check_type(str(fields["type"]))
    component = Component(id=uuid.uuid4(), owner_id=owner_id, **fields)
    session.add(component)
    session.flush()
    if bike_id is not None or parent_id is not None:
        _install(session, component, bike_id, parent_id, installed_at or utcnow(), position)
    sync_records.record_component_saved(session, component)
    reminders.record_crossings(session, owner_id=owner_id)
    session.commit()
    return component


def update_component(
    session: Session, *, component: Component, changes: Mapping[str, Any]
) -> Component:
    """The component with the given fields changed."""
    if "type" in changes:
        _check_type(str(changes["type"]))
    for name, value in changes.items():
        setattr(component, name, value)
    sync_records.record_component_saved(session, component)
    session.flush()
    reminders.record_crossings(session, owner_id=component.owner_id)
    session.commit()
    return component


def install_component(
    session: Session,
    *,
    owner_id: uuid.UUID,
    component_id: uuid.UUID,
    bike_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    installed_at: datetime | None,
    position: str = "",
) -> Installation:
    """Fit a component on a bike or into a parent from `installed_at` (now by default); a
    component fitted elsewhere moves (its window there ends at `installed_at`)."""
    component = get_component(session, owner_id=owner_id, component_id=component_id)
    window = _install(session, component, bike_id, parent_id, installed_at or utcnow(), position)
    reminders.record_crossings(session, owner_id=owner_id)
    session.commit()
    return window


def _holder(
    session: Session, component: Component, bike_id: uuid.UUID | None, parent_id: uuid.UUID | None
) -> str:
    """Check the holder is the owner's and may hold the component; its name for messages."""
    if (bike_id is None) == (parent_id is None):
        raise InvalidInput("expected either bike_id or parent_component_id, not both or neither")
    if parent_id is None:
        bike = get_bike(session, owner_id=component.owner_id, bike_id=bike_id)  # type: ignore[arg-type]
        return f"bike {bike.name!r}"
    parent = get_component(session, owner_id=component.owner_id, component_id=parent_id)
    parents: dict[uuid.UUID, list[uuid.UUID]] = {}
    for row in repo.installations_of(session, component.owner_id):
        if row.parent_component_id is not None:
            parents.setdefault(row.component_id, []).append(row.parent_component_id)
    if would_nest_in_itself(component.id, parent.id, parents):
        what = "the component itself" if parent.id == component.id else "one of its own parts"
        raise InvalidInput(
            f"a component cannot go inside itself or one of its own parts: {parent.type}"
            f" {parent.id} is {what}"
        )
    if not CATALOGUE[parent.type].holds_parts:
        holders = ", ".join(name for name, t in CATALOGUE.items() if t.holds_parts)
        raise InvalidInput(f"expected a parent that holds parts ({holders}), got a {parent.type}")
    return f"{parent.type} {parent.id}"


def _install(
    session: Session,
    component: Component,
    bike_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    installed_at: datetime,
    position: str,
) -> Installation:
    if component.retired_at is not None:
        raise InvalidInput(
            f"this {component.type} was retired on {component.retired_at:%Y-%m-%d}; "
            "a retired part cannot be installed"
        )
    holder = _holder(session, component, bike_id, parent_id)
    rows = repo.installations_of(session, component.owner_id)
    own = [r for r in rows if r.component_id == component.id]
    _move_from_current(own, bike_id, parent_id, installed_at, position)
    clash = first_overlap(installed_at, None, repo.windows_by_component(own).get(component.id, []))
    if clash is not None:
        raise InvalidInput(
            f"this {component.type} is already installed from {clash.installed_at:%Y-%m-%d %H:%M}"
            f"{_until(clash.removed_at)}; remove it before installing it again"
        )
    if component.type not in UNSLOTTED_TYPES:
        _check_slot(session, component, rows, bike_id, parent_id, installed_at, position, holder)
    window = Installation(
        component_id=component.id,
        bike_id=bike_id,
        parent_component_id=parent_id,
        position=position,
        installed_at=installed_at,
    )
    session.add(window)
    session.flush()
    return window


def _move_from_current(
    own: list[Installation],
    bike_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    installed_at: datetime,
    position: str,
) -> None:
    """A component fitted elsewhere since before `installed_at` moves: that window closes
    where the new one opens (a swap in one step). Fitted in the same place: refused."""
    current = [w for w in own if w.removed_at is None and w.installed_at < installed_at]
    if not current:
        return
    window = current[-1]
    if (window.bike_id, window.parent_component_id, window.position) == (
        bike_id,
        parent_id,
        position,
    ):
        raise InvalidInput(
            f"this component is already installed there since {window.installed_at:%Y-%m-%d %H:%M}"
        )
    window.removed_at = installed_at


def _until(end: datetime | None) -> str:
    return " on" if end is None else f" to {end:%Y-%m-%d %H:%M}"


def _check_slot(
    session: Session,
    component: Component,
    rows: Any,
    bike_id: uuid.UUID | None,
    parent_id: uuid.UUID | None,
    installed_at: datetime,
    position: str,
    holder: str,
) -> None:
    """One component of a type per holder and position at a time (the new window is open)."""
    for row in rows:
        if (row.bike_id, row.parent_component_id, row.position) != (bike_id, parent_id, position):
            continue
        other = session.get(Component, row.component_id)
        if other is None or other.type != component.type or other.id == component.id:
            continue
        if windows_overlap(installed_at, None, row.installed_at, row.removed_at):
            where = f"{holder} at position {position!r}" if position else holder
            raise InvalidInput(
                f"the {component.type} slot of {where} already holds {other.type} {other.id}"
                f" from {row.installed_at:%Y-%m-%d %H:%M}{_until(row.removed_at)}; remove it"
                " first, or give a different position (front, rear...)"
            )


def remove_component(
    session: Session, *, owner_id: uuid.UUID, component_id: uuid.UUID, removed_at: datetime | None
) -> Installation:
    """Take a component off wherever it is fitted at `removed_at` (now by default)."""
    component = get_component(session, owner_id=owner_id, component_id=component_id)
    window = _close_window(session, component, removed_at or utcnow())
    if window is None:
        raise InvalidInput(f"this {component.type} is not installed anywhere")
    session.flush()
    reminders.record_crossings(session, owner_id=owner_id)
    session.commit()
    return window


def _close_window(session: Session, component: Component, at: datetime) -> Installation | None:
    rows = repo.installations_of(session, component.owner_id)
    open_windows = [r for r in rows if r.component_id == component.id and r.removed_at is None]
    if not open_windows:
        return None
    window = open_windows[-1]
    if at <= window.installed_at:
        raise InvalidInput(
            f"expected a removal after the installation on {window.installed_at:%Y-%m-%d %H:%M},"
            f" got {at:%Y-%m-%d %H:%M}"
        )
    window.removed_at = at
    return window


def retire_component(
    session: Session, *, owner_id: uuid.UUID, component_id: uuid.UUID, retired_at: datetime | None
) -> Component:
    """Retire a component (worn out, sold): taken off where it is, it stops counting."""
    component = get_component(session, owner_id=owner_id, component_id=component_id)
    at = retired_at or utcnow()
    _close_window(session, component, at)
    component.retired_at = at
    sync_records.record_component_saved(session, component)
    session.commit()
    return component
