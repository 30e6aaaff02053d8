"""A rider's profile and role: the account fields other than credentials and sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from bikenode.accounts import body_metrics, logic, repo
from bikenode.accounts.models import User
from bikenode.accounts.service import checked_by_policy
from bikenode.accounts.sync_records import record_settings_saved
from bikenode.accounts.user_view import UserView
from bikenode.audit import record_event
from bikenode.errors import InvalidInput, NotFound, PermissionDenied

NOT_NULL_FIELDS = (
    "display_name",
    "units",
    "timezone",
    "share_health_by_default",
    "share_board_classes",
)


def update_profile(session: Session, *, user: User, changes: dict[str, Any]) -> User:
    """Apply profile and preference changes (only the fields given).

    Weight and resting heart rate are sealed (body_metrics.py), never set as plain columns.
    """
    if "timezone" in changes and changes["timezone"] is not None:
        checked_by_policy(logic.check_timezone, changes["timezone"])
    plain = {k: v for k, v in changes.items() if k not in body_metrics.BODY_METRIC_FIELDS}
    for field, value in plain.items():
        if value is None and field in NOT_NULL_FIELDS:
            raise InvalidInput(f"{field} cannot be null")
        setattr(user, field, value)
    sealed = {k: v for k, v in changes.items() if k in body_metrics.BODY_METRIC_FIELDS}
    if sealed:
        body_metrics.update_body_metrics(user, sealed)
    record_settings_saved(session, user)  # devices pull the change
    session.commit()
    return user


def set_role(session: Session, *, actor: UserView, user_id: uuid.UUID, role: str) -> User:
    """Change a user's role; only an admin with MFA on may."""
    if not actor.is_admin:
        raise PermissionDenied("only an admin can change roles")
    if not repo.has_confirmed_mfa(session, actor.id):
        raise PermissionDenied(
            "admins must turn on two-factor sign-in first: POST /api/v1/me/mfa/totp"
        )
    if role not in logic.ROLES:
        raise InvalidInput(f"expected one of {', '.join(logic.ROLES)}, got {role!r}")
    target = repo.get_user(session, user_id)
    if target is None:
        raise NotFound("no such user")
    previous, target.role = target.role, role
    record_event(
        session,
        event_type="accounts.role_changed",
        actor_id=actor.id,
        subject_id=target.id,
        details={"from": previous, "to": role},
    )
    session.commit()
    return target
