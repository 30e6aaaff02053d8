"""Web sessions for the browser app: the refresh token lives in an HttpOnly cookie.

The page keeps only the short-lived access token, in memory. The refresh token is a cookie
that JavaScript cannot read (HttpOnly), that the browser sends only to these three endpoints
(Path) and never on a request started by another site (SameSite=Strict), over TLS only when
the app is served over TLS (Secure). Each endpoint also requires an X-Requested-With header:
a cross-site form cannot set one, and a cross-site script would need a CORS preflight that
this server never grants, so a forged request fails even where SameSite is not enforced.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Cookie, Depends, Request, Response, status
from pydantic import BaseModel, Field

from bikenode.accounts import alerts, mfa, service
from bikenode.accounts.schemas import Login, MfaLogin, MfaRequired
from bikenode.errors import NotAuthenticated, PermissionDenied
from bikenode.web.dependencies import AccountsConfigDep, ClientIP, SessionDep
from bikenode.web.problems import problem_kind, problem_response
from bikenode.web.strict_json import StrictJSONRoute

WEB_AUTH_PATH = "/api/v1/auth/web"
REFRESH_COOKIE = "bikenode_refresh"
CSRF_HEADER = "X-Requested-With"


class AccessToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int = Field(description="seconds until the access token expires")


def require_csrf_header(request: Request) -> None:
    """Refuse a request without the custom header that only same-origin scripts can send."""
    if not request.headers.get(CSRF_HEADER):
        raise PermissionDenied(
            f"expected an {CSRF_HEADER} header (the BikeNode web app sends one), got none"
        )


router = APIRouter(
    prefix=WEB_AUTH_PATH,
    tags=["accounts (web sessions)"],
    route_class=StrictJSONRoute,
    dependencies=[Depends(require_csrf_header)],
)
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE, max_length=256)]


def _answer(
    request: Request,
    response: Response,
    config: service.AccountsConfig,
    tokens: service.IssuedTokens,
) -> AccessToken:
    response.set_cookie(
        REFRESH_COOKIE,
        tokens.refresh_token,
        max_age=int(config.session_idle_ttl.total_seconds()),
        path=WEB_AUTH_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"
    return AccessToken(access_token=tokens.access_token, expires_in=tokens.expires_in_s)


def _forget(request: Request, response: Response) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=WEB_AUTH_PATH,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    response.headers["Cache-Control"] = "no-store"


@router.post("/login", response_model=AccessToken | MfaRequired)
def web_login(
    body: Login,
    request: Request,
    response: Response,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
) -> AccessToken | MfaRequired:
    """Sign in from the web app: an access token and the refresh cookie, or the MFA step."""
    result = service.log_in(
        session, config, email=body.email, password=body.password, client_ip=client_ip
    )
    if isinstance(result, service.MfaChallenge):
        return MfaRequired(mfa_token=result.mfa_token, expires_in=result.expires_in_s)
    return _answer(request, response, config, result)


@router.post("/login/mfa", response_model=AccessToken)
def web_login_mfa(
    body: MfaLogin,
    request: Request,
    response: Response,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
) -> AccessToken:
    """Second sign-in step from the web app: a TOTP or recovery code."""
    tokens = mfa.complete_mfa_login(
        session, config, mfa_token=body.mfa_token, code=body.code, client_ip=client_ip
    )
    return _answer(request, response, config, tokens)


@router.post("/refresh", response_model=AccessToken)
def web_refresh(
    request: Request,
    response: Response,
    background: BackgroundTasks,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
    refresh_token: RefreshCookie = None,
) -> AccessToken | Response:
    """A new access token for the cookie's session (the cookie is rotated)."""
    try:
        if not refresh_token:
            raise NotAuthenticated("not signed in: there is no session cookie; sign in")
        tokens = service.refresh_tokens(session, config, refresh_token=refresh_token)
    except service.RefreshTokenReused as reused:
        refused = alerts.refused_after_reuse(request, background, reused, client_ip=client_ip)
        _forget(request, refused)
        return refused
    except NotAuthenticated as error:
        # The cookie is of no more use: drop it so that the browser stops sending it.
        # No WWW-Authenticate: a browser signs in with its cookie, not a bearer token.
        kind = problem_kind(type(error))
        refused = problem_response(kind.status, error.detail, title=kind.title)
        _forget(request, refused)
        return refused
    return _answer(request, response, config, tokens)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def web_logout(
    request: Request, session: SessionDep, refresh_token: RefreshCookie = None
) -> Response:
    """Sign out: end the cookie's session and delete the cookie."""
    ended = service.log_out(session, refresh_token=refresh_token) if refresh_token else None
    if ended is not None:
        request.app.state.sockets.close_session(*ended)  # its WebSockets close too (4001)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    _forget(request, response)
    return response
