"""Growing delays after failed sign-ins, as pure functions of the failure count.

Three keys slow three attacks. An account from one IP is slowed hard (a guesser at one
address). An IP on its own is slowed hard after more failures (credential stuffing across
accounts). An account on its own is slowed only gently, with a short cap: a distributed guesser
still gets few tries, while the owner, signing in from an address with no failures, waits at
most a minute however hard the account is attacked. No delay is permanent, and a success clears
the account's delays.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class DelayRule:
    """Failures allowed without delay, then a delay doubling from 1 s up to `max_delay_s`."""

    free_failures: int
    max_delay_s: float


ACCOUNT_FROM_IP = DelayRule(free_failures=4, max_delay_s=15 * 60)
IP = DelayRule(free_failures=30, max_delay_s=15 * 60)
ACCOUNT = DelayRule(free_failures=20, max_delay_s=60)
TOTP = DelayRule(free_failures=3, max_delay_s=15 * 60)
# Failures older than this are forgotten: the count starts again.
FORGET_AFTER = timedelta(hours=24)


def delay_after(rule: DelayRule, failures: int) -> timedelta:
    """How long to refuse attempts after `failures` consecutive failures."""
    over = failures - rule.free_failures
    if over <= 0:
        return timedelta(0)
    # The exponent is capped first: 2.0 ** 10_000 overflows a float.
    return timedelta(seconds=min(rule.max_delay_s, 2.0 ** min(over - 1, 62)))


def failures_now(failures: int, last_failure_at: datetime, now: datetime) -> int:
    """The failure count still in force: zero once the last failure is old enough."""
    return 0 if now - last_failure_at > FORGET_AFTER else failures


def throttle_keys(*, email: str, client_ip: str | None) -> dict[str, DelayRule]:
    """The keys a sign-in attempt for `email` from `client_ip` counts against."""
    keys = {f"account:{email}": ACCOUNT}
    if client_ip:
        keys[f"ip:{client_ip}"] = IP
        keys[f"account-ip:{email}|{client_ip}"] = ACCOUNT_FROM_IP
    return keys
