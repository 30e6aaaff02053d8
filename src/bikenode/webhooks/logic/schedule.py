"""When a failed delivery is tried again, and when a failing subscription is switched off.

Attempts after the first wait (before jitter): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h,
20 h, 20 h: ten attempts over about 71.6 hours (three days). Each wait is stretched or shrunk
by up to 20 % at random, so receivers that come back are not hit by every sender at once.
After the last attempt the delivery has failed for good. A subscription whose deliveries have
failed without a single success for three days is disabled.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

RETRY_DELAYS_S: tuple[int, ...] = (
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    20 * 3600,
)
MAX_ATTEMPTS = len(RETRY_DELAYS_S) + 1
JITTER = 0.2
FAILING_FOR_DISABLE = timedelta(days=3)


def next_attempt_at(
    attempt: int, *, now: datetime, rng: random.Random | None = None, scale: float = 1.0
) -> datetime | None:
    """When to try again after `attempt` (1-based) failed; None when it was the last one.

    `scale` multiplies the wait (the operator's compressed schedule for test runs).
    """
    if attempt >= MAX_ATTEMPTS:
        return None
    base = RETRY_DELAYS_S[attempt - 1] * scale
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return now + timedelta(seconds=base * factor)


def should_disable(failing_since: datetime | None, *, now: datetime) -> bool:
    """True when deliveries have failed without any success for three days or more."""
    return failing_since is not None and now - failing_since >= FAILING_FOR_DISABLE
