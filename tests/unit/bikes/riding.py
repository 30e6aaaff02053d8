"""A generated rider: years of riding with seasons, weekends, weeks off, several bikes.

Shared by the wear prediction back-test, the assignment test and bench/bikes.py. Seeded, so
every run sees the same history.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

SPEED_KMH = 27.0


def season(day: date) -> float:
    """0.1 in the depth of winter to 1 in high summer (northern hemisphere)."""
    return 0.55 + 0.45 * math.sin(2 * math.pi * (day.timetuple().tm_yday - 105) / 365)


def daily_riding(seed: int, *, years: int = 4, start: date = date(2020, 1, 1)) -> dict[date, float]:
    """Kilometres ridden per day: more at weekends and in summer, a week or two off now and
    then (illness, holidays), and a rider who rides a bit more (or less) each year."""
    rng = random.Random(seed)
    riding: dict[date, float] = {}
    off_until = start
    keenness = 1.0
    for n in range(years * 365):
        day = start + timedelta(days=n)
        if day.month == 1 and day.day == 1:
            keenness = rng.uniform(0.8, 1.25)
        if day < off_until:
            continue
        if rng.random() < 1 / 120:
            off_until = day + timedelta(days=rng.randint(5, 14))
            continue
        weekend = day.weekday() >= 5
        chance = (0.8 if weekend else 0.4) * (0.3 + 0.7 * season(day))
        if rng.random() < chance:
            km = rng.uniform(50, 110) if weekend else rng.uniform(20, 45)
            riding[day] = km * keenness * (0.6 + 0.4 * season(day))
    return riding


def as_history(riding: dict[date, float]) -> dict[date, tuple[float, float]]:
    """Per day: metres and moving seconds (at SPEED_KMH)."""
    return {day: (km * 1000, km / SPEED_KMH * 3600) for day, km in riding.items()}
