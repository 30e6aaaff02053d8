"""Pure account rules: password policy, e-mail normalisation, token formats. No I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import unicodedata
import uuid
import zoneinfo
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from email_validator import EmailNotValidError, validate_email

ROLES = ("rider", "mechanic", "club_admin", "admin")
UNITS = ("metric", "imperial")
# NIST SP 800-63B rev. 4: 15 characters for single-factor accounts, 8 with MFA; at least
# 64 must be accepted. The upper bound only keeps hashing cost bounded.
MIN_PASSWORD_LENGTH = 15
MIN_PASSWORD_LENGTH_WITH_MFA = 8
MAX_PASSWORD_LENGTH = 256
JWT_ALGORITHM = "HS256"
CLOCK_SKEW_S = 60


class PolicyError(ValueError):
    """Input breaks an account rule; the message is safe to show to the user."""


class TokenError(ValueError):
    """An access token is missing, malformed, forged, expired or meant for someone else."""


def normalise_password(password: str) -> str:
    """The password as hashed: NFKC-normalised so the same characters always match."""
    return unicodedata.normalize("NFKC", password)


def check_password_policy(
    password: str, *, has_mfa: bool = False, common: Collection[str] = frozenset()
) -> None:
    """Raise PolicyError if the password is too short, too long or common; no composition rules.

    `common` holds known common and breached passwords, NFKC-normalised and lower-cased.
    """
    normalised = normalise_password(password)
    length = len(normalised)
    minimum = MIN_PASSWORD_LENGTH_WITH_MFA if has_mfa else MIN_PASSWORD_LENGTH
    if length < minimum:
        raise PolicyError(
            f"password must be at least {minimum} characters, got {length}; "
            "a few unrelated words make a strong one"
        )
    if length > MAX_PASSWORD_LENGTH:
        raise PolicyError(
            f"password must be at most {MAX_PASSWORD_LENGTH} characters, got {length}"
        )
    if normalised.lower() in common:
        raise PolicyError(
            "this password is on a list of common or breached passwords; choose another"
        )


def normalise_email(email: str) -> str:
    """The canonical form of an e-mail address (domain lower-cased, local part lower-cased)."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise PolicyError(f"expected a valid e-mail address: {error}") from None
    return result.normalized.lower()


def check_timezone(name: str) -> str:
    """The IANA timezone name if it exists, else PolicyError."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PolicyError(
            f"expected an IANA timezone such as 'Europe/Paris', got {name!r}"
        ) from None
    return name


def new_refresh_token() -> str:
    """A fresh opaque refresh token (256 random bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    """The stored form of a refresh token: its SHA-256 (it is random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def successor_refresh_token(secret: str, token: str) -> str:
    """The refresh token that rotating `token` gives: HMAC-SHA256 under the server's secret.

    Derived rather than random so that a second refresh racing the first (two tabs, a retry
    after a lost answer) can be given the very same new token without storing it in plain:
    only its hash is kept, and nobody without the secret can compute it from the old token.
    """
    digest = hmac.new(secret.encode(), b"refresh-successor:" + token.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def session_deadline(
    *, now: datetime, started_at: datetime, idle_ttl: timedelta, absolute_ttl: timedelta
) -> datetime:
    """When a token issued now stops working: after idle_ttl, never past the absolute end."""
    return min(now + idle_ttl, started_at + absolute_ttl)


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says."""

    user_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class TokenSettings:
    secret: str
    issuer: str
    audience: str
    ttl: timedelta


def issue_access_token(
    settings: TokenSettings, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> str:
    """A signed, short-lived JWT naming the user and the session (refresh-token family)."""
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + settings.ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret, algorithm=JWT_ALGORITHM)


def verify_access_token(settings: TokenSettings, token: str, *, now: datetime) -> AccessClaims:
    """The claims of a valid access token; TokenError for anything else."""
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[JWT_ALGORITHM],  # pinned: alg=none and key-confusion tricks fail here
            audience=settings.audience,
            issuer=settings.issuer,
            # Times are checked below against `now`, so the rule is testable without a clock.
            options={
                "require": ["exp", "iat", "sub", "sid", "aud", "iss"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.InvalidTokenError as error:
        raise TokenError(f"the access token is not valid: {error}") from None
    _check_token_times(claims, now)
    if claims.get("typ") != "access":
        raise TokenError("expected an access token, got another kind of token")
    try:
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            session_id=uuid.UUID(claims["sid"]),
            expires_at=datetime.fromtimestamp(claims["exp"], tz=now.tzinfo),
        )
    except (ValueError, TypeError):
        raise TokenError("the access token names no valid user or session") from None


def _check_token_times(claims: dict[str, Any], now: datetime) -> None:
    exp, iat = claims.get("exp"), claims.get("iat")
    if not isinstance(exp, int) or not isinstance(iat, int):
        raise TokenError("the access token's exp and iat must be whole seconds")
    if exp <= now.timestamp():
        raise TokenError("the access token has expired; refresh it")
    if iat > now.timestamp() + CLOCK_SKEW_S:
        raise TokenError("the access token was issued in the future")


MFA_TOKEN_TTL = timedelta(minutes=5)


def _issue_purpose_token(
    settings: TokenSettings, *, user_id: uuid.UUID, purpose: str, ttl: timedelta, now: datetime
) -> str:
    """A short-lived JWT good for one purpose only (its `typ`), never as an access token."""
    claims: dict[str, Any] = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": str(user_id),
        "typ": purpose,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.secret, algorithm=JWT_ALGORITHM)


def _verify_purpose_token(
    settings: TokenSettings, token: str, *, purpose: str, name: str, now: datetime
) -> uuid.UUID:
    """The user id in a valid token of this purpose; TokenError (naming the token) otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret,
            algorithms=[JWT_ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "sub"], "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidTokenError as error:
        raise TokenError(f"the {name} is not valid: {error}") from None
    _check_token_times(claims, now)
    if claims.get("typ") != purpose:
        raise TokenError(
            f"expected {'an' if name[0] in 'aeiou' else 'a'} {name}, got another kind of token"
        )
    try:
        return uuid.UUID(claims["sub"])
    except (ValueError, TypeError):
        raise TokenError(f"the {name} names no valid user") from None


# For a purpose of another accounts module (e-mail verification), without a private name.
issue_purpose_token = _issue_purpose_token
verify_purpose_token = _verify_purpose_token


def issue_mfa_token(settings: TokenSettings, *, user_id: uuid.UUID, now: datetime) -> str:
    """A short-lived JWT saying "this user's password was right; the second factor is due"."""
    return _issue_purpose_token(
        settings, user_id=user_id, purpose="mfa", ttl=MFA_TOKEN_TTL, now=now
    )


def verify_mfa_token(settings: TokenSettings, token: str, *, now: datetime) -> uuid.UUID:
    """The user id in a valid second-step token; TokenError for anything else."""
    return _verify_purpose_token(
        settings, token, purpose="mfa", name="second-step sign-in token", now=now
    )


# Long enough to read the actions and write an appeal; a new sign-in attempt gives another.
APPEAL_TOKEN_TTL = timedelta(hours=1)


def issue_appeal_token(settings: TokenSettings, *, user_id: uuid.UUID, now: datetime) -> str:
    """A short-lived JWT for a suspended rider whose password was right: it opens the appeal
    routes alone (every other route asks for an access token, which this is not)."""
    return _issue_purpose_token(
        settings, user_id=user_id, purpose="appeal", ttl=APPEAL_TOKEN_TTL, now=now
    )


def verify_appeal_token(settings: TokenSettings, token: str, *, now: datetime) -> uuid.UUID:
    """The user id in a valid appeal token; TokenError for anything else."""
    return _verify_purpose_token(settings, token, purpose="appeal", name="appeal token", now=now)


PASSWORD_RESET_TTL = timedelta(minutes=30)
# At most this many reset e-mails per account per hour, whoever asks and from wherever.
MAX_RESET_MAILS_PER_HOUR = 3


def new_reset_token() -> str:
    """A fresh password-reset token (256 random bits, URL-safe); only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_reset_token(token: str) -> str:
    """The stored form of a reset token: its SHA-256 (it is random, so no salt is needed)."""
    return hashlib.sha256(token.strip().encode()).hexdigest()


def reset_link(public_url: str, token: str) -> str:
    """The web app's reset page with the token in the fragment (never sent to a server)."""
    return f"{public_url.rstrip('/')}/reset-password#token={token}"


def suspension_refusal(
    suspended_at: datetime | None, suspended_until: datetime | None, now: datetime
) -> str | None:
    """Why a suspended account may not sign in now (naming the end, UTC), or None when it is
    not suspended or its timed suspension has ended (it ends by itself, no job needed)."""
    if suspended_at is None:
        return None
    if suspended_until is None:
        return "this account is suspended by a moderator for good"
    if suspended_until <= now:
        return None
    return f"this account is suspended by a moderator until {suspended_until.isoformat()}"
