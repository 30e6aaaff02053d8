"""The community heatmap's privacy: zone buffers, contribution bounds, noise and thresholds.

The unit protected is one rider's week: their cells in one (cell, week) release. Per week
and rider, a cell counts at most once and at most `max_cells` cells count (a uniform random
subset when they rode more), so one rider-week changes at most `max_cells` released counts by
at most 1 each: L2 sensitivity sqrt(max_cells). Counts get Gaussian noise whose sigma is the
analytic Gaussian mechanism's (Balle and Wang, ICML 2018: exact for any epsilon, not only
epsilon < 1) for (epsilon, delta_noise). A cell is released only if at least `min_riders`
distinct riders were in it that week and its noisy count reaches the threshold tau, set so
that a cell held up by a rider's presence (true count min_riders) appears with probability at
most delta_threshold / max_cells: together (epsilon, delta_noise + delta_threshold)-DP per
rider-week. Released values are rounded: post-processing, and it hides the float noise's low
bits (Mironov 2012). See docs/security.md for the budget and the error it costs.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
from numpy.typing import NDArray

from bikenode.segments.logic.heat import STORE_ZOOM, TILE_PX

COMMUNITY_ZOOM = 10  # a community cell is a zoom-10 pixel: about 150 m at the equator
COMMUNITY_SHIFT = STORE_ZOOM - COMMUNITY_ZOOM  # stored pixel >> this = community cell
ZONE_BUFFER_MIN_M = 100.0
ZONE_BUFFER_SPAN_M = 200.0  # buffers are 100 to 300 m, fixed per rider and zone
WINDOW_DAYS = 365

Cell = tuple[int, int]
_NORMAL = NormalDist()


@dataclass(frozen=True)
class ReleasePolicy:
    """The privacy parameters of one weekly release (per rider-week)."""

    epsilon: float = 1.0
    delta: float = 1e-6
    max_cells: int = 32
    min_riders: int = 3

    @property
    def delta_noise(self) -> float:
        """Half of delta pays for the Gaussian noise, half for the threshold."""
        return self.delta / 2

    @property
    def sigma(self) -> float:
        """The noise's standard deviation, in riders."""
        return analytic_gaussian_sigma(self.epsilon, self.delta_noise, math.sqrt(self.max_cells))

    @property
    def threshold(self) -> float:
        """tau: the least noisy count a cell needs to be released."""
        tail = self.delta_noise / self.max_cells
        return self.min_riders + self.sigma * _NORMAL.inv_cdf(1.0 - tail)


def _gaussian_delta(sigma: float, epsilon: float, sensitivity: float) -> float:
    a = sensitivity / (2 * sigma)
    b = epsilon * sigma / sensitivity
    return _NORMAL.cdf(a - b) - math.exp(epsilon) * _NORMAL.cdf(-a - b)


def analytic_gaussian_sigma(epsilon: float, delta: float, sensitivity: float) -> float:
    """The least sigma for which Gaussian noise gives (epsilon, delta)-DP at this L2
    sensitivity (Balle and Wang 2018, Theorem 8), found by bisection to 1e-9 relative."""
    if epsilon <= 0 or not 0 < delta < 1 or sensitivity <= 0:
        raise ValueError(f"expected epsilon > 0 and 0 < delta < 1, got {epsilon}, {delta}")
    low, high = 1e-6 * sensitivity, sensitivity
    while _gaussian_delta(high, epsilon, sensitivity) > delta:
        high *= 2
    while high - low > 1e-9 * high:
        middle = (low + high) / 2
        if _gaussian_delta(middle, epsilon, sensitivity) > delta:
            low = middle
        else:
            high = middle
    return high


def zone_buffer_m(key: bytes, owner_id: uuid.UUID, lat_deg: float, lon_deg: float) -> float:
    """The extra radius (100 to 300 m) cut around one of the rider's zones: a keyed hash of
    rider and zone, so every release cuts the same disc and buffers never average away."""
    message = f"{owner_id}|{lat_deg:.6f}|{lon_deg:.6f}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return ZONE_BUFFER_MIN_M + ZONE_BUFFER_SPAN_M * fraction


def community_cells(x: NDArray[np.uint32], y: NDArray[np.uint32]) -> set[Cell]:
    """The community cells the stored pixels fall in."""
    cx = (x >> COMMUNITY_SHIFT).astype(np.int64)
    cy = (y >> COMMUNITY_SHIFT).astype(np.int64)
    return set(zip(cx.tolist(), cy.tolist(), strict=True))


def bound_contribution(
    cells: set[Cell], max_cells: int, choose: Callable[[list[Cell], int], list[Cell]]
) -> set[Cell]:
    """At most max_cells of a rider-week's cells: all of them, or `choose`'s subset."""
    if len(cells) <= max_cells:
        return cells
    return set(choose(sorted(cells), max_cells))


def count_riders(weekly: Iterable[set[Cell]]) -> dict[Cell, int]:
    """How many riders (each a bounded set of cells) were in each cell."""
    counts: dict[Cell, int] = {}
    for cells in weekly:
        for cell in cells:
            counts[cell] = counts.get(cell, 0) + 1
    return counts


def release(
    counts: Mapping[Cell, int],
    policy: ReleasePolicy,
    noise: Callable[[list[Cell]], NDArray[np.float64]],
) -> dict[Cell, int]:
    """The cells released and their rounded noisy counts. `noise(cells)` gives one N(0, 1)
    draw per cell (secure in production; keyed by cell in tests, to compare neighbours)."""
    cells = sorted(c for c, n in counts.items() if n >= policy.min_riders)
    if not cells:
        return {}
    true = np.array([counts[c] for c in cells], dtype=np.float64)
    noisy = true + policy.sigma * noise(cells)
    return {
        c: round(v) for c, v in zip(cells, noisy.tolist(), strict=True) if v >= policy.threshold
    }


def tile_cell_range(z: int, x: int, y: int) -> tuple[int, int, int, int]:
    """The community cells a tile covers: min_x, max_x, min_y, max_y, inclusive."""
    if z <= COMMUNITY_ZOOM:
        span = TILE_PX << (COMMUNITY_ZOOM - z)
        return x * span, (x + 1) * span - 1, y * span, (y + 1) * span - 1
    shift = z - COMMUNITY_ZOOM
    return (
        (x * TILE_PX) >> shift,
        ((x + 1) * TILE_PX >> shift) - 1,
        (y * TILE_PX) >> shift,
        ((y + 1) * TILE_PX >> shift) - 1,
    )


def community_grid(
    cx: NDArray[np.int64],
    cy: NDArray[np.int64],
    riders: NDArray[np.float64],
    z: int,
    x: int,
    y: int,
) -> NDArray[np.float64]:
    """A (256, 256) grid of released riders per tile pixel: cells summed into a pixel below
    zoom 10, a cell spread over 2**(z - 10) pixels above it."""
    min_x, max_x, min_y, _ = tile_cell_range(z, x, y)
    if z <= COMMUNITY_ZOOM:
        shift = COMMUNITY_ZOOM - z
        px, py, size, repeat = (cx - min_x) >> shift, (cy - min_y) >> shift, TILE_PX, 1
    else:
        px, py, size = cx - min_x, cy - min_y, max_x - min_x + 1
        repeat = TILE_PX // size
    grid = np.zeros(size * size, dtype=np.float64)
    ok = (px >= 0) & (px < size) & (py >= 0) & (py < size)
    grid += np.bincount(py[ok] * size + px[ok], weights=riders[ok], minlength=size * size)
    square = grid.reshape(size, size)
    return np.repeat(np.repeat(square, repeat, axis=0), repeat, axis=1)
