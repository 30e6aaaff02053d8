"""One owner's garage as the usage rules take it, loaded in a few queries, and the interval
each component is in: where usage, what is due and reminders all start from."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bikenode.bikes import repo
from bikenode.bikes.logic import usage as rules
from bikenode.bikes.logic.catalogue import CATALOGUE
from bikenode.bikes.logic.intervals import ServiceInterval, merged
from bikenode.bikes.models import Component, ServiceEntry


@dataclass(frozen=True)
class Garage:
    """One owner's windows, rides on bikes and latest services, loaded once."""

    windows: dict[uuid.UUID, list[rules.Installation]]
    rides: list[rules.RideOnBike]
    last_services: dict[uuid.UUID, ServiceEntry]

    @classmethod
    def load(
        cls,
        session: Session,
        owner_id: uuid.UUID,
        *,
        bike_ids: Collection[uuid.UUID] | None = None,
    ) -> Garage:
        """The garage; with `bike_ids`, only the rides on those bikes."""
        return cls(
            repo.windows_by_component(repo.installations_of(session, owner_id)),
            repo.rides_on_bikes(session, owner_id, bike_ids=bike_ids),
            repo.last_services(session, owner_id),
        )


@dataclass(frozen=True)
class CurrentInterval:
    """Where a component's current interval starts, the usage it starts with (the starting
    usage before any service, nothing after one) and the placements counted in it."""

    since: datetime
    start: rules.Usage
    placements: list[rules.Placement]
    last_service: ServiceEntry | None


def interval_of(component: Component) -> ServiceInterval:
    """The component's own limits where set, its type's defaults otherwise."""
    own = ServiceInterval(
        component.interval_distance_m, component.interval_moving_s, component.interval_days
    )
    default = CATALOGUE[component.type].interval if component.type in CATALOGUE else own
    return merged(default, own)


def current_interval(
    garage: Garage, component: Component, where: list[rules.Placement]
) -> CurrentInterval:
    """The interval from the latest service or replacement; before any, from the first
    installation (the component's creation if it was never fitted)."""
    last = garage.last_services.get(component.id)
    if last is not None:
        return CurrentInterval(last.done_at, rules.Usage(), rules.since(where, last.done_at), last)
    firsts = [w.installed_at for w in garage.windows.get(component.id, [])]
    start = rules.Usage(component.start_distance_m, component.start_moving_s)
    return CurrentInterval(min(firsts) if firsts else component.created_at, start, where, None)
