"""accounts.verified_user_ids_by_email: which addresses are proven accounts in good standing
(what crash alerts use to find contacts who ride here)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from bikenode.accounts import verified_user_ids_by_email
from bikenode.accounts.models import User
from bikenode.accounts.service import MAX_VERIFIED_LOOKUP
from bikenode.db.base import utcnow
from bikenode.errors import InvalidInput


def _user(session: Session, email: str, **fields: object) -> User:
    user = User(email=email, password_hash="x", display_name=email.split("@")[0], **fields)
    session.add(user)
    session.flush()
    return user


def test_only_verified_accounts_in_good_standing_are_found(session: Session) -> None:
    now = utcnow()
    proven = _user(session, "proven@example.org", email_verified_at=now)
    _user(session, "unproven@example.org")
    _user(session, "banned@example.org", email_verified_at=now, suspended_at=now)
    back = _user(
        session,
        "back@example.org",
        email_verified_at=now,
        suspended_at=now - timedelta(days=3),
        suspended_until=now - timedelta(days=1),
    )
    asked = [
        "Proven@Example.org",
        "unproven@example.org",
        "banned@example.org",
        "back@example.org",
        "not an address",
        "nobody@example.org",
    ]
    found = verified_user_ids_by_email(session, asked)
    assert found == {"Proven@Example.org": proven.id, "back@example.org": back.id}


def test_a_lookup_is_bounded(session: Session) -> None:
    many = [f"r{n}@example.org" for n in range(MAX_VERIFIED_LOOKUP + 1)]
    with pytest.raises(InvalidInput, match=f"at most {MAX_VERIFIED_LOOKUP} addresses"):
        verified_user_ids_by_email(session, many)
    assert verified_user_ids_by_email(session, []) == {}
