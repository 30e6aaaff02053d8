"""The community heatmap's mechanism on generated riders: calibration, thresholds, bounds,
and how far removing one rider moves the released counts."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pytest

from bikenode.segments.logic.heat_privacy import (
    ZONE_BUFFER_MIN_M,
    ZONE_BUFFER_SPAN_M,
    Cell,
    ReleasePolicy,
    _gaussian_delta,
    analytic_gaussian_sigma,
    bound_contribution,
    community_grid,
    count_riders,
    release,
    tile_cell_range,
    zone_buffer_m,
)

# Loose enough that a small generated town shows heat; the stated bounds hold for any policy.
TOWN = ReleasePolicy(epsilon=8.0, delta=1e-3, max_cells=12, min_riders=3)


def keyed_noise(seed: int) -> Callable[[list[Cell]], np.ndarray]:
    """N(0, 1) per cell from a hash of (seed, cell): neighbouring data sets share each cell's
    draw, so their difference is the mechanism's, not the random generator's."""

    def draw(cells: list[Cell]) -> np.ndarray:
        values = []
        for cell in cells:
            digest = hashlib.sha256(f"{seed}|{cell}".encode()).digest()
            values.append(random.Random(digest).gauss(0.0, 1.0))
        return np.array(values)

    return draw


def first_k(cells: list[Cell], k: int) -> list[Cell]:
    return cells[:k]


def town(riders: int, seed: int) -> dict[int, set[Cell]]:
    """Riders on a few shared roads (cells in a row), each riding one to three of them."""
    rng = random.Random(seed)
    roads = [[(100 + i, 200 + r) for i in range(20)] for r in range(5)]
    week: dict[int, set[Cell]] = {}
    for rider in range(riders):
        cells: set[Cell] = set()
        for road in rng.sample(roads, rng.randint(1, 3)):
            start = rng.randint(0, 10)
            cells |= set(road[start : start + rng.randint(3, 10)])
        week[rider] = cells
    return week


def released(week: dict[int, set[Cell]], policy: ReleasePolicy, seed: int) -> dict[Cell, int]:
    bounded = [bound_contribution(c, policy.max_cells, first_k) for c in week.values()]
    return release(count_riders(bounded), policy, keyed_noise(seed))


def test_sigma_is_the_least_that_meets_delta() -> None:
    sigma = analytic_gaussian_sigma(1.0, 1e-6, 1.0)
    assert _gaussian_delta(sigma, 1.0, 1.0) <= 1e-6 < _gaussian_delta(sigma * 0.99, 1.0, 1.0)
    # The classic bound sqrt(2 ln(1.25 / delta)) / epsilon is looser: analytic is smaller.
    assert sigma < np.sqrt(2 * np.log(1.25 / 1e-6))
    assert analytic_gaussian_sigma(1.0, 1e-6, 4.0) == pytest.approx(4 * sigma, rel=1e-6)


def test_the_threshold_lets_a_cell_held_up_by_one_rider_through_with_tiny_odds() -> None:
    for policy in (ReleasePolicy(), TOWN):
        odds = 1 - NormalDist().cdf((policy.threshold - policy.min_riders) / policy.sigma)
        assert odds == pytest.approx(policy.delta_noise / policy.max_cells, rel=1e-3)


def test_a_rider_alone_on_a_road_never_lights_it() -> None:
    lonely = {(1, 1), (1, 2), (1, 3)}
    counts = count_riders([lonely, {(9, 9)}, {(9, 9)}])
    # Even a huge noise draw cannot release a cell fewer than min_riders rode.
    out = release(counts, TOWN, lambda cells: np.full(len(cells), 1e6))
    assert not set(out) & lonely


def test_a_rider_week_counts_at_most_max_cells_once_each() -> None:
    many = {(i, 0) for i in range(100)}
    bounded = bound_contribution(many, 12, lambda cells, k: random.Random(3).sample(cells, k))
    assert len(bounded) == 12 and bounded <= many
    assert max(count_riders([bounded]).values()) == 1


def test_removing_one_rider_moves_released_counts_within_the_bound() -> None:
    """On generated towns, for every rider: drop them and compare the two releases with the
    same noise per cell. Each cell released in both moves by at most 1, and at most
    max_cells cells change at all (moved, appeared or vanished)."""
    moves: list[int] = []
    changed_cells: list[int] = []
    for seed in range(6):
        week = town(80, seed)
        everyone = released(week, TOWN, seed)
        assert everyone, "the generated town should show some heat"
        for rider in week:
            without = released({k: v for k, v in week.items() if k != rider}, TOWN, seed)
            both = set(everyone) & set(without)
            moves += [abs(everyone[c] - without[c]) for c in both]
            changed = {c for c in set(everyone) | set(without) if everyone.get(c) != without.get(c)}
            changed_cells.append(len(changed))
    assert max(moves) <= 1
    assert max(changed_cells) <= TOWN.max_cells
    assert np.mean(changed_cells) > 0  # the check is not vacuous: riders do move counts


def test_zone_buffers_are_fixed_per_rider_and_zone_and_within_range() -> None:
    rider, key = uuid.uuid4(), b"k" * 32
    buffers = {zone_buffer_m(key, rider, 45.0 + i / 100, 6.0) for i in range(50)}
    assert len(buffers) == 50
    assert all(ZONE_BUFFER_MIN_M <= b <= ZONE_BUFFER_MIN_M + ZONE_BUFFER_SPAN_M for b in buffers)
    assert zone_buffer_m(key, rider, 45.0, 6.0) == zone_buffer_m(key, rider, 45.0, 6.0)
    assert zone_buffer_m(b"x" * 32, rider, 45.0, 6.0) != zone_buffer_m(key, rider, 45.0, 6.0)


@pytest.mark.parametrize("z", [4, 10, 13, 18])
def test_community_grid_puts_a_cell_where_its_tile_is(z: int) -> None:
    cell = (545_000, 370_000)  # a zoom-10 pixel
    shift = z - 10
    x = (cell[0] << shift) >> 8 if shift >= 0 else (cell[0] >> -shift) >> 8
    y = (cell[1] << shift) >> 8 if shift >= 0 else (cell[1] >> -shift) >> 8
    min_x, max_x, min_y, max_y = tile_cell_range(z, x, y)
    assert min_x <= cell[0] <= max_x and min_y <= cell[1] <= max_y
    grid = community_grid(np.array([cell[0]]), np.array([cell[1]]), np.array([5.0]), z, x, y)
    assert grid.shape == (256, 256)
    assert grid.max() == 5.0
    lit = int((grid > 0).sum())
    assert lit == (1 if z <= 10 else (1 << shift) ** 2)
