"""Password-reset tokens and links as pure functions."""

from __future__ import annotations

import base64
import hashlib

from bikenode.accounts import logic


def test_reset_tokens_carry_256_random_bits_and_are_stored_as_sha256() -> None:
    tokens = {logic.new_reset_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert len(base64.urlsafe_b64decode(token + "=")) == 32
        assert logic.hash_reset_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert logic.hash_reset_token(" abc\n") == logic.hash_reset_token("abc")  # pasted loosely


def test_the_link_keeps_the_token_in_the_fragment() -> None:
    link = logic.reset_link("https://bikes.example.org/", "tok_en-1")
    assert link == "https://bikes.example.org/reset-password#token=tok_en-1"
    assert logic.PASSWORD_RESET_TTL.total_seconds() == 30 * 60
