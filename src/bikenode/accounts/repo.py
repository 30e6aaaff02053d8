"""Queries on the accounts tables. Never commits: the service does."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.orm import Session

from bikenode.accounts.models import (
    LoginThrottle,
    MfaFactor,
    RatePlan,
    RecoveryCode,
    RefreshToken,
    User,
)


def users_by_ids(session: Session, user_ids: list[uuid.UUID]) -> list[User]:
    return list(session.scalars(select(User).where(User.id.in_(user_ids))))


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


def revoke_family(session: Session, family_id: uuid.UUID, now: datetime) -> int:
    """Revoke the session's tokens; how many were still live (0: someone ended it first)."""
    result = session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def revoke_user_sessions(
    session: Session, user_id: uuid.UUID, now: datetime, *, keep: uuid.UUID | None = None
) -> None:
    query = update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(RefreshToken.family_id != keep)
    session.execute(query.values(revoked_at=now))


# Every authenticated request runs this: built once, so each call only binds values.
_ACTIVE_SESSION_USER = select(User).where(
    User.id == bindparam("user_id"),
    exists().where(
        RefreshToken.family_id == bindparam("family_id"),
        RefreshToken.user_id == User.id,
        RefreshToken.revoked_at.is_(None),
        RefreshToken.expires_at > bindparam("now"),
        RefreshToken.session_started_at > bindparam("started_after"),
    ),
)


def get_active_session_user(
    session: Session,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    now: datetime,
    *,
    started_after: datetime,
) -> User | None:
    """The user, if their session (refresh-token family) is live: one query, as
    is_session_active and get_user together."""
    values = {"user_id": user_id, "family_id": family_id, "now": now}
    return session.scalars(_ACTIVE_SESSION_USER, {**values, "started_after": started_after}).first()


def is_session_active(
    session: Session, family_id: uuid.UUID, now: datetime, *, started_after: datetime
) -> bool:
    """True if the session (refresh-token family) has a token neither revoked nor expired,
    and the session began after `started_after` (now minus the absolute lifetime)."""
    found = session.scalars(
        select(RefreshToken.id)
        .where(
            RefreshToken.family_id == family_id,
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
            RefreshToken.session_started_at > started_after,
        )
        .limit(1)
    ).first()
    return found is not None


def list_active_sessions(
    session: Session, user_id: uuid.UUID, now: datetime, *, started_after: datetime
) -> list[RefreshToken]:
    """The current (unused) token of each of the user's live sessions, newest sign-in first."""
    return list(
        session.scalars(
            select(RefreshToken)
            .where(
                RefreshToken.user_id == user_id,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
                RefreshToken.session_started_at > started_after,
            )
            .order_by(RefreshToken.session_started_at.desc(), RefreshToken.id)
        )
    )


def user_has_session(session: Session, user_id: uuid.UUID, family_id: uuid.UUID) -> bool:
    found = session.scalars(
        select(RefreshToken.id)
        .where(RefreshToken.user_id == user_id, RefreshToken.family_id == family_id)
        .limit(1)
    ).first()
    return found is not None


def get_mfa_factor(session: Session, user_id: uuid.UUID) -> MfaFactor | None:
    return session.get(MfaFactor, user_id)


def has_confirmed_mfa(session: Session, user_id: uuid.UUID) -> bool:
    found = session.scalars(
        select(MfaFactor.user_id).where(
            MfaFactor.user_id == user_id, MfaFactor.confirmed_at.is_not(None)
        )
    ).first()
    return found is not None


def claim_totp_step(session: Session, user_id: uuid.UUID, step: int) -> bool:
    """Record `step` as used; False if it (or a later one) was used first (atomic)."""
    result = session.execute(
        update(MfaFactor)
        .where(MfaFactor.user_id == user_id, MfaFactor.last_used_step < step)
        .values(last_used_step=step)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def delete_mfa(session: Session, user_id: uuid.UUID) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.execute(delete(MfaFactor).where(MfaFactor.user_id == user_id))


def replace_recovery_codes(session: Session, user_id: uuid.UUID, code_hashes: list[str]) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, code_hash=h) for h in code_hashes)


def use_recovery_code(session: Session, user_id: uuid.UUID, code_hash: str, now: datetime) -> bool:
    """Mark an unused recovery code used; False if there is none such (atomic)."""
    result = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def count_unused_recovery_codes(session: Session, user_id: uuid.UUID) -> int:
    return len(
        session.scalars(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)
            )
        ).all()
    )


def get_throttles(session: Session, keys: list[str]) -> list[LoginThrottle]:
    return list(session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))))


def get_throttle(session: Session, key: str) -> LoginThrottle | None:
    return session.get(LoginThrottle, key)


def clear_throttles(session: Session, keys: list[str]) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def get_rate_plan(session: Session, user_id: uuid.UUID) -> RatePlan | None:
    return session.get(RatePlan, user_id)
