"""Queries on the accounts tables. Never commits: the service does."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bikenode.accounts.models import RefreshToken, User


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).one_or_none()


def get_refresh_token(session: Session, token_hash: str) -> RefreshToken | None:
    return session.scalars(
        select(RefreshToken).where(RefreshToken.token_hash == token_hash)
    ).one_or_none()


def mark_refresh_token_used(session: Session, token_id: uuid.UUID, now: datetime) -> bool:
    """Mark an unused token used; False if another request used it first (atomic)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_user_sessions(
    session: Session, user_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
) -> None:
    query = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(RefreshToken.family_id != keep)
    session.execute(query.values(revoked_at=now))


def is_session_active(session: Session, family_id: uuid.UUID, now: datetime) -> bool:
    """True if the session (refresh-token family) has a token neither revoked nor expired."""
    found = session.scalars(
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .limit(1)
    ).first()
    return found is not None
