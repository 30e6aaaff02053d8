"""Account use cases: each loads, applies the rules, saves and commits once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.accounts import logic, repo, throttle, throttle_rules
from bikenode.accounts.common_passwords import common_passwords
from bikenode.accounts.models import RefreshToken, User
from bikenode.accounts.passwords import PasswordHashing
from bikenode.accounts.user_view import UserView, view_of
from bikenode.audit import record_event
from bikenode.db.base import utcnow
from bikenode.errors import (
    AccountSuspended,
    Conflict,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)

# One message for unknown e-mail and wrong password: no user enumeration.
BAD_CREDENTIALS = "the e-mail address or password is not correct"
BAD_REFRESH = "the refresh token is not valid; sign in again"


@dataclass(frozen=True)
class AccountsConfig:
    """What the account services need from configuration."""

    hashing: PasswordHashing
    tokens: logic.TokenSettings
    session_idle_ttl: timedelta
    session_absolute_ttl: timedelta
    refresh_grace: timedelta = timedelta(seconds=10)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in_s: int


def sign_up(
    session: Session,
    config: AccountsConfig,
    *,
    email: str,
    password: str,
    display_name: str,
    client_ip: str | None,
) -> str | None:
    """Create a rider's account; the address to tell, if it already had one (None if new).

    Both ways cost one password hash and one short write (the account, or an audit entry),
    so neither the answer nor its timing says whether the address has an account.
    InvalidInput if a rule is broken.
    """
    try:
        register_user(session, config, email=email, password=password, display_name=display_name)
    except Conflict:
        existing = repo.get_user_by_email(session, logic.normalise_email(email))
        if existing is None:  # deleted since: nothing to tell anyone
            session.rollback()
            return None
        record_event(
            session,
            event_type="auth.sign_up_for_existing_account",
            subject_id=existing.id,
            client_ip=client_ip,
        )
        session.commit()
        return existing.email
    return None


def register_user(
    session: Session,
    config: AccountsConfig,
    *,
    email: str,
    password: str,
    display_name: str,
    role: str = "rider",
) -> User:
    """Create an account; Conflict if the e-mail is taken, InvalidInput if a rule is broken.

    For operators (`bikenode user create`); the public sign-up is sign_up, which never says
    whether an address has an account.
    """
    normalised = checked_by_policy(logic.normalise_email, email)
    check_password(password, has_mfa=False)
    password_hash = config.hashing.hash(password)  # before the transaction: it takes ~50 ms
    if repo.get_user_by_email(session, normalised) is not None:
        raise Conflict("an account with this e-mail address already exists")
    user = User(
        email=normalised,
        password_hash=password_hash,
        display_name=display_name.strip() or normalised,
        role=role,
    )
    session.add(user)
    try:
        session.commit()
    except IntegrityError:  # a concurrent registration won the race
        session.rollback()
        raise Conflict("an account with this e-mail address already exists") from None
    return user


@dataclass(frozen=True)
class MfaChallenge:
    """The password was right and the account has MFA: the second step is due."""

    mfa_token: str
    expires_in_s: int


def log_in(
    session: Session,
    config: AccountsConfig,
    *,
    email: str,
    password: str,
    client_ip: str | None = None,
) -> IssuedTokens | MfaChallenge:
    """Tokens for a new session, or the MFA second step, if the credentials match.

    NotAuthenticated for a wrong e-mail or password; TooManyRequests (with Retry-After) while
    recent failures for this account or address delay the next attempt.
    """
    try:
        normalised = logic.normalise_email(email)
    except logic.PolicyError:
        normalised = ""
    now = utcnow()
    rules = throttle_rules.throttle_keys(
        email=normalised or email.strip().lower()[:254], client_ip=client_ip
    )
    throttle.check_allowed(session, rules, now)
    user = repo.get_user_by_email(session, normalised) if normalised else None
    session.commit()  # end the read: the hashing below must not hold the database's write lock
    # Always verify (against a dummy hash when the user is unknown): equal timing.
    valid = config.hashing.verify(user.password_hash if user else None, password)
    new_hash = None
    if valid and user is not None and config.hashing.needs_rehash(user.password_hash):
        new_hash = config.hashing.hash(password)
    if user is None or not valid:
        throttle.record_failure(session, rules, now)
        record_event(
            session,
            event_type="auth.login_failed",
            subject_id=user.id if user else None,
            client_ip=client_ip,
            details={"reason": "unknown account" if user is None else "wrong password"},
        )
        session.commit()
        raise NotAuthenticated(BAD_CREDENTIALS)
    refusal = logic.suspension_refusal(user.suspended_at, user.suspended_until, now)
    # Told only after the right password (no account enumeration) and, with MFA on, after
    # the second factor too: the refusal carries the appeal token (complete_mfa_login).
    if refusal is not None and not repo.has_confirmed_mfa(session, user.id):
        refuse_suspended(session, config, user_id=user.id, refusal=refusal, client_ip=client_ip)
    throttle.record_success(session, [k for k in rules if not k.startswith("ip:")])
    if new_hash is not None:
        user.password_hash = new_hash
    if repo.has_confirmed_mfa(session, user.id):
        session.commit()
        token = logic.issue_mfa_token(config.tokens, user_id=user.id, now=now)
        return MfaChallenge(token, int(logic.MFA_TOKEN_TTL.total_seconds()))
    tokens = start_session(session, config, user_id=user.id)
    record_event(
        session,
        event_type="auth.login_succeeded",
        actor_id=user.id,
        subject_id=user.id,
        client_ip=client_ip,
        details={"second_factor": None},
    )
    session.commit()
    return tokens


def refuse_suspended(
    session: Session,
    config: AccountsConfig,
    *,
    user_id: uuid.UUID,
    refusal: str,
    client_ip: str | None,
) -> NoReturn:
    """Record and refuse a suspended rider's sign-in (commits), handing them the appeal token
    that opens the appeal routes alone (docs/moderation.md)."""
    record_event(
        session,
        event_type="auth.login_refused",
        subject_id=user_id,
        client_ip=client_ip,
        details={"reason": "suspended"},
    )
    session.commit()
    appeal = logic.issue_appeal_token(config.tokens, user_id=user_id, now=utcnow())
    raise AccountSuspended(refusal, appeal_token=appeal)


def start_session(session: Session, config: AccountsConfig, *, user_id: uuid.UUID) -> IssuedTokens:
    """Tokens for a new session (refresh-token family); the caller commits."""
    now = utcnow()
    family_id = uuid.uuid4()
    refresh = logic.new_refresh_token()
    _store_refresh_token(
        session, config, refresh, user_id=user_id, family_id=family_id, started_at=now, now=now
    )
    return _issued(config, refresh, user_id=user_id, family_id=family_id, now=now)


class RefreshTokenReused(NotAuthenticated):
    """A rotated refresh token came back after the grace window: the session was ended."""

    def __init__(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        super().__init__(
            "this refresh token was already used, so the session has been ended to protect "
            "the account; sign in again"
        )
        self.user_id = user_id
        self.session_id = session_id


def refresh_tokens(session: Session, config: AccountsConfig, *, refresh_token: str) -> IssuedTokens:
    """Rotate a refresh token into the next one of its session.

    The same token presented again within `refresh_grace` of its rotation, while the new
    token is still unused, gets that same new token (two tabs racing, a retry after a lost
    answer). Any other reuse ends the whole session and raises RefreshTokenReused (a likely
    theft). NotAuthenticated for an unknown, revoked, idle-expired or too old session.
    """
    now = utcnow()
    stored = repo.get_refresh_token(session, logic.hash_refresh_token(refresh_token))
    if stored is None or not _usable(stored, config, now):
        raise NotAuthenticated(BAD_REFRESH)
    successor = logic.successor_refresh_token(config.tokens.secret, refresh_token)
    user_id, family_id = stored.user_id, stored.family_id
    if stored.used_at is None and repo.mark_refresh_token_used(session, stored.id, now):
        _store_refresh_token(
            session,
            config,
            successor,
            user_id=user_id,
            family_id=family_id,
            started_at=stored.session_started_at,
            now=now,
        )
        session.commit()
        return _issued(config, successor, user_id=user_id, family_id=family_id, now=now)
    # A fresh clock: on PostgreSQL this request may have waited for the winner's commit.
    if config.refresh_grace and _within_grace(session, config, successor, utcnow()):
        session.commit()  # nothing written: the racing refresh already stored the new token
        return _issued(config, successor, user_id=user_id, family_id=family_id, now=now)
    if repo.revoke_family(session, family_id, now) == 0:
        session.commit()  # a racing request found the reuse first: it audits and tells
        raise NotAuthenticated(BAD_REFRESH)
    record_event(
        session,
        event_type="auth.refresh_token_reused",
        subject_id=user_id,
        details={"session_id": str(family_id)},
    )
    session.commit()
    raise RefreshTokenReused(user_id=user_id, session_id=family_id)


def _usable(stored: RefreshToken, config: AccountsConfig, now: datetime) -> bool:
    return (
        stored.revoked_at is None
        and stored.expires_at > now
        and stored.session_started_at + config.session_absolute_ttl > now
    )


def _within_grace(session: Session, config: AccountsConfig, successor: str, now: datetime) -> bool:
    """True if the token's rotation happened moments ago and its successor is still unused."""
    found = repo.get_refresh_token(session, logic.hash_refresh_token(successor))
    return (
        found is not None
        and found.used_at is None
        and found.revoked_at is None
        and now - found.issued_at <= config.refresh_grace
    )


def log_out(session: Session, *, refresh_token: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    """End the session the refresh token belongs to; its (user id, session id), or None for
    an unknown token (ignored)."""
    stored = repo.get_refresh_token(session, logic.hash_refresh_token(refresh_token))
    if stored is None:
        return None
    ended = (stored.user_id, stored.family_id)
    repo.revoke_family(session, stored.family_id, utcnow())
    session.commit()
    return ended


@dataclass(frozen=True)
class Principal:
    """The signed-in user and the session (refresh-token family) the request belongs to.

    `user` is the row, for accounts' own handlers; every other domain gets `view`.
    """

    user: User
    session_id: uuid.UUID
    # None: the web's own token, full access. Else an app's or personal token's scopes.
    scopes: frozenset[str] | None = None

    @property
    def user_id(self) -> uuid.UUID:
        return self.user.id

    @property
    def view(self) -> UserView:
        """The signed-in user as other domains may see them."""
        return view_of(self.user)


def authenticate(session: Session, config: AccountsConfig, *, access_token: str) -> Principal:
    """Who an access token belongs to, if the token and its session are still valid."""
    now = utcnow()
    try:
        claims = logic.verify_access_token(config.tokens, access_token, now=now)
    except logic.TokenError as error:
        raise NotAuthenticated(str(error)) from None
    user = repo.get_active_session_user(
        session,
        claims.user_id,
        claims.session_id,
        now,
        started_after=now - config.session_absolute_ttl,
    )
    if user is None:
        raise NotAuthenticated("the session has ended; sign in again")
    refusal = logic.suspension_refusal(user.suspended_at, user.suspended_until, now)
    if refusal is not None:  # sessions end at suspension; this also covers a racing request
        raise NotAuthenticated(refusal)
    return Principal(user=user, session_id=claims.session_id)


def appealing_user_id(session: Session, config: AccountsConfig, *, token: str) -> uuid.UUID | None:
    """The rider an appeal token (from a suspended rider's refused sign-in) names, if it is
    one and valid and the rider still exists; None for any other token."""
    try:
        user_id = logic.verify_appeal_token(config.tokens, token, now=utcnow())
    except logic.TokenError:
        return None
    return user_id if repo.get_user(session, user_id) is not None else None


def authenticate_app(
    session: Session, *, user_id: uuid.UUID, grant_id: uuid.UUID, scopes: frozenset[str]
) -> Principal:
    """The rider an app (or personal) token acts for, with its scopes; they must be active."""
    user = repo.get_user(session, user_id)
    if user is None:
        raise NotAuthenticated("the rider of this token is gone")
    now = utcnow()
    refusal = logic.suspension_refusal(user.suspended_at, user.suspended_until, now)
    if refusal is not None:
        raise NotAuthenticated(refusal)
    return Principal(user=user, session_id=grant_id, scopes=scopes)


@dataclass(frozen=True)
class SessionView:
    """One live session of a user: a sign-in and the refresh tokens rotated from it."""

    id: uuid.UUID
    started_at: datetime
    last_used_at: datetime  # the sign-in or the latest refresh (access tokens are not tracked)
    expires_at: datetime  # ends here unless refreshed (idle), never past absolute_expires_at
    absolute_expires_at: datetime
    current: bool


def list_sessions(
    session: Session, config: AccountsConfig, *, user_id: uuid.UUID, current_id: uuid.UUID
) -> list[SessionView]:
    """The user's live sessions, newest sign-in first; `current` marks the caller's own."""
    now = utcnow()
    tokens = repo.list_active_sessions(
        session, user_id, now, started_after=now - config.session_absolute_ttl
    )
    return [
        SessionView(
            id=token.family_id,
            started_at=token.session_started_at,
            last_used_at=token.issued_at,
            expires_at=token.expires_at,
            absolute_expires_at=token.session_started_at + config.session_absolute_ttl,
            current=token.family_id == current_id,
        )
        for token in tokens
    ]


def end_session(session: Session, *, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    """Sign one of the user's sessions out, its access tokens included; NotFound if not theirs."""
    if not repo.user_has_session(session, user_id, session_id):
        raise NotFound("you have no session with this id")
    repo.revoke_family(session, session_id, utcnow())
    session.commit()


def change_password(
    session: Session,
    config: AccountsConfig,
    *,
    user: User,
    current_password: str,
    new_password: str,
    keep_session_id: uuid.UUID | None = None,
) -> None:
    """Replace the password after checking the current one; other sessions are ended."""
    if not config.hashing.verify(user.password_hash, current_password):
        raise PermissionDenied("the current password is not correct")
    has_mfa = repo.has_confirmed_mfa(session, user.id)
    session.commit()  # end the read: hashing must not hold the database's write lock
    check_password(new_password, has_mfa=has_mfa)
    user.password_hash = config.hashing.hash(new_password)
    repo.revoke_user_sessions(session, user.id, utcnow(), keep=keep_session_id)
    record_event(session, event_type="auth.password_changed", actor_id=user.id, subject_id=user.id)
    session.commit()


def _store_refresh_token(
    session: Session,
    config: AccountsConfig,
    refresh: str,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    started_at: datetime,
    now: datetime,
) -> None:
    deadline = logic.session_deadline(
        now=now,
        started_at=started_at,
        idle_ttl=config.session_idle_ttl,
        absolute_ttl=config.session_absolute_ttl,
    )
    session.add(
        RefreshToken(
            token_hash=logic.hash_refresh_token(refresh),
            family_id=family_id,
            user_id=user_id,
            issued_at=now,
            session_started_at=started_at,
            expires_at=deadline,
        )
    )


def _issued(
    config: AccountsConfig,
    refresh: str,
    *,
    user_id: uuid.UUID,
    family_id: uuid.UUID,
    now: datetime,
) -> IssuedTokens:
    access = logic.issue_access_token(config.tokens, user_id=user_id, session_id=family_id, now=now)
    return IssuedTokens(access, refresh, int(config.tokens.ttl.total_seconds()))


def check_password(password: str, *, has_mfa: bool) -> None:
    """InvalidInput unless the password keeps the rules (length for the account, not common)."""
    try:
        logic.check_password_policy(password, has_mfa=has_mfa, common=common_passwords())
    except logic.PolicyError as error:
        raise InvalidInput(str(error)) from None


def checked_by_policy(rule: Any, value: str) -> Any:
    """rule(value), its PolicyError turned into InvalidInput (a 422 with the rule's words)."""
    try:
        return rule(value)
    except logic.PolicyError as error:
        raise InvalidInput(str(error)) from None


@dataclass(frozen=True)
class RiderProfile:
    """What other domains may know of a rider: preferences that shape analytics and sharing.

    display_name is the only part others may be shown; the rest stays the rider's.
    """

    user_id: uuid.UUID
    ftp_w: int | None
    max_hr_bpm: int | None
    units: str
    timezone: str
    display_name: str = ""
    share_health_by_default: bool = False


def get_rider_profile(session: Session, user_id: uuid.UUID) -> RiderProfile | None:
    """The rider's analytics preferences, or None if there is no such user."""
    user = repo.get_user(session, user_id)
    if user is None:
        return None
    return RiderProfile(
        user.id,
        user.ftp_w,
        user.max_hr_bpm,
        user.units,
        user.timezone,
        display_name=user.display_name,
        share_health_by_default=user.share_health_by_default,
    )


def rider_profiles(
    session: Session, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, RiderProfile]:
    """The profiles of these riders that exist, by id, from one query per 500 ids."""
    found: dict[uuid.UUID, RiderProfile] = {}
    ids = list(set(user_ids))
    for start in range(0, len(ids), 500):  # far below the bound-parameter limits
        for user in repo.users_by_ids(session, ids[start : start + 500]):
            found[user.id] = RiderProfile(
                user.id,
                user.ftp_w,
                user.max_hr_bpm,
                user.units,
                user.timezone,
                display_name=user.display_name,
                share_health_by_default=user.share_health_by_default,
            )
    return found


def find_user_id_by_email(session: Session, email: str) -> uuid.UUID | None:
    """The id of the account with this e-mail address, if any."""
    try:
        normalised = logic.normalise_email(email)
    except logic.PolicyError:
        return None
    user = repo.get_user_by_email(session, normalised)
    return user.id if user else None


@dataclass(frozen=True)
class Contact:
    """Where a notification may reach a rider: their address and timezone. For the
    notifications domain only; never shown to anyone else."""

    user_id: uuid.UUID
    email: str
    timezone: str


def get_contact(session: Session, user_id: uuid.UUID) -> Contact | None:
    """The rider's e-mail address and timezone, or None if there is no such user (erased)."""
    user = repo.get_user(session, user_id)
    if user is None:
        return None
    return Contact(user.id, user.email, user.timezone)


# Crash alerts look up a rider's few emergency contacts: a bound on the IN list.
MAX_VERIFIED_LOOKUP = 20


def verified_user_ids_by_email(session: Session, emails: Collection[str]) -> dict[str, uuid.UUID]:
    """For each address that is the verified e-mail of an account in good standing (not
    suspended), that account's id, keyed by the address as given. Unparseable addresses are
    left out; InvalidInput past MAX_VERIFIED_LOOKUP addresses."""
    if len(emails) > MAX_VERIFIED_LOOKUP:
        raise InvalidInput(f"expected at most {MAX_VERIFIED_LOOKUP} addresses, got {len(emails)}")
    wanted: dict[str, str] = {}
    for email in emails:
        try:
            wanted[logic.normalise_email(email)] = email
        except logic.PolicyError:
            continue
    if not wanted:
        return {}
    rows = session.execute(
        select(User.id, User.email, User.suspended_at, User.suspended_until).where(
            User.email.in_(wanted), User.email_verified_at.is_not(None)
        )
    )
    now = utcnow()
    return {
        wanted[email]: user_id
        for user_id, email, suspended_at, until in rows
        if logic.suspension_refusal(suspended_at, until, now) is None
    }


def display_names(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The name each of these users shows others, in one query (missing users left out)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids)))
    return {user_id: name for user_id, name in rows}
