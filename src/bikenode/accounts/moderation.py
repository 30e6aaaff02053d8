"""Moderation's hold on accounts: who moderates, and suspensions a moderator sets (social).

The moderator flag sits beside the role (a mechanic may moderate too); admins always moderate.
A suspension is two columns on the user: no sign-in and no live session until it ends.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.orm import Session

from bikenode.accounts import logic, repo
from bikenode.accounts.user_view import UserView
from bikenode.audit import record_event
from bikenode.db.base import utcnow
from bikenode.errors import NotFound, PermissionDenied

MFA_FIRST = (
    "moderators must turn on two-factor sign-in first: POST /api/v1/me/mfa/totp, then "
    "confirm a code at POST /api/v1/me/mfa/totp/confirm"
)


def require_moderator(session: Session, *, user: UserView) -> None:
    """PermissionDenied unless the user is an admin or a moderator, with MFA on."""
    if not user.is_moderator:
        raise PermissionDenied("only a moderator can do this")
    if not repo.has_confirmed_mfa(session, user.id):
        raise PermissionDenied(MFA_FIRST)


def set_moderator(session: Session, *, actor: UserView, user_id: uuid.UUID, granted: bool) -> None:
    """Grant or revoke moderation (an admin with MFA on only), audited; NotFound for no user."""
    if not actor.is_admin:
        raise PermissionDenied("only an admin can grant or revoke moderation")
    if not repo.has_confirmed_mfa(session, actor.id):
        raise PermissionDenied(MFA_FIRST.replace("moderators", "admins"))
    target = repo.get_user(session, user_id)
    if target is None:
        raise NotFound("no such user")
    if target.moderator != granted:
        target.moderator = granted
        record_event(
            session,
            event_type="accounts.moderator_granted" if granted else "accounts.moderator_revoked",
            actor_id=actor.id,
            subject_id=target.id,
        )
    session.commit()


def suspend_account(session: Session, *, user_id: uuid.UUID, until: datetime | None) -> None:
    """Suspend the account until `until` (None: for good) and end its sessions at once;
    the caller (social's moderation) audits and commits. NotFound for no such user,
    PermissionDenied for an admin."""
    target = repo.get_user(session, user_id)
    if target is None:
        raise NotFound("no such user")
    if target.role == "admin":  # or a moderator could lock out those who oversee them
        raise PermissionDenied("an admin cannot be suspended; another admin changes the role first")
    now = utcnow()
    target.suspended_at, target.suspended_until = now, until
    repo.revoke_user_sessions(session, user_id, now)


def lift_account_suspension(session: Session, *, user_id: uuid.UUID) -> None:
    """End the account's suspension (the rider signs in again); the caller commits. A missing
    user (erased since) is no error: there is nothing left to lift."""
    target = repo.get_user(session, user_id)
    if target is not None:
        target.suspended_at = target.suspended_until = None


def suspension_refusal_of(session: Session, user_id: uuid.UUID) -> str | None:
    """Why the account may not sign in now, or None (for a missing user too)."""
    target = repo.get_user(session, user_id)
    if target is None:
        return None
    return logic.suspension_refusal(target.suspended_at, target.suspended_until, utcnow())
