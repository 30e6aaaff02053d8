"""A rider's apps, grants and personal tokens for GDPR requests: no secrets, or erased."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.apps.models import App, AppGrant, AppToken, AuthorizationCode, PersonalToken
from bikenode.export_json import fields_of, json_bytes

APP_FIELDS = ("id", "name", "client_id", "redirect_uris", "confidential", "created_at")
GRANT_FIELDS = ("id", "app_id", "scope", "created_at", "revoked_at")
TOKEN_FIELDS = ("id", "name", "scope", "created_at", "expires_at")


def export_user_apps(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): apps/apps.json with the rider's apps, grants and personal tokens;
    never a client secret, code or token (only their hashes are kept anyway)."""
    apps = session.scalars(select(App).where(App.owner_id == user_id).order_by(App.created_at))
    grants = session.scalars(select(AppGrant).where(AppGrant.user_id == user_id))
    tokens = session.scalars(select(PersonalToken).where(PersonalToken.user_id == user_id))
    document = {
        "apps": [fields_of(row, APP_FIELDS) for row in apps],
        "grants": [fields_of(row, GRANT_FIELDS) for row in grants],
        "personal_tokens": [fields_of(row, TOKEN_FIELDS) for row in tokens],
    }
    yield "apps/apps.json", json_bytes(document)
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_apps(session: Session, user_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's apps (with every grant given to them), their own grants and
    personal tokens; flushes only. Returns counts."""
    own_apps = select(App.id).where(App.owner_id == user_id)
    app_count = len(session.scalars(own_apps).all())
    grants = select(AppGrant.id).where(
        (AppGrant.user_id == user_id) | AppGrant.app_id.in_(own_apps)
    )
    grant_count = len(session.scalars(grants).all())
    session.execute(delete(AppToken).where(AppToken.grant_id.in_(grants)))
    session.execute(delete(AuthorizationCode).where(AuthorizationCode.grant_id.in_(grants)))
    session.execute(delete(AppGrant).where(AppGrant.id.in_(grants)))
    session.execute(delete(App).where(App.owner_id == user_id))
    personal = session.execute(delete(PersonalToken).where(PersonalToken.user_id == user_id))
    session.flush()
    return {
        "apps": float(app_count),
        "app_grants": float(grant_count),
        "personal_tokens": float(personal.rowcount or 0),  # type: ignore[attr-defined]
    }
