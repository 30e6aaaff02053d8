"""Webhooks' pure rules: signatures a Standard Webhooks verifier accepts, refused addresses,
and the retry schedule."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bikenode.webhooks.logic.addresses import allowed_hosts, refused_reason
from bikenode.webhooks.logic.schedule import MAX_ATTEMPTS, RETRY_DELAYS_S, next_attempt_at
from bikenode.webhooks.logic.signing import new_secret, signature_header


def test_the_standard_webhooks_library_verifies_each_active_secret() -> None:
    old, new, stranger = new_secret(), new_secret(), new_secret()
    body, stamp = b'{"type":"ride.created"}', int(time.time())
    header = signature_header([new, old], msg_id="msg_1", timestamp=stamp, body=body)
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp), "webhook-signature": header}
    for secret in (old, new):
        assert Webhook(secret).verify(body, headers) == {"type": "ride.created"}
    with pytest.raises(WebhookVerificationError):
        Webhook(stranger).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(body + b" ", headers)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.8",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "240.0.0.1",
    ],
)
def test_internal_addresses_are_refused(address: str) -> None:
    assert refused_reason(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:85e5"])
def test_public_addresses_pass(address: str) -> None:
    assert refused_reason(address) is None


def test_the_allow_list_is_a_comma_separated_set_of_lower_case_hosts() -> None:
    assert allowed_hosts(" Hooks.LAN, 127.0.0.1,,") == frozenset({"hooks.lan", "127.0.0.1"})


def test_retries_span_about_three_days_and_then_stop() -> None:
    assert 70 * 3600 < sum(RETRY_DELAYS_S) < 74 * 3600
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rng = random.Random(7)
    first = next_attempt_at(1, now=now, rng=rng)
    assert first is not None and timedelta(seconds=4) <= first - now <= timedelta(seconds=6)
    assert next_attempt_at(MAX_ATTEMPTS, now=now) is None


def test_a_compressed_schedule_scales_every_wait_and_keeps_the_attempt_count() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    last = next_attempt_at(MAX_ATTEMPTS - 1, now=now, rng=random.Random(7), scale=0.0001)
    assert last is not None and last - now <= timedelta(seconds=20 * 3600 * 0.0001 * 1.2)
    assert next_attempt_at(MAX_ATTEMPTS, now=now, scale=0.0001) is None
