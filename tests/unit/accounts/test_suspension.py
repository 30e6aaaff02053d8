"""When a suspension refuses sign-in: set and not yet ended (or for good), naming its end."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from bikenode.accounts.logic import (
    TokenError,
    TokenSettings,
    issue_appeal_token,
    issue_mfa_token,
    suspension_refusal,
    verify_access_token,
    verify_appeal_token,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_no_suspension_refuses_nothing() -> None:
    assert suspension_refusal(None, None, NOW) is None


def test_a_timed_suspension_names_its_end_and_ends_by_itself() -> None:
    start, end = NOW - timedelta(days=1), NOW + timedelta(days=6)
    assert suspension_refusal(start, end, NOW) == (
        "this account is suspended by a moderator until 2026-12-13T12:00:00+00:00"
    )
    assert suspension_refusal(start, end, end) is None  # the end itself is free again
    assert suspension_refusal(start, end, end + timedelta(seconds=1)) is None


def test_a_suspension_for_good_never_ends_by_itself() -> None:
    refusal = suspension_refusal(NOW, None, NOW + timedelta(days=36500))
    assert refusal == "this account is suspended by a moderator for good"


def test_an_appeal_token_lasts_an_hour_and_is_no_access_token() -> None:
    settings = TokenSettings(secret="s" * 32, issuer="i", audience="a", ttl=timedelta(minutes=5))
    user_id = uuid.uuid4()
    token = issue_appeal_token(settings, user_id=user_id, now=NOW)
    assert verify_appeal_token(settings, token, now=NOW + timedelta(minutes=59)) == user_id
    with pytest.raises(TokenError, match="expired"):
        verify_appeal_token(settings, token, now=NOW + timedelta(hours=1))
    with pytest.raises(TokenError, match="access token is not valid"):
        verify_access_token(settings, token, now=NOW)
    mfa = issue_mfa_token(settings, user_id=user_id, now=NOW)
    with pytest.raises(TokenError, match="another kind"):
        verify_appeal_token(settings, mfa, now=NOW)
