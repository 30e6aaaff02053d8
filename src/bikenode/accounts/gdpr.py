"""A user's account data for GDPR requests: export it all, or erase it for good."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bikenode.accounts.body_metrics import read_body_metrics
from bikenode.accounts.models import LoginThrottle, MfaFactor, RatePlan, RefreshToken, User
from bikenode.accounts.service import AccountsConfig
from bikenode.errors import NotAuthenticated, NotFound

# What an export says of the account: never a password hash, a token hash or an MFA secret
# (they are credentials, not information about the person, and would only help an attacker).
PROFILE_FIELDS = (
    "id",
    "email",
    "email_verified_at",
    "display_name",
    "role",
    "units",
    "timezone",
    "ftp_w",
    "max_hr_bpm",
    "share_health_by_default",
    "birth_year",
    "share_board_classes",
    "created_at",
    "updated_at",
)


def export_user_profile(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """The account's profile, sessions and security settings as JSON-ready values."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    profile = {field: _json(getattr(user, field)) for field in PROFILE_FIELDS}
    # Weight and resting heart rate, decrypted: this is the user's own copy. (The admin read
    # keeps only ADMIN_READ_PROFILE of it; its schema has no place for them either.)
    profile.update(asdict(read_body_metrics(user)))
    tokens = session.scalars(select(RefreshToken).where(RefreshToken.user_id == user_id)).all()
    profile["sessions"] = [
        {
            "session_id": str(token.family_id),
            "issued_at": _json(token.issued_at),
            "expires_at": _json(token.expires_at),
            "used_at": _json(token.used_at),
            "revoked_at": _json(token.revoked_at),
        }
        for token in tokens
    ]
    factor = session.get(MfaFactor, user_id)
    profile["mfa_enabled"] = factor is not None and factor.confirmed_at is not None
    plan = session.get(RatePlan, user_id)
    profile["rate_plan"] = plan.tier if plan else None
    return profile


def erase_user(session: Session, user_id: uuid.UUID) -> str:
    """Delete the account and everything keyed by it; flushes, the caller commits.

    Returns the e-mail address that was erased (for the caller's messages only).
    """
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    email = user.email
    # Sign-in throttles are keyed by e-mail address, not by user id.
    session.execute(
        delete(LoginThrottle).where(
            or_(
                LoginThrottle.key == f"account:{email}",
                LoginThrottle.key.startswith(f"account-ip:{email}|", autoescape=True),
            )
        )
    )
    # Sessions, MFA factors, recovery codes and rate plans go with the user: ON DELETE
    # CASCADE, enforced on SQLite too (foreign_keys=ON on every connection). The sealed
    # weight and resting heart rate are columns of the user row itself.
    session.delete(user)
    session.flush()
    return email


def confirm_password(
    session: Session, config: AccountsConfig, *, user_id: uuid.UUID, password: str
) -> None:
    """Check the user's password again before an irreversible step; NotAuthenticated if wrong."""
    user = session.get(User, user_id)
    session.commit()  # end the read: hashing must not hold the database's write lock
    if user is None or not config.hashing.verify(user.password_hash, password):
        raise NotAuthenticated("the password is not correct")


def _json(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    return value.isoformat() if isinstance(value, datetime) else value
