from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.accounts import logic

TOKENS = logic.TokenSettings(
    secret="unit-test-secret-0123456789-0123456789-0123456789",
    issuer="bikenode",
    audience="bikenode-api",
    ttl=timedelta(minutes=15),
)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("length", [15, 16, 64, 200, 256])
def test_password_policy_accepts_lengths_from_15_to_256(length: int) -> None:
    logic.check_password_policy("x" * length)


@pytest.mark.parametrize("length", [0, 1, 14])
def test_password_policy_rejects_under_15_characters(length: int) -> None:
    with pytest.raises(logic.PolicyError, match="at least 15"):
        logic.check_password_policy("x" * length)


def test_password_policy_allows_8_with_mfa() -> None:
    logic.check_password_policy("eight ch", has_mfa=True)
    with pytest.raises(logic.PolicyError):
        logic.check_password_policy("seven c", has_mfa=True)


def test_password_policy_counts_characters_not_bytes() -> None:
    logic.check_password_policy("ééééééééééééééé")  # 15 characters, 30 bytes in UTF-8


def test_password_policy_rejects_over_256() -> None:
    with pytest.raises(logic.PolicyError, match="at most 256"):
        logic.check_password_policy("x" * 257)


def test_normalise_password_makes_equivalent_unicode_equal() -> None:
    composed, decomposed = "caf\u00e9 au lait!!!!!", "cafe\u0301 au lait!!!!!"
    assert composed != decomposed
    assert logic.normalise_password(composed) == logic.normalise_password(decomposed)


def test_normalise_email_lowercases_and_validates() -> None:
    assert logic.normalise_email("  Ada.Lovelace@Example.ORG ") == "ada.lovelace@example.org"
    for bad in ("", "no-at-sign", "a@", "@example.org", "a b@example.org"):
        with pytest.raises(logic.PolicyError):
            logic.normalise_email(bad)


def test_refresh_tokens_are_random_and_stored_hashed() -> None:
    first, second = logic.new_refresh_token(), logic.new_refresh_token()
    assert first != second and len(first) >= 43
    assert logic.hash_refresh_token(first) != first
    assert logic.hash_refresh_token(first) == logic.hash_refresh_token(first)


def test_access_token_round_trip() -> None:
    user_id, session_id = uuid.uuid4(), uuid.uuid4()
    token = logic.issue_access_token(TOKENS, user_id=user_id, session_id=session_id, now=NOW)
    claims = logic.verify_access_token(TOKENS, token, now=NOW)
    assert (claims.user_id, claims.session_id) == (user_id, session_id)
    assert claims.expires_at == NOW + timedelta(minutes=15)


def test_access_token_rejected_by_another_audience() -> None:
    token = logic.issue_access_token(TOKENS, user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=NOW)
    other = logic.TokenSettings(TOKENS.secret, TOKENS.issuer, "other-api", TOKENS.ttl)
    with pytest.raises(logic.TokenError):
        logic.verify_access_token(other, token, now=NOW)


@given(st.text(max_size=300))
def test_verify_access_token_raises_only_token_error_on_junk(junk: str) -> None:
    with pytest.raises(logic.TokenError):
        logic.verify_access_token(TOKENS, junk, now=NOW)


def test_check_timezone() -> None:
    assert logic.check_timezone("America/New_York") == "America/New_York"
    with pytest.raises(logic.PolicyError):
        logic.check_timezone("Nowhere/Land")


def test_access_token_expires_after_its_ttl() -> None:
    token = logic.issue_access_token(TOKENS, user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=NOW)
    logic.verify_access_token(TOKENS, token, now=NOW + timedelta(minutes=14))
    with pytest.raises(logic.TokenError, match="expired"):
        logic.verify_access_token(TOKENS, token, now=NOW + timedelta(minutes=15))


def test_access_token_issued_in_the_future_is_refused() -> None:
    token = logic.issue_access_token(TOKENS, user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=NOW)
    with pytest.raises(logic.TokenError, match="future"):
        logic.verify_access_token(TOKENS, token, now=NOW - timedelta(minutes=5))
