"""Tables owned by apps: registered OAuth2 clients, riders' grants, codes and tokens.

Every secret (client secret, code, access and refresh token, personal token) is stored as
its SHA-256: they are 256-bit random strings, so a fast hash is enough and a leaked table
yields nothing usable.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class App(Base):
    """A third-party program registered by a rider (its owner)."""

    __tablename__ = "apps_apps"
    __table_args__ = (Index("ix_apps_apps_owner_id", "owner_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    name: Mapped[str] = mapped_column(String(80))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_secret_hash: Mapped[str | None] = mapped_column(String(64))  # None: a public client
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @property
    def confidential(self) -> bool:
        """True for a server-side app that authenticates with its client secret."""
        return self.client_secret_hash is not None


class AppGrant(Base):
    """A rider's consent to one app for some scopes: the family of its tokens."""

    __tablename__ = "apps_grants"
    __table_args__ = (Index("ix_apps_grants_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    app_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    scope: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AuthorizationCode(Base):
    """A code handed to the app's redirect URI: single use, short-lived, bound to PKCE."""

    __tablename__ = "apps_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[uuid.UUID]
    app_id: Mapped[uuid.UUID]
    redirect_uri: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(String(400))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]  # kept after use: a second use revokes the grant


class AppToken(Base):
    """An access token and the refresh token issued with it; refreshing rotates both."""

    __tablename__ = "apps_tokens"
    __table_args__ = (
        Index("ix_apps_tokens_access_hash", "access_hash", unique=True),
        Index("ix_apps_tokens_refresh_hash", "refresh_hash", unique=True),
        Index("ix_apps_tokens_grant_id", "grant_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    grant_id: Mapped[uuid.UUID]
    access_hash: Mapped[str] = mapped_column(String(64))
    refresh_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(400))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    access_expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]  # its refresh token was used: a second use is theft
    revoked_at: Mapped[datetime | None]


class PersonalToken(Base):
    """A rider's own scoped token for scripts, shown once."""

    __tablename__ = "apps_personal_tokens"
    __table_args__ = (
        Index("ix_apps_personal_tokens_user_id", "user_id"),
        Index("ix_apps_personal_tokens_token_hash", "token_hash", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    user_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(400))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
