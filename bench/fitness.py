"""Fitness maths speed, ours beside sweatpy's where it has the same thing.

Rows: mean-max power of a 4-hour 1 Hz ride (sweatpy computes every second, we the shared
grid: see bikenode/fitness/logic/power_curve.py), W' balance of a 4-hour ride (differential
and integral forms), training load over 10 years of days, a range curve combined from 5,000
ride curves, and a 3-parameter CP fit. Each row prints our median, sweatpy's median and how
many times faster ours is; "-" where sweatpy has no equivalent. Targets: mean-max < 20 ms,
differential W'bal < 2 ms.

sweat 0.25 pins pydantic<2 and pandas<2, so it is installed apart and only its modules are
loaded: pip install --no-deps sweat==0.25.0 pandas scikit-learn

Run: .venv/bin/python bench/fitness.py [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo's tests package

from tests.unit.fitness import sweat_peer

from bikenode.fitness.logic.cp_models import fit_three_parameter
from bikenode.fitness.logic.load import training_load
from bikenode.fitness.logic.power_curve import combine_curves, mean_max_power
from bikenode.fitness.logic.w_balance import (
    skiba_tau_s,
    w_prime_balance_differential,
    w_prime_balance_integral,
)

CP_W, W_PRIME_J = 260.0, 20000.0


def median_s(work: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def ride(seconds: int, seed: int = 1) -> Any:
    rng = np.random.default_rng(seed)
    surges = np.repeat(rng.choice([0.0, 250.0], size=seconds // 30 + 1, p=[0.85, 0.15]), 30)
    return np.clip(rng.normal(200, 70, seconds) + surges[:seconds], 0, None)


def rows(repeats: int, peer_repeats: int) -> list[tuple[str, float, str, float | None]]:
    core, wbal = sweat_peer.load("metrics/core.py"), sweat_peer.load("pdm/w_prime_balance.py")
    regressors = sweat_peer.load("pdm/regressors.py")
    power = ride(4 * 3600)
    tau = skiba_tau_s(power, cp_w=CP_W)
    rng = np.random.default_rng(2)
    curves = [
        mean_max_power(ride(int(n), seed=i))
        for i, n in enumerate(rng.integers(600, 4 * 3600, 5000))
    ]
    curve = combine_curves(curves[:200])
    window = curve.durations_s <= 1200
    t, p = curve.durations_s[window], curve.watts[window]
    stress = rng.gamma(1.2, 60, 3653) * (rng.random(3653) < 0.7)
    table: list[tuple[str, float, str, float | None]] = []

    def peer(work: Callable[[], object] | None) -> float | None:
        return None if work is None else median_s(work, peer_repeats)

    table.append(
        (
            "mean-max power, 4 h ride",
            median_s(lambda: mean_max_power(power), repeats),
            "sweat mean_max",
            peer(None if core is None else lambda: core.mean_max(power)),
        )
    )
    table.append(
        (
            "W'bal differential, 4 h",
            median_s(
                lambda: w_prime_balance_differential(power, cp_w=CP_W, w_prime_j=W_PRIME_J), repeats
            ),
            "sweat froncioni-skiba-clarke",
            peer(
                None
                if wbal is None
                else lambda: wbal.w_prime_balance(
                    power, CP_W, W_PRIME_J, algorithm="froncioni-skiba-clarke"
                )
            ),
        )
    )
    table.append(
        (
            "W'bal integral, 4 h",
            median_s(
                lambda: w_prime_balance_integral(power, cp_w=CP_W, w_prime_j=W_PRIME_J, tau_s=tau),
                repeats,
            ),
            "sweat waterworth",
            peer(
                None
                if wbal is None
                else lambda: wbal.w_prime_balance(
                    power, CP_W, W_PRIME_J, algorithm="waterworth", tau_value=tau
                )
            ),
        )
    )
    table.append(
        (
            "training load, 10 years",
            median_s(lambda: training_load(date(2015, 1, 1), stress), repeats),
            "-",
            None,
        )
    )
    table.append(
        ("range curve of 5,000 rides", median_s(lambda: combine_curves(curves), repeats), "-", None)
    )

    def sweat_fit() -> object:
        model = regressors.PowerDurationRegressor(model="3 param")  # type: ignore[union-attr]
        return model.fit(t.reshape(-1, 1), p)

    table.append(
        (
            "CP fit, 3 parameters",
            median_s(lambda: fit_three_parameter(t, p), repeats),
            "sweat PowerDurationRegressor",
            peer(None if regressors is None else sweat_fit),
        )
    )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per row (median)")
    parser.add_argument("--quick", action="store_true", help="3 runs of ours, 1 of sweatpy's")
    args = parser.parse_args()
    repeats, peer_repeats = (3, 1) if args.quick else (args.repeats, max(1, args.repeats // 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sweatpy on pandas 2+ warns about its own idioms
        table = rows(repeats, peer_repeats)
    print(f"{'benchmark':28} {'ours ms':>9}  {'peer':30} {'peer ms':>9} {'ours x':>8}")
    for name, ours, peer_name, theirs in table:
        peer_ms = "-" if theirs is None else f"{theirs * 1e3:.2f}"
        ratio = "-" if theirs is None else f"{theirs / ours:.1f}"
        print(f"{name:28} {ours * 1e3:>9.2f}  {peer_name:30} {peer_ms:>9} {ratio:>8}")


if __name__ == "__main__":
    main()
