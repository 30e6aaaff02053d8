"""Use cases of third-party access: registering apps, riders' grants, personal tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.apps import logic
from bikenode.apps.models import App, AppGrant, AppToken, AuthorizationCode, PersonalToken
from bikenode.apps.oauth import audit_grant, revoke_grant_tokens
from bikenode.audit import record_event
from bikenode.db.base import utcnow
from bikenode.errors import InvalidInput, NotAuthenticated, NotFound

MAX_APPS_PER_RIDER = 20
MAX_PERSONAL_TOKENS = 20


@dataclass(frozen=True)
class AppCaller:
    """Who an app or personal token acts for, and what it may do."""

    user_id: uuid.UUID
    scopes: frozenset[str]
    grant_id: uuid.UUID  # the grant, or the personal token's id


@dataclass(frozen=True)
class NewApp:
    app: App
    client_secret: str | None  # shown once; only its hash is kept


def register_app(
    session: Session,
    *,
    owner_id: uuid.UUID,
    name: str,
    redirect_uris: list[str],
    confidential: bool,
) -> NewApp:
    """A new app of the rider's, with its client secret if confidential (shown once)."""
    count = len(session.scalars(select(App.id).where(App.owner_id == owner_id)).all())
    if count >= MAX_APPS_PER_RIDER:
        raise InvalidInput(f"a rider registers at most {MAX_APPS_PER_RIDER} apps")
    uris = _checked_uris(redirect_uris)
    secret = logic.new_secret(logic.CLIENT_SECRET_PREFIX) if confidential else None
    app = App(
        owner_id=owner_id,
        name=name,
        client_id=logic.new_secret(logic.CLIENT_PREFIX)[:40],
        client_secret_hash=None if secret is None else logic.digest(secret),
        redirect_uris=uris,
    )
    session.add(app)
    session.commit()
    return NewApp(app=app, client_secret=secret)


def _checked_uris(redirect_uris: list[str]) -> list[str]:
    if not 1 <= len(redirect_uris) <= logic.MAX_REDIRECT_URIS:
        raise InvalidInput(f"expected 1 to {logic.MAX_REDIRECT_URIS} redirect URIs")
    return [logic.check_redirect_uri(uri) for uri in redirect_uris]


def list_apps(session: Session, *, owner_id: uuid.UUID) -> list[App]:
    """The apps a rider registered, oldest first."""
    query = select(App).where(App.owner_id == owner_id).order_by(App.created_at, App.id)
    return list(session.scalars(query))


def get_app(session: Session, *, owner_id: uuid.UUID, app_id: uuid.UUID) -> App:
    """One of the rider's apps; NotFound for another's (no existence oracle)."""
    app = session.get(App, app_id)
    if app is None or app.owner_id != owner_id:
        raise NotFound("no such app")
    return app


def update_app(
    session: Session, *, app: App, name: str | None, redirect_uris: list[str] | None
) -> App:
    """The app renamed or with new redirect URIs."""
    if name is not None:
        app.name = name
    if redirect_uris is not None:
        app.redirect_uris = _checked_uris(redirect_uris)
    session.commit()
    return app


def delete_app(session: Session, *, app: App) -> None:
    """Remove an app with every grant, code and token riders gave it."""
    grant_ids = select(AppGrant.id).where(AppGrant.app_id == app.id)
    riders = session.scalars(select(AppGrant.user_id).where(AppGrant.app_id == app.id)).all()
    details = {"app_id": str(app.id), "riders": len(set(riders))}
    record_event(session, event_type="apps.app_deleted", actor_id=app.owner_id, details=details)
    session.execute(delete(AppToken).where(AppToken.grant_id.in_(grant_ids)))
    session.execute(delete(AuthorizationCode).where(AuthorizationCode.app_id == app.id))
    session.execute(delete(AppGrant).where(AppGrant.app_id == app.id))
    session.delete(app)
    session.commit()


def find_app_by_client_id(session: Session, *, client_id: str) -> App | None:
    """The app with this client id, if any (for the consent page)."""
    return session.scalar(select(App).where(App.client_id == client_id))


def list_grants(session: Session, *, user_id: uuid.UUID) -> list[tuple[AppGrant, App]]:
    """The rider's live grants with their apps, newest first."""
    query = (
        select(AppGrant, App)
        .join(App, App.id == AppGrant.app_id)
        .where(AppGrant.user_id == user_id, AppGrant.revoked_at.is_(None))
        .order_by(AppGrant.created_at.desc())
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def get_grant(session: Session, *, user_id: uuid.UUID, grant_id: uuid.UUID) -> AppGrant:
    """One of the rider's grants; NotFound for another's."""
    grant = session.get(AppGrant, grant_id)
    if grant is None or grant.user_id != user_id:
        raise NotFound("no such app authorization")
    return grant


def revoke_grant(session: Session, *, grant: AppGrant) -> None:
    """End a grant the rider gave: its tokens stop working at once."""
    now = utcnow()
    if grant.revoked_at is None:
        grant.revoked_at = now
        audit_grant(session, "apps.grant_revoked", grant)
    revoke_grant_tokens(session, grant.id, now)
    session.commit()


def resolve_token(session: Session, *, token: str) -> AppCaller:
    """Who an app access token or personal token acts for; NotAuthenticated if it is dead."""
    digest, now = logic.digest(token), utcnow()
    if token.startswith(logic.PERSONAL_PREFIX):
        personal = session.scalar(select(PersonalToken).where(PersonalToken.token_hash == digest))
        if personal is None or (personal.expires_at is not None and personal.expires_at <= now):
            raise NotAuthenticated("the personal token is unknown, expired or revoked")
        return AppCaller(personal.user_id, frozenset(personal.scope.split()), personal.id)
    row = session.scalar(select(AppToken).where(AppToken.access_hash == digest))
    grant = None if row is None else session.get(AppGrant, row.grant_id)
    if row is None or grant is None or row.revoked_at or grant.revoked_at:
        raise NotAuthenticated("the access token is unknown or revoked")
    if row.access_expires_at <= now:
        raise NotAuthenticated("the access token has expired; refresh it")
    return AppCaller(grant.user_id, frozenset(row.scope.split()), grant.id)


@dataclass(frozen=True)
class NewPersonalToken:
    row: PersonalToken
    token: str  # shown once


def create_personal_token(
    session: Session,
    *,
    user_id: uuid.UUID,
    name: str,
    scope: list[str],
    expires_at: datetime | None,
) -> NewPersonalToken:
    """A new scoped token for the rider's scripts (shown once, kept hashed)."""
    scopes = logic.parse_scope(" ".join(scope))
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput("expected an expiry in the future")
    count = len(
        session.scalars(select(PersonalToken.id).where(PersonalToken.user_id == user_id)).all()
    )
    if count >= MAX_PERSONAL_TOKENS:
        raise InvalidInput(f"a rider keeps at most {MAX_PERSONAL_TOKENS} personal tokens")
    token = logic.new_secret(logic.PERSONAL_PREFIX)
    row = PersonalToken(
        user_id=user_id,
        name=name,
        token_hash=logic.digest(token),
        scope=" ".join(scopes),
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    _audit_personal(session, "apps.personal_token_created", row)
    session.commit()
    return NewPersonalToken(row=row, token=token)


def _audit_personal(session: Session, event_type: str, row: PersonalToken) -> None:
    details = {"token_id": str(row.id), "scope": row.scope}  # never the token itself
    record_event(
        session,
        event_type=event_type,
        actor_id=row.user_id,
        subject_id=row.user_id,
        details=details,
    )


def list_personal_tokens(session: Session, *, user_id: uuid.UUID) -> list[PersonalToken]:
    """The rider's personal tokens (never the token itself), newest first."""
    query = select(PersonalToken).where(PersonalToken.user_id == user_id)
    return list(session.scalars(query.order_by(PersonalToken.created_at.desc())))


def get_personal_token(
    session: Session, *, user_id: uuid.UUID, token_id: uuid.UUID
) -> PersonalToken:
    """One of the rider's personal tokens; NotFound for another's."""
    row = session.get(PersonalToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound("no such personal token")
    return row


def delete_personal_token(session: Session, *, token: PersonalToken) -> None:
    """Revoke one of the rider's personal tokens."""
    _audit_personal(session, "apps.personal_token_revoked", token)
    session.delete(token)
    session.commit()


def granted_scopes(session: Session, *, app_id: uuid.UUID, user_id: uuid.UUID) -> frozenset[str]:
    """The scopes the rider's live grants give the app (empty once they are all revoked)."""
    scopes = session.scalars(
        select(AppGrant.scope).where(
            AppGrant.app_id == app_id,
            AppGrant.user_id == user_id,
            AppGrant.revoked_at.is_(None),
        )
    )
    return frozenset(name for scope in scopes for name in scope.split())


def owns_app(session: Session, *, owner_id: uuid.UUID, app_id: uuid.UUID) -> bool:
    """True when the rider registered this app (its developer)."""
    app = session.get(App, app_id)
    return app is not None and app.owner_id == owner_id


def rider_grants(session: Session, *, user_id: uuid.UUID) -> dict[uuid.UUID, frozenset[str]]:
    """The scopes of the rider's live grants, by app: one query for every app at once."""
    found: dict[uuid.UUID, set[str]] = {}
    rows = session.execute(
        select(AppGrant.app_id, AppGrant.scope).where(
            AppGrant.user_id == user_id, AppGrant.revoked_at.is_(None)
        )
    )
    for app_id, scope in rows:
        found.setdefault(app_id, set()).update(scope.split())
    return {app_id: frozenset(scopes) for app_id, scopes in found.items()}


def app_owners(session: Session, *, app_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """The developer of each of these apps that still exists."""
    if not app_ids:
        return {}
    rows = session.execute(select(App.id, App.owner_id).where(App.id.in_(app_ids)))
    return {app_id: owner_id for app_id, owner_id in rows}
