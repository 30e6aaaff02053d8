"""The accounts API: register, sign in, tokens, profile and roles."""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response, status
from fastapi.responses import HTMLResponse

from bikenode.accounts import (
    alerts,
    body_metrics,
    email_verification,
    mfa,
    moderation,
    password_reset,
    profile,
    service,
)
from bikenode.accounts.models import User
from bikenode.accounts.schemas import (
    Login,
    MfaLogin,
    MfaRequired,
    PasswordChange,
    PasswordResetAccepted,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    Register,
    RegistrationAccepted,
    RoleChange,
    SessionPublic,
    TokenPair,
    UserPrivate,
    UserPublic,
    UserUpdate,
)
from bikenode.mail import mail_settings
from bikenode.web.dependencies import (
    AccountsConfigDep,
    ClientIP,
    CurrentUser,
    PrincipalDep,
    SessionDep,
    SettingsDep,
)
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["accounts"], route_class=StrictJSONRoute)


async def get_own_account(principal: PrincipalDep) -> User:
    """The signed-in user's row, for accounts' own handlers; other domains get CurrentUser."""
    return principal.user


OwnAccount = Annotated[User, Depends(get_own_account)]


def _pair(tokens: service.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        refresh_token=tokens.refresh_token,
        expires_in=tokens.expires_in_s,
    )


@router.post(
    "/auth/register", status_code=status.HTTP_202_ACCEPTED, response_model=RegistrationAccepted
)
def register(
    body: Register,
    background: BackgroundTasks,
    session: SessionDep,
    config: AccountsConfigDep,
    settings: SettingsDep,
    client_ip: ClientIP,
) -> RegistrationAccepted:
    """Create an account; the same answer when the address already has one (it is e-mailed)."""
    existing = service.sign_up(
        session,
        config,
        email=body.email,
        password=body.password,
        display_name=body.display_name,
        client_ip=client_ip,
    )
    if existing is not None:  # mailed after the answer, so the answer takes as long
        background.add_task(
            alerts.mail_account_exists, mail_settings(settings), settings.public_url, existing
        )
    return RegistrationAccepted()


@router.post("/auth/login", response_model=TokenPair | MfaRequired)
def login(
    body: Login, session: SessionDep, config: AccountsConfigDep, client_ip: ClientIP
) -> TokenPair | MfaRequired:
    """Sign in: tokens, or (with MFA on) a token for the second step at /auth/login/mfa."""
    result = service.log_in(
        session, config, email=body.email, password=body.password, client_ip=client_ip
    )
    if isinstance(result, service.MfaChallenge):
        return MfaRequired(mfa_token=result.mfa_token, expires_in=result.expires_in_s)
    return _pair(result)


@router.post("/auth/login/mfa", response_model=TokenPair)
def login_mfa(
    body: MfaLogin, session: SessionDep, config: AccountsConfigDep, client_ip: ClientIP
) -> TokenPair:
    """Second sign-in step: a TOTP code (once per 30 s step) or a recovery code (once)."""
    tokens = mfa.complete_mfa_login(
        session, config, mfa_token=body.mfa_token, code=body.code, client_ip=client_ip
    )
    return _pair(tokens)


@router.post("/auth/refresh", response_model=TokenPair)
def refresh(
    body: RefreshRequest,
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
) -> TokenPair | Response:
    """Trade a refresh token for a new pair (the old one stops working)."""
    try:
        tokens = service.refresh_tokens(session, config, refresh_token=body.refresh_token)
    except service.RefreshTokenReused as reused:
        return alerts.refused_after_reuse(request, background, reused, client_ip=client_ip)
    return _pair(tokens)


@router.post("/auth/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshRequest, request: Request, session: SessionDep) -> Response:
    """End the session the refresh token belongs to."""
    ended = service.log_out(session, refresh_token=body.refresh_token)
    if ended is not None:
        request.app.state.sockets.close_session(*ended)  # its WebSockets close too (4001)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me/sessions", response_model=list[SessionPublic])
def list_my_sessions(
    principal: PrincipalDep, session: SessionDep, config: AccountsConfigDep
) -> list[SessionPublic]:
    """Your signed-in sessions, with when each ends (idle and absolute)."""
    views = service.list_sessions(
        session, config, user_id=principal.user.id, current_id=principal.session_id
    )
    return [SessionPublic.model_validate(view) for view in views]


@router.delete("/me/sessions/{account_session_id}", status_code=status.HTTP_204_NO_CONTENT)
def end_my_session(
    account_session_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> Response:
    """Sign one of your sessions out at once, its access tokens included."""
    service.end_session(session, user_id=user.id, session_id=account_session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _own_view(user: User) -> UserPrivate:
    metrics = body_metrics.read_body_metrics(user)
    return UserPrivate(
        **UserPublic.model_validate(user).model_dump(),
        weight_kg=metrics.weight_kg,
        resting_hr_bpm=metrics.resting_hr_bpm,
    )


@router.get("/me", response_model=UserPrivate)
def read_me(user: OwnAccount) -> UserPrivate:
    """The signed-in user's profile and preferences (weight and resting HR only here)."""
    return _own_view(user)


@router.patch("/me", response_model=UserPrivate)
def update_me(body: UserUpdate, user: OwnAccount, session: SessionDep) -> UserPrivate:
    """Change name, units, timezone, FTP, heart rates, weight, or heart rate and power sharing."""
    changes = body.model_dump(exclude_unset=True)
    return _own_view(profile.update_profile(session, user=user, changes=changes))


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    body: PasswordChange,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    config: AccountsConfigDep,
) -> Response:
    """Change the password; every other session is signed out."""
    service.change_password(
        session,
        config,
        user=principal.user,
        current_password=body.current_password,
        new_password=body.new_password,
        keep_session_id=principal.session_id,
    )
    sockets = request.app.state.sockets
    sockets.close_user(principal.user.id, keep_session=principal.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/auth/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=PasswordResetAccepted,
)
async def request_password_reset(
    body: PasswordResetRequest,
    request: Request,
    background: BackgroundTasks,
    settings: SettingsDep,
    client_ip: ClientIP,
) -> PasswordResetAccepted:
    """Ask for a reset link by e-mail; the same answer whether or not the account exists."""
    # Everything that depends on the account runs after the answer is sent: equal timing.
    background.add_task(
        password_reset.deliver_password_reset,
        request.app.state.session_factory,
        mail_settings(settings),
        public_url=settings.public_url,
        email=body.email,
        client_ip=client_ip,
    )
    return PasswordResetAccepted()


@router.post("/me/email-verification", status_code=status.HTTP_202_ACCEPTED)
def request_email_verification(
    user: OwnAccount,
    background: BackgroundTasks,
    session: SessionDep,
    config: AccountsConfigDep,
    settings: SettingsDep,
) -> dict[str, str]:
    """Mail a link to your own address to prove it is yours; 409 if it is verified already."""
    email = email_verification.ask_verification(session, config, user_id=user.id)
    background.add_task(
        email_verification.deliver_verification,
        config,
        mail_settings(settings),
        public_url=settings.public_url,
        user_id=user.id,
        email=email,
    )
    return {"detail": "a link was mailed to your address; it works for a day"}


VERIFY_PAGE = """<!doctype html><meta charset="utf-8"><title>BikeNode e-mail address</title>
<p>Confirm that this e-mail address is yours?</p>
<form method="post" action="{path}?token={token}"><button>Confirm</button></form>"""


# The GET only shows a button (a mail scanner following the link must not verify); the POST
# does it, with the link's token as the only proof (the mailbox's owner opened it).
@router.get(email_verification.VERIFY_PATH.removeprefix("/api/v1"), response_class=HTMLResponse)
def email_verification_page(token: Annotated[str, Query(max_length=2048)]) -> HTMLResponse:
    """The page behind an e-mail verification link."""
    path = email_verification.VERIFY_PATH
    return HTMLResponse(VERIFY_PAGE.format(path=path, token=html.escape(token)))


@router.post(email_verification.VERIFY_PATH.removeprefix("/api/v1"), response_class=HTMLResponse)
def verify_email(
    token: Annotated[str, Query(max_length=2048)], session: SessionDep, config: AccountsConfigDep
) -> HTMLResponse:
    """Confirm an e-mail address with the mailed link's token."""
    email_verification.verify_email(session, config, token=token)
    return HTMLResponse("<!doctype html><p>Done: your e-mail address is verified.</p>")


@router.post("/auth/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT)
def confirm_password_reset(
    body: PasswordResetConfirm,
    request: Request,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
) -> Response:
    """Set a new password with the e-mailed token (and a code with MFA); ends all sessions."""
    user_id = password_reset.reset_password(
        session,
        config,
        token=body.token,
        new_password=body.new_password,
        code=body.code,
        client_ip=client_ip,
    )
    request.app.state.sockets.close_user(user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put("/users/{user_id}/role", response_model=UserPublic)
def change_role(
    user_id: uuid.UUID, body: RoleChange, user: CurrentUser, session: SessionDep
) -> UserPublic:
    """Set a user's role (admins only)."""
    changed = profile.set_role(session, actor=user, user_id=user_id, role=body.role)
    return UserPublic.model_validate(changed)


@router.put("/users/{user_id}/moderator", status_code=status.HTTP_204_NO_CONTENT)
def grant_moderator(user_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Let a user moderate (admins only; audited)."""
    moderation.set_moderator(session, actor=user, user_id=user_id, granted=True)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/users/{user_id}/moderator", status_code=status.HTTP_204_NO_CONTENT)
def revoke_moderator(user_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    """Stop a user moderating (admins only; audited)."""
    moderation.set_moderator(session, actor=user, user_id=user_id, granted=False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
