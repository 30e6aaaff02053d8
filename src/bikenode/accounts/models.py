"""Tables owned by the accounts domain: users and their refresh-token sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class User(Base):
    __tablename__ = "accounts_users"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20), default="rider")
    # Granted by an admin beside the role (a mechanic may moderate too): the moderation queue.
    moderator: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set by a moderator's suspension (social): no sign-in, no session, until suspended_until
    # (None: for good). Checked at read time, so a timed suspension ends by itself.
    suspended_at: Mapped[datetime | None]
    suspended_until: Mapped[datetime | None]
    # When a link mailed to `email` was last used (a password reset): the address is the
    # rider's. Others may trust the address only then (live's crash alerts find contacts by it).
    email_verified_at: Mapped[datetime | None]
    units: Mapped[str] = mapped_column(String(10), default="metric")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    ftp_w: Mapped[int | None]
    max_hr_bpm: Mapped[int | None]
    # Whether others see heart rate and power of the rider's public rides when a ride does
    # not say (rides.share_health). Off by default: heart rate is health data.
    share_health_by_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Age and weight classes on segment boards: the birth year (a year, not a date: enough for
    # a ten-year band) and whether the rider lets boards use it and their weight. Off by default.
    birth_year: Mapped[int | None]
    share_board_classes: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Weight and resting heart rate, sealed together in one AES-256-GCM blob bound to this
    # row (accounts/body_metrics.py); NULL while neither is set. One blob, not one each: the
    # two are always written, rotated and erased together, and a fixed-size plaintext keeps
    # the ciphertext length from telling which is set or how many digits a weight has.
    # `body_metrics_key_id` names the key so that rotation finds what to re-seal.
    body_metrics_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    body_metrics_key_id: Mapped[str | None] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RefreshToken(Base):
    """One issued refresh token. Tokens rotated from one login share a family (a session)."""

    __tablename__ = "accounts_refresh_tokens"
    __table_args__ = (Index("ix_accounts_refresh_tokens_family", "family_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_users.id", ondelete="CASCADE"), index=True
    )
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the session's sign-in happened, copied onto every rotated token: the absolute
    # lifetime counts from here (BIKENODE_SESSION_ABSOLUTE_TTL_S), however often it refreshes.
    session_started_at: Mapped[datetime]
    # The idle deadline (issued_at + BIKENODE_SESSION_IDLE_TTL_S), never past the absolute one.
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class MfaFactor(Base):
    """A user's TOTP secret; MFA is on once `confirmed_at` is set (a code was verified)."""

    __tablename__ = "accounts_mfa_factors"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_users.id", ondelete="CASCADE"), primary_key=True
    )
    # The base32 TOTP secret sealed with the data key ring (AES-256-GCM, bound to the user:
    # accounts/sealing.py); `key_id` names the key so that rotation finds what to re-seal.
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(40), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    # The newest time step whose code was accepted: a code is good once (RFC 6238, 5.2).
    last_used_step: Mapped[int] = mapped_column(default=0)


class RecoveryCode(Base):
    """One single-use recovery code, stored as its SHA-256 (the code is 80 random bits)."""

    __tablename__ = "accounts_recovery_codes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_users.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed attempts for one key (an account, an IP, an account from an IP, a TOTP user)."""

    __tablename__ = "accounts_login_throttles"

    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]


class RatePlan(Base):
    """A user's rate-limit tier and an admin's per-user override (requests per minute)."""

    __tablename__ = "accounts_rate_plans"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_users.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(16), default="standard")
    requests_per_minute: Mapped[int | None]
    set_by: Mapped[uuid.UUID | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PasswordResetToken(Base):
    """A single-use password-reset token, stored as its SHA-256 (the token has 256 random bits)."""

    __tablename__ = "accounts_password_reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts_users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
