"""The apps API (registration, grants, personal tokens) and the OAuth2 endpoints."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from authlib.common.security import is_secure_transport
from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from bikenode.apps import logic, service
from bikenode.apps.access import OwnApp, OwnGrant, OwnPersonalToken
from bikenode.apps.oauth import HttpCall, RiderRef, Server
from bikenode.apps.schemas import (
    AppCreate,
    AppCreated,
    AppList,
    AppPublic,
    AppUpdate,
    ConsentDetails,
    Decision,
    GrantList,
    GrantPublic,
    PersonalTokenCreate,
    PersonalTokenCreated,
    PersonalTokenList,
    PersonalTokenPublic,
)
from bikenode.errors import InvalidInput
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["apps"], route_class=StrictJSONRoute)
oauth_router = APIRouter(tags=["oauth"], include_in_schema=False)  # RFC 8414 lists them
MAX_FORM_BYTES = 16 * 1024  # OAuth2 requests are a few short fields


async def oauth_call(request: Request) -> HttpCall:
    """The request as Authlib sees it: query and url-encoded form in one dict."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput(f"expected a form of at most {MAX_FORM_BYTES} bytes")
    params = dict(request.query_params)
    params.update(parse_qsl(body.decode("utf-8", "replace")))
    if not is_secure_transport(str(request.url)):
        # RFC 6749 3.1: tokens travel over TLS only (loopback aside, RFC 8252); behind a
        # proxy, uvicorn's --forwarded-allow-ips makes the scheme https.
        raise InvalidInput(f"OAuth2 needs https, got {request.url.scheme}://{request.url.netloc}")
    # Starlette's Headers: case-insensitive, as Authlib's lookups ("Authorization") expect.
    return HttpCall(request.method, str(request.url), request.headers, params)


OAuthCall = Annotated[HttpCall, Depends(oauth_call)]


def _answer(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    status_code, payload, headers = result
    if isinstance(payload, dict):
        return JSONResponse(payload, status_code=status_code, headers=dict(headers))
    return Response(payload or b"", status_code=status_code, headers=dict(headers))


@router.post("/apps", status_code=status.HTTP_201_CREATED, response_model=AppCreated)
def register_app(body: AppCreate, user: CurrentUser, session: SessionDep) -> AppCreated:
    """Register an app; the answer holds its client secret (confidential apps), this once."""
    created = service.register_app(
        session,
        owner_id=user.id,
        name=body.name,
        redirect_uris=body.redirect_uris,
        confidential=body.confidential,
    )
    public = AppPublic.model_validate(created.app)
    return AppCreated(**public.model_dump(), client_secret=created.client_secret)


@router.get("/apps", response_model=AppList)
def list_apps(user: CurrentUser, session: SessionDep) -> AppList:
    """The apps you registered."""
    apps = service.list_apps(session, owner_id=user.id)
    return AppList(apps=[AppPublic.model_validate(app) for app in apps])


@router.get("/apps/{app_id}", response_model=AppPublic)
def get_app(app: OwnApp) -> AppPublic:
    """One of your apps."""
    return AppPublic.model_validate(app)


@router.patch("/apps/{app_id}", response_model=AppPublic)
def update_app(app: OwnApp, body: AppUpdate, session: SessionDep) -> AppPublic:
    """Rename an app or change its redirect URIs."""
    changed = service.update_app(session, app=app, name=body.name, redirect_uris=body.redirect_uris)
    return AppPublic.model_validate(changed)


@router.delete("/apps/{app_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_app(app: OwnApp, session: SessionDep) -> None:
    """Remove an app and every authorization riders gave it."""
    service.delete_app(session, app=app)


@router.get("/me/grants", response_model=GrantList)
def list_grants(user: CurrentUser, session: SessionDep) -> GrantList:
    """The apps you allowed, with what each may do."""
    rows = service.list_grants(session, user_id=user.id)
    grants = [
        GrantPublic(
            id=grant.id, app_name=app.name, scopes=grant.scope.split(), created_at=grant.created_at
        )
        for grant, app in rows
    ]
    return GrantList(grants=grants)


@router.delete("/me/grants/{grant_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_grant(grant: OwnGrant, session: SessionDep) -> None:
    """Withdraw an app's access: its tokens stop working at once."""
    service.revoke_grant(session, grant=grant)


@router.post("/me/tokens", status_code=status.HTTP_201_CREATED, response_model=PersonalTokenCreated)
def create_personal_token(
    body: PersonalTokenCreate, user: CurrentUser, session: SessionDep
) -> PersonalTokenCreated:
    """A scoped token for your scripts; the answer holds it, this once."""
    created = service.create_personal_token(
        session,
        user_id=user.id,
        name=body.name,
        scope=list(body.scopes),
        expires_at=body.expires_at,
    )
    public = PersonalTokenPublic.model_validate(created.row)
    return PersonalTokenCreated(**public.model_dump(), token=created.token)


@router.get("/me/tokens", response_model=PersonalTokenList)
def list_personal_tokens(user: CurrentUser, session: SessionDep) -> PersonalTokenList:
    """Your personal tokens (their names and scopes, never the tokens)."""
    rows = service.list_personal_tokens(session, user_id=user.id)
    return PersonalTokenList(tokens=[PersonalTokenPublic.model_validate(r) for r in rows])


@router.delete("/me/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_personal_token(token: OwnPersonalToken, session: SessionDep) -> None:
    """Revoke one of your personal tokens."""
    service.delete_personal_token(session, token=token)


@router.get("/oauth/consent", response_model=ConsentDetails)
def consent_details(
    client_id: str, scope: str, user: CurrentUser, session: SessionDep
) -> ConsentDetails:
    """What the consent page shows: the app's name and the scopes it asks for, in words."""
    app = service.find_app_by_client_id(session, client_id=client_id)
    if app is None:
        raise InvalidInput(f"no app has the client id {client_id!r}")
    scopes = logic.parse_scope(scope)
    return ConsentDetails(app_name=app.name, scopes={name: logic.SCOPES[name] for name in scopes})


@oauth_router.get("/oauth/authorize", include_in_schema=False)
def authorize(call: OAuthCall, session: SessionDep) -> Response:
    """Check the app's request, then send the browser to the consent page of the web app."""
    server = Server(session)
    try:
        server.get_consent_grant(call)
    except OAuth2Error as error:
        return _answer(server.handle_error_response(None, error))
    return RedirectResponse("/oauth/consent?" + urlencode(call.params), status_code=302)


@oauth_router.post("/oauth/authorize", response_model=Decision)
def decide(call: OAuthCall, user: CurrentUser, session: SessionDep) -> Response:
    """The signed-in rider's decision (decision=allow|deny): where the browser goes next."""
    server = Server(session)
    request = server.create_oauth2_request(call)
    try:
        grant = server.get_consent_grant(request)
    except OAuth2Error as error:
        return _answer(server.handle_error_response(None, error))
    allowed = call.params.get("decision") == "allow"
    status_code, _, headers = server.create_authorization_response(
        request, grant_user=RiderRef(user.id) if allowed else None, grant=grant
    )
    session.commit()
    location = dict(headers).get("Location")
    if location is None:
        return JSONResponse({"error": "invalid_request"}, status_code=status_code)
    return JSONResponse({"redirect_to": location})


@oauth_router.post("/oauth/token")
def token(call: OAuthCall, session: SessionDep) -> Response:
    """Exchange a code (with its PKCE verifier) or a refresh token for tokens."""
    answer = _answer(Server(session).create_token_response(call))
    session.commit()  # the code's deletion and the old refresh token's rotation
    return answer


@oauth_router.post("/oauth/revoke")
def revoke(call: OAuthCall, session: SessionDep) -> Response:
    """RFC 7009: revoke an access or refresh token (the whole grant ends)."""
    return _answer(Server(session).create_endpoint_response("revocation", call))


@oauth_router.post("/oauth/introspect")
def introspect(call: OAuthCall, session: SessionDep) -> Response:
    """RFC 7662: whether a token is active, for the confidential app it was issued to."""
    return _answer(Server(session).create_endpoint_response("introspection", call))


@oauth_router.get("/.well-known/oauth-authorization-server")
def metadata(request: Request) -> dict[str, Any]:
    """RFC 8414: where the endpoints are and what this server supports."""
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/oauth/authorize",
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "scopes_supported": list(logic.SCOPES),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "none",
        ],
    }
