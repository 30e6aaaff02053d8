"""The small helpers several domains share: great-circle distance and the token bucket."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.geo import haversine_m
from bikenode.token_bucket import TokenBucket

M_PER_DEG_LAT = 111_195.0  # the mean Earth radius's metres per degree of latitude
lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)


def test_haversine_one_degree_of_latitude() -> None:
    assert float(haversine_m(0.0, 0.0, 1.0, 0.0)) == pytest.approx(M_PER_DEG_LAT, rel=1e-4)


def test_haversine_broadcasts_one_point_against_many() -> None:
    distances = haversine_m(0.0, 0.0, np.array([0.0, 1.0, 2.0]), 0.0)
    assert distances.shape == (3,)
    assert distances == pytest.approx([0.0, M_PER_DEG_LAT, 2 * M_PER_DEG_LAT], rel=1e-4)


@given(lats, lons, lats, lons)
def test_haversine_is_symmetric_and_never_more_than_half_the_globe(
    lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    there = float(haversine_m(lat1, lon1, lat2, lon2))
    assert there == pytest.approx(float(haversine_m(lat2, lon2, lat1, lon1)), abs=1e-6)
    assert 0.0 <= there <= np.pi * 6_371_008.8 + 1e-6


def test_token_bucket_lets_a_burst_through_then_spaces_the_rest() -> None:
    bucket = TokenBucket(rate_per_s=5.0, burst=3.0)
    waits = [bucket.reserve(10.0) for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.2) and waits[4] == pytest.approx(0.4)
    assert bucket.reserve(12.0) == 0.0  # two seconds later the debt is repaid and more saved


def test_token_bucket_starts_full_at_its_first_use_whatever_the_clock() -> None:
    bucket = TokenBucket(rate_per_s=10.0, burst=2.0)
    assert bucket.reserve(0.0) == 0.0  # a monotonic clock may read 0: still a fresh bucket
    assert bucket.reserve(0.0) == 0.0
    assert bucket.reserve(0.0) == pytest.approx(0.1)
    assert bucket.reserve(1.0) == 0.0
