"""What handlers ask for: a database session, the settings, the signed-in user."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Annotated

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from bikenode import apps
from bikenode.accounts import (
    AccountsConfig,
    Principal,
    UserView,
    appealing_user_id,
    authenticate,
    authenticate_app,
)
from bikenode.config import Settings
from bikenode.errors import InsufficientScope, NotAuthenticated, NotFound

_bearer = HTTPBearer(auto_error=False, description="An access token from POST /api/v1/auth/login")


# Requests with these methods only read: their session never takes the write lock.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session per request, closed (and rolled back if uncommitted) afterwards.

    A GET, HEAD or OPTIONS request gets a read-only session: it never waits for writers, and a
    write in it fails (a GET never writes). Other methods get a session whose transactions
    take the write lock when they begin, so they must stay short: no hashing, parsing or
    network calls inside one.

    async on purpose: opening a session does no I/O, and closing one does only while a
    transaction is still open, so the thread pool is used for that alone (each hop to a
    handler thread costs as much as a small query).
    """
    read_only = request.method in READ_METHODS
    state = request.app.state
    session = (state.read_session_factory if read_only else state.session_factory)()
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.close)
        else:
            session.close()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_accounts_config(request: Request) -> AccountsConfig:
    return request.app.state.accounts  # type: ignore[no-any-return]


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
AccountsConfigDep = Annotated[AccountsConfig, Depends(get_accounts_config)]


def _resolve(request: Request, session: Session, config: AccountsConfig, token: str) -> Principal:
    """The caller of a web token (full access) or of an app / personal token, whose scopes
    must cover this route (apps.SCOPE_TABLE); 403 insufficient_scope otherwise."""
    if not apps.is_app_token(token):
        return authenticate(session, config, access_token=token)
    caller = apps.resolve_token(session, token=token)
    route = request.scope.get("route")
    path = getattr(route, "path", request.url.path)
    needed = apps.required_scope(request.method, path)
    if needed is None:
        raise InsufficientScope(f"{request.method} {path} is not open to apps", scope=None)
    held = caller.scopes | ({"rides:read"} if "rides:read_all" in caller.scopes else set())
    if needed not in held:
        raise InsufficientScope(f"this route needs the scope {needed!r}", scope=needed)
    if "rides:read_all" not in caller.scopes:
        _hide_private_ride(request, session)
    return authenticate_app(
        session, user_id=caller.user_id, grant_id=caller.grant_id, scopes=caller.scopes
    )


def _hide_private_ride(request: Request, session: Session) -> None:
    """404 for a private ride in the path, as for a stranger: an app without rides:read_all
    must not read it through any domain's route (its bike, efforts, stress), nor change it."""
    try:
        ride_id = uuid.UUID(request.path_params.get("ride_id", ""))
    except ValueError:
        return  # no ride in the path, or a malformed id the route itself refuses
    # rides' own check, handed over by create_app: the web layer depends on no domain's rows
    if request.app.state.is_private_ride(session, ride_id=ride_id):
        raise NotFound("no such ride")


def get_principal(
    request: Request,
    session: SessionDep,
    config: AccountsConfigDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from a valid bearer access token; 401 otherwise."""
    if credentials is None:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <access token>'")
    principal = _resolve(request, session, config, credentials.credentials)
    session.commit()  # end the read at once: a long request must not hold the database
    return principal


def _view(principal: Principal) -> UserView:
    """The caller's view; an app without rides:read_all is kept from their private rides."""
    if principal.scopes is not None and "rides:read_all" not in principal.scopes:
        return replace(principal.view, private_rides=False)
    return principal.view


async def get_current_user(principal: Annotated[Principal, Depends(get_principal)]) -> UserView:
    """The signed-in user as a read-only view: handlers outside accounts never get the row."""
    return _view(principal)


def get_optional_user(
    request: Request,
    session: SessionDep,
    config: AccountsConfigDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> UserView | None:
    """The caller if a bearer token is sent (it must then be valid), else None (anonymous)."""
    if credentials is None:
        return None
    user = _view(_resolve(request, session, config, credentials.credentials))
    session.commit()  # end the read at once: a long request must not hold the database
    return user


PrincipalDep = Annotated[Principal, Depends(get_principal)]
OptionalUser = Annotated[UserView | None, Depends(get_optional_user)]
CurrentUser = Annotated[UserView, Depends(get_current_user)]


def get_appealing_user_id(
    request: Request,
    session: SessionDep,
    config: AccountsConfigDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> uuid.UUID:
    """The caller of the appeal routes alone: a signed-in rider, or a suspended one with the
    appeal token their refused sign-in answered (docs/moderation.md); 401 otherwise."""
    if credentials is None:
        raise NotAuthenticated("sign in first: send 'Authorization: Bearer <access token>'")
    user_id = appealing_user_id(session, config, token=credentials.credentials)
    if user_id is None:
        user_id = _resolve(request, session, config, credentials.credentials).user.id
    session.commit()  # end the read at once, as get_principal does
    return user_id


AppealingUserId = Annotated[uuid.UUID, Depends(get_appealing_user_id)]


async def get_client_ip(request: Request) -> str | None:
    """The client's address (behind a proxy, uvicorn's --forwarded-allow-ips sets it)."""
    return request.client.host if request.client else None


ClientIP = Annotated[str | None, Depends(get_client_ip)]
