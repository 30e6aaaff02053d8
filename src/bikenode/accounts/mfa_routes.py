"""The MFA API: TOTP enrolment with a QR code, recovery codes, and admin rate-limit plans."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from bikenode.accounts import mfa, rate_plans
from bikenode.accounts.routes import OwnAccount
from bikenode.accounts.schemas import (
    MfaCode,
    MfaDisable,
    MfaStatus,
    PasswordConfirmation,
    RatePlanPublic,
    RatePlanUpdate,
    RecoveryCodes,
    TotpEnrolmentPublic,
)
from bikenode.web.dependencies import AccountsConfigDep, ClientIP, CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["accounts (MFA)"], route_class=StrictJSONRoute)
QR_PATH = "/api/v1/me/mfa/totp/qr.svg"
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/me/mfa", response_model=MfaStatus)
def read_mfa(user: OwnAccount, session: SessionDep) -> MfaStatus:
    """Whether two-factor sign-in is on, and how many recovery codes are left."""
    state = mfa.mfa_state(session, user=user)
    return MfaStatus(
        enabled=state.enabled,
        pending_enrolment=state.pending_enrolment,
        recovery_codes_left=state.recovery_codes_left,
    )


@router.post("/me/mfa/totp", response_model=TotpEnrolmentPublic)
def start_totp(
    body: PasswordConfirmation,
    user: OwnAccount,
    session: SessionDep,
    config: AccountsConfigDep,
    response: Response,
) -> TotpEnrolmentPublic:
    """Start TOTP enrolment: a secret and its QR code, until a first code confirms it."""
    enrolment = mfa.start_totp_enrolment(
        session, config, user=user, current_password=body.current_password
    )
    response.headers.update(NO_STORE)
    return TotpEnrolmentPublic(
        secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri, qr_svg_url=QR_PATH
    )


@router.get(
    "/me/mfa/totp/qr.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
def totp_qr(user: OwnAccount, session: SessionDep) -> Response:
    """The pending enrolment's QR code, as SVG."""
    svg = mfa.pending_totp_qr_svg(session, user=user)
    return Response(svg, media_type="image/svg+xml", headers=NO_STORE)


@router.post("/me/mfa/totp/confirm", response_model=RecoveryCodes)
def confirm_totp(
    body: MfaCode, user: OwnAccount, session: SessionDep, client_ip: ClientIP, response: Response
) -> RecoveryCodes:
    """Turn two-factor sign-in on with a first code; answers ten single-use recovery codes."""
    codes = mfa.confirm_totp(session, user=user, code=body.code, client_ip=client_ip)
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/me/mfa/recovery-codes", response_model=RecoveryCodes)
def new_recovery_codes(
    body: MfaCode, user: OwnAccount, session: SessionDep, client_ip: ClientIP, response: Response
) -> RecoveryCodes:
    """Replace the recovery codes (after a valid code); the old ones stop working."""
    codes = mfa.regenerate_recovery_codes(session, user=user, code=body.code, client_ip=client_ip)
    response.headers.update(NO_STORE)
    return RecoveryCodes(recovery_codes=codes)


@router.post("/me/mfa/disable", status_code=status.HTTP_204_NO_CONTENT)
def disable(
    body: MfaDisable,
    user: OwnAccount,
    session: SessionDep,
    config: AccountsConfigDep,
    client_ip: ClientIP,
) -> Response:
    """Turn two-factor sign-in off (the password and a valid code are needed)."""
    mfa.disable_mfa(
        session,
        config,
        user=user,
        current_password=body.current_password,
        code=body.code,
        client_ip=client_ip,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/users/{user_id}/rate-limit", response_model=RatePlanPublic)
def read_rate_plan(user_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> RatePlanPublic:
    """A user's rate-limit tier and override (admins only)."""
    plan = rate_plans.read_rate_plan(session, actor=user, user_id=user_id)
    return RatePlanPublic(
        user_id=plan.user_id, tier=plan.tier, requests_per_minute=plan.requests_per_minute
    )


@router.put("/users/{user_id}/rate-limit", response_model=RatePlanPublic)
def set_rate_plan(
    user_id: uuid.UUID,
    body: RatePlanUpdate,
    user: CurrentUser,
    session: SessionDep,
    client_ip: ClientIP,
) -> RatePlanPublic:
    """Set a user's tier and per-user override (admins only)."""
    plan = rate_plans.set_rate_plan(
        session,
        actor=user,
        user_id=user_id,
        tier=body.tier,
        requests_per_minute=body.requests_per_minute,
        client_ip=client_ip,
    )
    return RatePlanPublic(
        user_id=plan.user_id, tier=plan.tier, requests_per_minute=plan.requests_per_minute
    )
