"""Sign-in and TOTP throttling on the database (so every node sees the same counts).

These functions change the caller's session and never commit: the caller commits with the
rest of its unit of work (a failed attempt commits its count before it answers 401).
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.accounts import repo, throttle_rules
from bikenode.accounts.models import LoginThrottle
from bikenode.errors import TooManyRequests


def check_allowed(
    session: Session, rules: dict[str, throttle_rules.DelayRule], now: datetime
) -> None:
    """TooManyRequests (with Retry-After) if any key is still inside its delay."""
    waits = [
        (row.next_attempt_at - now).total_seconds()
        for row in repo.get_throttles(session, list(rules))
        if row.next_attempt_at > now
    ]
    if waits:
        wait_s = math.ceil(max(waits))
        raise TooManyRequests(
            f"too many failed attempts; try again in {wait_s} s", retry_after_s=wait_s
        )


def record_failure(
    session: Session, rules: dict[str, throttle_rules.DelayRule], now: datetime
) -> None:
    """Count one more failure against each key and set its next allowed attempt."""
    for key, rule in rules.items():
        row = repo.get_throttle(session, key)
        if row is None:
            try:
                with session.begin_nested():  # another node may create the same key first
                    session.add(
                        LoginThrottle(key=key, failures=0, last_failure_at=now, next_attempt_at=now)
                    )
            except IntegrityError:
                pass
            row = repo.get_throttle(session, key)
        if row is not None:
            row.failures = throttle_rules.failures_now(row.failures, row.last_failure_at, now) + 1
            row.last_failure_at = now
            row.next_attempt_at = now + throttle_rules.delay_after(rule, row.failures)
    session.flush()


def record_success(session: Session, keys: list[str]) -> None:
    """Forget the failures of these keys (a right password or code was given)."""
    repo.clear_throttles(session, keys)
