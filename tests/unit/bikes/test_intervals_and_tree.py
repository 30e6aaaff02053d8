"""Service intervals, the catalogue and the rules for where a component may go."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bikenode.bikes.logic.catalogue import CATALOGUE, component_type
from bikenode.bikes.logic.intervals import ServiceInterval, interval_status, merged
from bikenode.bikes.logic.tree import first_overlap, would_nest_in_itself
from bikenode.bikes.logic.usage import Installation, Usage

T0 = datetime(2025, 3, 1, tzinfo=UTC)
A, B, C = uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=3)


def test_the_limit_reached_first_decides() -> None:
    interval = ServiceInterval(distance_m=3_000_000, moving_s=100 * 3600, days=365)
    used = Usage(distance_m=2_400_000, moving_s=10 * 3600)
    status = interval_status(interval, used, since=T0, now=T0 + timedelta(days=73))
    assert status.limit == "distance" and status.fraction == pytest.approx(0.8)
    assert status.warn and not status.due


def test_calendar_days_make_a_part_due_without_riding() -> None:
    status = interval_status(
        ServiceInterval(days=120), Usage(), since=T0, now=T0 + timedelta(days=120)
    )
    assert status.limit == "days" and status.fraction == pytest.approx(1.0) and status.due


def test_a_custom_warning_fraction_and_no_interval() -> None:
    used = Usage(distance_m=700)
    status = interval_status(ServiceInterval(distance_m=1000), used, since=T0, now=T0, warn_at=0.5)
    assert status.warn and not status.due
    assert interval_status(ServiceInterval(), used, since=T0, now=T0).fraction is None
    with pytest.raises(ValueError, match="positive"):
        interval_status(ServiceInterval(distance_m=0), used, since=T0, now=T0)


def test_a_components_own_limits_override_its_types() -> None:
    chain = component_type("chain").interval
    mine = merged(chain, ServiceInterval(days=90))
    assert mine == ServiceInterval(distance_m=3_000_000, days=90)


def test_the_catalogue_gives_a_chain_3000_km_and_holders_no_interval() -> None:
    assert CATALOGUE["chain"].interval.distance_m == 3_000_000
    assert CATALOGUE["wheelset"].holds_parts and CATALOGUE["wheelset"].interval.empty
    assert 4_000_000 <= (CATALOGUE["tyre"].interval.distance_m or 0) <= 6_000_000


def test_windows_that_touch_do_not_overlap_and_an_open_one_overlaps_all_later() -> None:
    existing = [
        Installation(A, T0, T0 + timedelta(days=10), bike_id=B),
        Installation(A, T0 + timedelta(days=20), None, bike_id=B),
    ]
    assert first_overlap(T0 + timedelta(days=10), T0 + timedelta(days=20), existing) is None
    assert first_overlap(T0 + timedelta(days=9), T0 + timedelta(days=11), existing) is existing[0]
    assert first_overlap(T0 + timedelta(days=30), None, existing) is existing[1]


def test_a_component_cannot_go_into_itself_or_its_descendants() -> None:
    parents = {B: [A], C: [B]}  # C sits in B, B in A
    assert would_nest_in_itself(A, A, parents)
    assert would_nest_in_itself(A, C, parents)  # A into its grandchild
    assert not would_nest_in_itself(C, A, parents)


def test_indoor_rides_go_on_the_trainer_and_others_on_their_sports_default() -> None:
    from bikenode.bikes.logic.assignment import Assignment, BikeChoice, choose_bike

    road = BikeChoice(A, "road", ["cycling", "virtual_cycling"])
    trainer = BikeChoice(B, "trainer", [])
    chosen = choose_bike("cycling", None, [road, trainer])
    assert chosen == Assignment(A, "default bike for cycling")
    assert choose_bike("virtual_cycling", None, [road, trainer]).bike_id == B  # type: ignore[union-attr]
    assert choose_bike("cycling", "indoor_cycling", [road, trainer]).bike_id == B  # type: ignore[union-attr]
    assert choose_bike("virtual_cycling", None, [road]).bike_id == A  # type: ignore[union-attr]
    assert choose_bike("mountain_biking", None, [road, trainer]) is None
