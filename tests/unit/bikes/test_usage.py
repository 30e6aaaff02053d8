"""Component usage through installation windows, by hand and as a property."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bikenode.bikes.logic.usage import (
    Installation,
    Placement,
    RideOnBike,
    Usage,
    placements,
    since,
    usage_of,
    with_ride,
    without_ride,
)

ROAD, TRAINER = uuid.UUID(int=1), uuid.UUID(int=2)
WHEELSET, TYRE, CHAIN = uuid.UUID(int=10), uuid.UUID(int=11), uuid.UUID(int=12)
DAY0 = datetime(2025, 1, 1, tzinfo=UTC)


def day(n: float) -> datetime:
    return DAY0 + timedelta(days=n)


def ride(n: int, bike: uuid.UUID, start_day: float | None, km: float = 10) -> RideOnBike:
    start = None if start_day is None else day(start_day)
    return RideOnBike(uuid.UUID(int=1000 + n), bike, start, km * 1000, km * 120, km * 5)


def test_a_chain_counts_only_rides_on_its_bike_inside_its_window() -> None:
    windows = {CHAIN: [Installation(CHAIN, day(1), day(5), bike_id=ROAD)]}
    rides = [
        ride(0, ROAD, 0.5),  # before it was fitted
        ride(1, ROAD, 1),  # at the instant it was fitted: inside
        ride(2, ROAD, 4.9, km=20),
        ride(3, ROAD, 5),  # at the instant it came off: outside
        ride(4, TRAINER, 2),  # another bike
        ride(5, ROAD, None),  # untimed
    ]
    assert usage_of(placements(CHAIN, windows), rides) == Usage(30_000, 3_600, 150, 2)


def test_a_tyre_counts_through_its_wheelset_as_the_wheelset_moves_between_bikes() -> None:
    windows = {
        WHEELSET: [
            Installation(WHEELSET, day(0), day(10), bike_id=ROAD),
            Installation(WHEELSET, day(10), day(20), bike_id=TRAINER),
            Installation(WHEELSET, day(20), None, bike_id=ROAD),
        ],
        TYRE: [Installation(TYRE, day(5), day(25), parent_id=WHEELSET)],
    }
    assert placements(TYRE, windows) == [
        Placement(ROAD, day(5), day(10)),
        Placement(TRAINER, day(10), day(20)),
        Placement(ROAD, day(20), day(25)),
    ]
    rides = [
        ride(n, bike, d)
        for n, (bike, d) in enumerate(
            [(ROAD, 3), (ROAD, 6), (TRAINER, 6), (TRAINER, 12), (ROAD, 12), (ROAD, 21), (ROAD, 26)]
        )
    ]
    assert usage_of(placements(TYRE, windows), rides).rides == 3  # days 6, 12 (trainer), 21
    assert usage_of(placements(WHEELSET, windows), rides).rides == 5


def test_usage_since_a_service_counts_only_later_rides() -> None:
    where = [Placement(ROAD, day(0), None)]
    rides = [ride(0, ROAD, 1), ride(1, ROAD, 3), ride(2, ROAD, 4)]
    assert usage_of(since(where, day(2)), rides).rides == 2
    assert since([Placement(ROAD, day(0), day(1))], day(2)) == []


def test_a_component_inside_itself_is_refused() -> None:
    windows = {CHAIN: [Installation(CHAIN, day(0), None, parent_id=CHAIN)]}
    with pytest.raises(ValueError, match="at most"):
        placements(CHAIN, windows)


# The property: a usage kept up to date ride by ride equals one computed from scratch.

bikes = st.sampled_from([ROAD, TRAINER])
starts = st.one_of(st.none(), st.integers(0, 30).map(lambda d: day(d / 2)))
rides_strategy = st.lists(
    st.builds(
        lambda n, bike, start, km, climb: RideOnBike(
            uuid.UUID(int=n), bike, start, km * 1000, km * 150, climb
        ),
        st.integers(0, 10_000),
        bikes,
        starts,
        st.integers(0, 200),
        st.integers(0, 3000),
    ),
    max_size=30,
    unique_by=lambda r: r.ride_id,
)


@st.composite
def trees(draw: st.DrawFn) -> dict[uuid.UUID, list[Installation]]:
    """A wheelset on bikes in back-to-back windows, a tyre in it, a chain on a bike."""
    cuts = sorted(draw(st.sets(st.integers(0, 15), min_size=1, max_size=5)))
    wheelset = [
        Installation(WHEELSET, day(a), day(b) if b is not None else None, bike_id=draw(bikes))
        for a, b in zip(cuts, [*cuts[1:], None], strict=True)
    ]
    t0 = draw(st.integers(0, 14))
    tyre = [Installation(TYRE, day(t0), day(draw(st.integers(t0 + 1, 16))), parent_id=WHEELSET)]
    chain = [Installation(CHAIN, day(draw(st.integers(0, 15))), None, bike_id=draw(bikes))]
    return {WHEELSET: wheelset, TYRE: tyre, CHAIN: chain}


@settings(max_examples=200, deadline=None)
@given(trees(), rides_strategy, st.lists(st.booleans(), max_size=30))
def test_incremental_updates_equal_a_full_recompute(
    windows: dict[uuid.UUID, list[Installation]],
    rides: list[RideOnBike],
    removals: list[bool],
) -> None:
    for component in (WHEELSET, TYRE, CHAIN):
        where = placements(component, windows)
        kept: list[RideOnBike] = []
        usage = Usage()
        for n, one in enumerate(rides):
            usage = with_ride(usage, where, one)
            kept.append(one)
            if n < len(removals) and removals[n]:  # sometimes an earlier ride is deleted
                gone = kept.pop(len(kept) // 2)
                usage = without_ride(usage, where, gone)
        full = usage_of(where, kept)
        assert usage.rides == full.rides
        assert usage.distance_m == pytest.approx(full.distance_m)
        assert usage.moving_s == pytest.approx(full.moving_s)
        assert usage.elevation_gain_m == pytest.approx(full.elevation_gain_m)
