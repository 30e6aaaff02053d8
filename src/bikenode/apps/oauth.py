"""Authlib's OAuth2 core bound to our tables: one AuthorizationServer per request.

Authlib runs the protocol (parameter checks, PKCE, client authentication, error answers);
this module only tells it where clients, codes and tokens live.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    ClientMixin,
    InvalidRequestError,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bikenode.apps import logic
from bikenode.apps.models import App, AppGrant, AppToken, AuthorizationCode
from bikenode.audit import record_event
from bikenode.db.base import utcnow

CODE_TTL = timedelta(minutes=10)
ACCESS_TTL = timedelta(hours=1)


@dataclass
class HttpCall:
    """What Authlib needs of an HTTP request, taken from Starlette's before the handler."""

    method: str
    uri: str
    headers: Mapping[str, str]
    params: dict[str, str] = field(default_factory=dict)  # query and form, form winning


class Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, call: HttpCall) -> None:
        super().__init__(call.method, call.uri, headers=call.headers)
        self.payload = BasicOAuth2Payload(call.params)
        self._params = call.params

    @property
    def args(self) -> dict[str, str]:
        return self._params

    @property
    def form(self) -> dict[str, str]:
        return self._params


class Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, app: App) -> None:
        self.app = app

    def get_client_id(self) -> str:
        return self.app.client_id

    def get_default_redirect_uri(self) -> str | None:
        # Exact match only: with several registered URIs the app must name one.
        return self.app.redirect_uris[0] if len(self.app.redirect_uris) == 1 else None

    def get_allowed_scope(self, scope: str | None) -> str:
        return " ".join(name for name in logic.SCOPES if name in set((scope or "").split()))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.app.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        stored = self.app.client_secret_hash
        return stored is not None and hmac.compare_digest(stored, logic.digest(client_secret))

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.app.client_secret_hash is None:
            return method == "none"
        return method in {"client_secret_basic", "client_secret_post"}

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in {"authorization_code", "refresh_token"}


class Code(AuthorizationCodeMixin):  # type: ignore[misc]
    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, row: AppToken, grant: AppGrant, app: App) -> None:
        self.row, self.grant, self.app = row, grant, app

    def check_client(self, client: Client) -> bool:
        return client.app.id == self.app.id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int((self.row.access_expires_at - self.row.issued_at).total_seconds())

    def is_expired(self) -> bool:
        return self.row.access_expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.grant.revoked_at is not None

    def get_user(self) -> uuid.UUID:
        return self.grant.user_id

    def get_client(self) -> Client:
        return Client(self.app)


class RequiredS256(CodeChallenge):  # type: ignore[misc]
    """PKCE for every app, S256 only: a plain challenge is the verifier in clear."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("expected a PKCE 'code_challenge' (S256)")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("expected code_challenge_method=S256 (plain is refused)")
        super().validate_code_challenge(grant, redirect_uri)


@dataclass(frozen=True)
class RiderRef:
    """The rider a grant belongs to, as Authlib's `user`."""

    id: uuid.UUID


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: Request) -> None:
        session: Session = self.server.session
        app = request.client.app
        grant = AppGrant(app_id=app.id, user_id=request.user.id, scope=request.scope)
        session.add(grant)
        session.flush()
        audit_grant(session, "apps.grant_given", grant)
        session.add(
            AuthorizationCode(
                code_hash=logic.digest(code),
                grant_id=grant.id,
                app_id=app.id,
                redirect_uri=request.payload.redirect_uri or app.redirect_uris[0],
                scope=request.scope,
                code_challenge=request.payload.data["code_challenge"],
                code_challenge_method=request.payload.data.get("code_challenge_method", "plain"),
                expires_at=utcnow() + CODE_TTL,
            )
        )

    def query_authorization_code(self, code: str, client: Client) -> Code | None:
        session: Session = self.server.session
        row = session.get(AuthorizationCode, logic.digest(code))
        if row is None or row.app_id != client.app.id:
            return None
        if row.used_at is not None:
            # RFC 6749 4.1.2: a code used twice was intercepted; the tokens it gave go too.
            grant = session.get(AppGrant, row.grant_id)
            if grant is not None and grant.revoked_at is None:
                grant.revoked_at = utcnow()
                revoke_grant_tokens(session, grant.id, grant.revoked_at)
                audit_grant(session, "apps.code_reused", grant)
                session.commit()
            return None
        return None if row.expires_at <= utcnow() else Code(row)

    def delete_authorization_code(self, authorization_code: Code) -> None:
        authorization_code.row.used_at = utcnow()  # single use; kept to spot a replay

    def authenticate_user(self, authorization_code: Code) -> RiderRef | None:
        grant = self.server.session.get(AppGrant, authorization_code.row.grant_id)
        if grant is None or grant.revoked_at is not None:
            return None
        self.server.grant_id = grant.id
        return RiderRef(grant.user_id)


class RefreshGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh hands out a new refresh token

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        server: Server = self.server
        found = server.find_token(refresh_hash=logic.digest(refresh_token))
        if found is None or found.grant.revoked_at is not None or found.is_revoked():
            return None
        if found.row.rotated_at is not None:
            # A rotated refresh token came back: someone kept a copy. End the whole grant.
            found.grant.revoked_at = utcnow()
            audit_grant(server.session, "apps.refresh_token_reused", found.grant)
            server.session.commit()
            return None
        return found

    def authenticate_user(self, refresh_token: Token) -> RiderRef:
        self.server.grant_id = refresh_token.grant.id
        return RiderRef(refresh_token.grant.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.row.rotated_at = utcnow()


def _query_token(server: Server, token: str, hint: str | None) -> Token | None:
    digest = logic.digest(token)
    if hint != "refresh_token":
        found = server.find_token(access_hash=digest)
        if found is not None or hint == "access_token":
            return found
    return server.find_token(refresh_hash=digest)


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _query_token(self.server, token_string, token_type_hint)

    def revoke_token(self, token: Token, request: Request) -> None:
        # Revoking either token ends the grant: the rider's consent is what is withdrawn.
        if token.grant.revoked_at is None:
            token.grant.revoked_at = utcnow()
            audit_grant(self.server.session, "apps.grant_revoked", token.grant, by="app")
        self.server.session.commit()


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return _query_token(self.server, token_string, token_type_hint)

    def check_permission(self, token: Token, client: Client, request: Request) -> bool:
        return token.app.id == client.app.id  # an app learns only of its own tokens

    def introspect_token(self, token: Token) -> dict[str, Any]:
        return {
            "active": True,
            "client_id": token.app.client_id,
            "token_type": "Bearer",
            "scope": token.row.scope,
            "sub": str(token.grant.user_id),
            "exp": int(token.row.access_expires_at.timestamp()),
            "iat": int(token.row.issued_at.timestamp()),
        }


class Server(AuthorizationServer):  # type: ignore[misc]
    """The authorization server for one request, over one database session."""

    def __init__(self, session: Session) -> None:
        super().__init__(scopes_supported=list(logic.SCOPES))
        self.session = session
        self.grant_id: uuid.UUID | None = None
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda *_, **__: logic.new_secret(logic.ACCESS_PREFIX),
                refresh_token_generator=lambda *_, **__: logic.new_secret(logic.REFRESH_PREFIX),
                expires_generator=lambda *_, **__: int(ACCESS_TTL.total_seconds()),
            ),
        )
        self.register_grant(CodeGrant, [RequiredS256(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Introspection)

    def query_client(self, client_id: str) -> Client | None:
        app = self.session.scalar(select(App).where(App.client_id == client_id))
        return None if app is None else Client(app)

    def save_token(self, token: dict[str, Any], request: Request) -> None:
        if self.grant_id is None:
            raise RuntimeError("a token is saved only after its grant was authenticated")
        now = utcnow()
        self.session.add(
            AppToken(
                grant_id=self.grant_id,
                access_hash=logic.digest(token["access_token"]),
                refresh_hash=logic.digest(token["refresh_token"]),
                scope=token.get("scope") or request.scope or "",
                issued_at=now,
                access_expires_at=now + timedelta(seconds=token["expires_in"]),
            )
        )
        self.session.commit()

    def find_token(self, **where: str) -> Token | None:
        """The token row with its grant and app, by access_hash or refresh_hash."""
        ((column, value),) = where.items()
        row = self.session.scalar(select(AppToken).where(getattr(AppToken, column) == value))
        if row is None:
            return None
        grant = self.session.get(AppGrant, row.grant_id)
        app = None if grant is None else self.session.get(App, grant.app_id)
        return None if grant is None or app is None else Token(row, grant, app)

    def create_oauth2_request(self, request: HttpCall | Request) -> Request:
        return request if isinstance(request, Request) else Request(request)

    def create_json_request(self, request: HttpCall | Request) -> Request:
        return self.create_oauth2_request(request)

    def handle_response(
        self, status_code: int, payload: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        return status_code, payload, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        pass  # no listeners: revocation and rotation are written by the endpoints themselves


def revoke_grant_tokens(session: Session, grant_id: uuid.UUID, now: datetime) -> None:
    """Mark every token of a grant revoked (the grant row is revoked by the caller)."""
    session.execute(
        update(AppToken)
        .where(AppToken.grant_id == grant_id, AppToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def audit_grant(session: Session, event_type: str, grant: AppGrant, *, by: str = "rider") -> None:
    """An audit entry about a rider's grant to an app, in the caller's transaction."""
    record_event(
        session,
        event_type=event_type,
        actor_id=grant.user_id if by == "rider" else None,
        subject_id=grant.user_id,
        details={"grant_id": str(grant.id), "app_id": str(grant.app_id), "scope": grant.scope},
    )
