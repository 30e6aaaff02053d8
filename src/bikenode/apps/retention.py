"""What the retention policy may delete of third-party access: dead codes and tokens.

A used code and a rotated refresh token are kept for a while on purpose: their second use
is how a stolen copy is spotted (the whole grant then ends). After `days` they only take room.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from bikenode.apps.models import AppGrant, AppToken, AuthorizationCode, PersonalToken


def expired_credentials(
    session: Session, *, now: datetime, days: int, dry_run: bool
) -> tuple[int, int]:
    """(rows, 0) of codes, app tokens, personal tokens and revoked grants dead for `days`:
    expired or revoked that long ago. Live ones are never touched; sizes are not measured."""
    cutoff = now - timedelta(days=days)
    dead_grants = select(AppGrant.id).where(AppGrant.revoked_at < cutoff)
    wheres: list[tuple[type, ColumnElement[bool]]] = [
        (
            AuthorizationCode,
            or_(AuthorizationCode.expires_at < cutoff, AuthorizationCode.grant_id.in_(dead_grants)),
        ),
        (
            AppToken,
            or_(
                AppToken.revoked_at < cutoff,
                AppToken.grant_id.in_(dead_grants),
                # Rotated: its access token long expired, its refresh token already replaced.
                (AppToken.rotated_at < cutoff) & (AppToken.access_expires_at < cutoff),
            ),
        ),
        (PersonalToken, PersonalToken.expires_at < cutoff),
        (AppGrant, AppGrant.revoked_at < cutoff),  # last: the others select by it
    ]
    rows = 0
    for table, where in wheres:
        rows += session.scalar(select(func.count()).select_from(table).where(where)) or 0
        if not dry_run:
            session.execute(delete(table).where(where))
    return rows, 0
