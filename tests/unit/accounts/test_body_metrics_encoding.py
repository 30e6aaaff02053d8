"""The plaintext of sealed weight and resting heart rate: exact, and always the same size."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.accounts.body_metrics import (
    BodyMetrics,
    body_metrics_context,
    decode_body_metrics,
    encode_body_metrics,
)
from bikenode.encryption import DecryptionFailed, KeyRing

weights = st.none() | st.integers(200, 3000).map(lambda tenths: tenths / 10)
resting_rates = st.none() | st.integers(25, 120)


@given(weights, resting_rates)
def test_encoding_round_trips_every_valid_value(weight: float | None, rate: int | None) -> None:
    metrics = BodyMetrics(weight, rate)
    assert decode_body_metrics(encode_body_metrics(metrics)) == metrics


@given(weights, resting_rates)
def test_every_sealed_value_has_the_same_length(weight: float | None, rate: int | None) -> None:
    # A ciphertext as long as its plaintext must not tell a 3-digit weight from a 2-digit one.
    ring = KeyRing([("k1", os.urandom(32))])
    context = body_metrics_context(uuid.UUID(int=1))
    sealed = ring.encrypt(encode_body_metrics(BodyMetrics(weight, rate)), context=context)
    reference = ring.encrypt(encode_body_metrics(BodyMetrics(None, None)), context=context)
    assert len(sealed) == len(reference)


@pytest.mark.parametrize(
    "plaintext", [b"", b"\x01\x00", b"\x02\x02\xdc\x2f", b"\x01\x00\x00\x00\x00"]
)
def test_malformed_plaintext_is_refused(plaintext: bytes) -> None:
    with pytest.raises(DecryptionFailed, match="expected 4 bytes of body metrics"):
        decode_body_metrics(plaintext)


def test_the_context_names_the_field_and_the_user() -> None:
    user_id = uuid.uuid4()
    context = body_metrics_context(user_id)
    assert context.startswith(b"accounts_users.body_metrics:") and context.endswith(user_id.bytes)
    assert context != body_metrics_context(uuid.uuid4())
