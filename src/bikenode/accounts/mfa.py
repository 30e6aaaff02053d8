"""MFA use cases: TOTP enrolment, the second sign-in step, recovery codes, turning MFA off."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from bikenode.accounts import logic, repo, throttle, throttle_rules, totp
from bikenode.accounts.models import MfaFactor, User
from bikenode.accounts.sealing import open_secret, seal_secret
from bikenode.accounts.service import (
    AccountsConfig,
    IssuedTokens,
    refuse_suspended,
    start_session,
)
from bikenode.accounts.user_view import UserView
from bikenode.audit import record_event
from bikenode.db.base import utcnow
from bikenode.encryption import DecryptionFailed
from bikenode.errors import Conflict, NotAuthenticated, NotFound, PermissionDenied

log = logging.getLogger("bikenode.accounts.mfa")
TOTP_ISSUER = "BikeNode"
BAD_CODE = "the code is not correct, or was already used"


@dataclass(frozen=True)
class TotpEnrolment:
    """A pending TOTP secret: shown once, as text and as a QR code, until confirmed."""

    secret: str
    otpauth_uri: str


def has_mfa(session: Session, user_id: uuid.UUID) -> bool:
    """True if the user has confirmed a second factor."""
    return repo.has_confirmed_mfa(session, user_id)


def require_admin(session: Session, *, user: UserView) -> None:
    """PermissionDenied unless the user is an admin who has turned MFA on."""
    if not user.is_admin:
        raise PermissionDenied("only an admin can do this")
    if not repo.has_confirmed_mfa(session, user.id):
        raise PermissionDenied(
            "admins must turn on two-factor sign-in first: POST /api/v1/me/mfa/totp, then "
            "confirm a code at POST /api/v1/me/mfa/totp/confirm"
        )


def start_totp_enrolment(
    session: Session, config: AccountsConfig, *, user: User, current_password: str
) -> TotpEnrolment:
    """A new pending TOTP secret (replacing an unconfirmed one); Conflict if MFA is on."""
    if not config.hashing.verify(user.password_hash, current_password):
        raise PermissionDenied("the current password is not correct")
    factor = repo.get_mfa_factor(session, user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("two-factor sign-in is already on; turn it off first to enrol again")
    secret = totp.new_totp_secret()
    if factor is None:
        factor = MfaFactor(user_id=user.id, last_used_step=0)
        session.add(factor)
    seal_secret(factor, secret)
    factor.last_used_step = 0
    session.commit()
    return TotpEnrolment(
        secret, totp.provisioning_uri(secret, account=user.email, issuer=TOTP_ISSUER)
    )


def pending_totp_qr_svg(session: Session, *, user: User) -> bytes:
    """The pending enrolment's QR code as SVG; NotFound when no enrolment is pending."""
    factor = repo.get_mfa_factor(session, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise NotFound(
            "no two-factor enrolment is pending; start one with POST /api/v1/me/mfa/totp"
        )
    uri = totp.provisioning_uri(open_secret(factor), account=user.email, issuer=TOTP_ISSUER)
    return totp.qr_svg(uri)


def confirm_totp(session: Session, *, user: User, code: str, client_ip: str | None) -> list[str]:
    """Turn MFA on with a first valid code; returns ten recovery codes, shown this once."""
    factor = repo.get_mfa_factor(session, user.id)
    if factor is None or factor.confirmed_at is not None:
        raise NotFound(
            "no two-factor enrolment is pending; start one with POST /api/v1/me/mfa/totp"
        )
    _check_code(session, user_id=user.id, code=code, client_ip=client_ip, allow_recovery=False)
    factor.confirmed_at = utcnow()
    codes = _new_recovery_codes(session, user.id)
    record_event(
        session, event_type="mfa.enabled", actor_id=user.id, subject_id=user.id, client_ip=client_ip
    )
    session.commit()
    return codes


def regenerate_recovery_codes(
    session: Session, *, user: User, code: str, client_ip: str | None
) -> list[str]:
    """Ten new recovery codes (the old ones stop working), after a valid second factor."""
    _require_confirmed(session, user.id)
    _check_code(session, user_id=user.id, code=code, client_ip=client_ip, allow_recovery=True)
    codes = _new_recovery_codes(session, user.id)
    record_event(
        session,
        event_type="mfa.recovery_codes_regenerated",
        actor_id=user.id,
        subject_id=user.id,
        client_ip=client_ip,
    )
    session.commit()
    return codes


def disable_mfa(
    session: Session,
    config: AccountsConfig,
    *,
    user: User,
    current_password: str,
    code: str,
    client_ip: str | None,
) -> None:
    """Turn MFA off after the password and a valid second factor; the password rule returns to 15."""
    _require_confirmed(session, user.id)
    session.commit()  # end the read: hashing must not hold the database's write lock
    if not config.hashing.verify(user.password_hash, current_password):
        raise PermissionDenied("the current password is not correct")
    _check_code(session, user_id=user.id, code=code, client_ip=client_ip, allow_recovery=True)
    repo.delete_mfa(session, user.id)
    record_event(
        session,
        event_type="mfa.disabled",
        actor_id=user.id,
        subject_id=user.id,
        client_ip=client_ip,
    )
    session.commit()


def complete_mfa_login(
    session: Session, config: AccountsConfig, *, mfa_token: str, code: str, client_ip: str | None
) -> IssuedTokens:
    """Tokens for a new session once the second factor of a half-done sign-in is right."""
    try:
        user_id = logic.verify_mfa_token(config.tokens, mfa_token, now=utcnow())
    except logic.TokenError as error:
        raise NotAuthenticated(f"{error}; sign in again") from None
    if not repo.has_confirmed_mfa(session, user_id):
        raise NotAuthenticated("two-factor sign-in is not on for this account; sign in again")
    method = _check_code(
        session, user_id=user_id, code=code, client_ip=client_ip, allow_recovery=True
    )
    user = session.get(User, user_id)
    refusal = (
        logic.suspension_refusal(user.suspended_at, user.suspended_until, utcnow())
        if user is not None
        else None
    )
    if refusal is not None:
        refuse_suspended(session, config, user_id=user_id, refusal=refusal, client_ip=client_ip)
    tokens = start_session(session, config, user_id=user_id)
    record_event(
        session,
        event_type="auth.login_succeeded",
        actor_id=user_id,
        subject_id=user_id,
        client_ip=client_ip,
        details={"second_factor": method},
    )
    session.commit()
    return tokens


def check_second_factor(
    session: Session, *, user_id: uuid.UUID, code: str, client_ip: str | None
) -> str:
    """'totp' or 'recovery_code' for a right code; NotAuthenticated (counted, throttled) if not."""
    return _check_code(
        session, user_id=user_id, code=code, client_ip=client_ip, allow_recovery=True
    )


def _require_confirmed(session: Session, user_id: uuid.UUID) -> None:
    if not repo.has_confirmed_mfa(session, user_id):
        raise NotFound("two-factor sign-in is not on for this account")


def _new_recovery_codes(session: Session, user_id: uuid.UUID) -> list[str]:
    codes = totp.new_recovery_codes()
    repo.replace_recovery_codes(session, user_id, [totp.hash_recovery_code(c) for c in codes])
    return codes


def _check_code(
    session: Session, *, user_id: uuid.UUID, code: str, client_ip: str | None, allow_recovery: bool
) -> str:
    """The kind of second factor that matched; a wrong code is counted, committed and refused."""
    now = utcnow()
    rules = {f"totp:{user_id}": throttle_rules.TOTP}
    throttle.check_allowed(session, rules, now)
    method = _match(session, user_id, code, allow_recovery=allow_recovery)
    if method is None:
        throttle.record_failure(session, rules, now)
        record_event(
            session,
            event_type="mfa.code_rejected",
            subject_id=user_id,
            client_ip=client_ip,
        )
        session.commit()
        raise NotAuthenticated(BAD_CODE)
    throttle.record_success(session, list(rules))
    if method == "recovery_code":
        record_event(
            session, event_type="mfa.recovery_code_used", subject_id=user_id, client_ip=client_ip
        )
    return method


def _match(session: Session, user_id: uuid.UUID, code: str, *, allow_recovery: bool) -> str | None:
    factor = repo.get_mfa_factor(session, user_id)
    if factor is None:
        return None
    if totp.looks_like_totp(code):
        try:
            secret = open_secret(factor)
        except DecryptionFailed:  # the key is lost: recovery codes still work
            log.error("the data key sealing a user's second factor is missing or wrong")
            return None
        step = totp.matching_step(secret, code, now=utcnow(), after_step=factor.last_used_step)
        if step is not None and repo.claim_totp_step(session, user_id, step):
            return "totp"
        return None
    if allow_recovery and repo.use_recovery_code(
        session, user_id, totp.hash_recovery_code(code), utcnow()
    ):
        return "recovery_code"
    return None


@dataclass(frozen=True)
class MfaState:
    """Whether MFA is on, whether an enrolment awaits its first code, codes left."""

    enabled: bool
    pending_enrolment: bool
    recovery_codes_left: int


def mfa_state(session: Session, *, user: User) -> MfaState:
    """The user's MFA state."""
    factor = repo.get_mfa_factor(session, user.id)
    enabled = factor is not None and factor.confirmed_at is not None
    pending = factor is not None and factor.confirmed_at is None
    left = repo.count_unused_recovery_codes(session, user.id) if enabled else 0
    return MfaState(enabled, pending, left)
