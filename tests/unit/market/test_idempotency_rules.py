"""Idempotency keys: replay, mismatch, running, expiry (Stripe's rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bikenode.market.logic.idempotency import (
    KEY_TTL,
    RUNNING_LEASE,
    BadIdempotencyKey,
    Stored,
    check_key,
    decide,
    fingerprint,
)

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


def stored(finished: bool, age: timedelta = timedelta(0)) -> Stored:
    made = NOW - age
    return Stored(fingerprint("POST", "/p", {"a": 1}), finished, made, made + KEY_TTL)


def test_the_same_request_replays_and_a_different_one_is_a_mismatch() -> None:
    assert decide(stored(True), fingerprint("POST", "/p", {"a": 1}), NOW) == "replay"
    assert decide(stored(True), fingerprint("POST", "/p", {"a": 2}), NOW) == "mismatch"
    assert decide(stored(True), fingerprint("POST", "/q", {"a": 1}), NOW) == "mismatch"


def test_key_order_in_the_body_does_not_matter() -> None:
    assert fingerprint("post", "/p", {"a": 1, "b": 2}) == fingerprint(
        "POST", "/p", {"b": 2, "a": 1}
    )


def test_a_running_first_request_blocks_until_its_lease_ends() -> None:
    same = fingerprint("POST", "/p", {"a": 1})
    assert decide(stored(False), same, NOW) == "running"
    assert decide(stored(False, RUNNING_LEASE), same, NOW) == "expired"


def test_keys_expire_after_a_day() -> None:
    assert decide(stored(True, KEY_TTL), fingerprint("POST", "/p", {"a": 1}), NOW) == "expired"


@pytest.mark.parametrize("key", [None, "", "x" * 256, "with space", "naïve"])
def test_bad_keys_are_refused(key: str | None) -> None:
    with pytest.raises(BadIdempotencyKey, match="expected"):
        check_key(key)
