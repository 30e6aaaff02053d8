"""When a failed e-mail is tried again: 30 s doubling each time up to 6 h, with 10 % jitter,
for up to 4 days (24 attempts). A server that is down delays mail; only one that stays down
past that makes it fail, and the delivery log says so."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

FIRST_DELAY_S = 30.0
MAX_DELAY_S = 6 * 3600.0
GIVE_UP_AFTER = timedelta(days=4)
JITTER = 0.1


def retry_delay_s(attempt: int) -> float:
    """The wait after the `attempt`-th failure (1-based), before jitter, in seconds."""
    if attempt < 1:
        raise ValueError(f"expected an attempt number of 1 or more, got {attempt}")
    return min(FIRST_DELAY_S * 2.0 ** min(attempt - 1, 32), MAX_DELAY_S)


def next_try_at(
    attempt: int, *, now: datetime, first_at: datetime, rng: random.Random | None = None
) -> datetime | None:
    """When to try again after `attempt` failed; None once trying since `first_at` has
    gone on for longer than GIVE_UP_AFTER."""
    if now - first_at >= GIVE_UP_AFTER:
        return None
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return now + timedelta(seconds=retry_delay_s(attempt) * factor)
