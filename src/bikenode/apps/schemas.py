"""The apps API's wire format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Scope = Literal[
    "profile:read",
    "rides:read",
    "rides:read_all",
    "rides:write",
    "live:read",
    "live:write",
    "webhooks:manage",
    "fitness:read",
    "fitness:write",
    "health:read",
    "health:write",
    "social:read",
    "social:write",
    "segments:read",
    "segments:write",
    "bikes:read",
    "bikes:write",
    "market:read",
    "market:write",
    "notifications:read",
    "notifications:write",
    "routes:read",
    "routes:write",
    "sync",
]
RedirectUri = str


class AppCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    redirect_uris: list[RedirectUri] = Field(
        min_length=1,
        max_length=10,
        description="exact-match URIs: https, or http on 127.0.0.1 / localhost",
        examples=[["https://coach.example.org/callback"]],
    )
    confidential: bool = Field(description="true: a server-side app that keeps a client secret")


class AppUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=80)
    redirect_uris: list[RedirectUri] | None = Field(default=None, min_length=1, max_length=10)


class AppPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    client_id: str
    redirect_uris: list[str]
    confidential: bool
    created_at: datetime


class AppCreated(AppPublic):
    client_secret: str | None = Field(description="shown this once (confidential apps only)")


class AppList(BaseModel):
    apps: list[AppPublic]


class GrantPublic(BaseModel):
    id: uuid.UUID
    app_name: str
    scopes: list[str]
    created_at: datetime


class GrantList(BaseModel):
    grants: list[GrantPublic]


class ConsentDetails(BaseModel):
    app_name: str
    scopes: dict[str, str] = Field(description="scope -> what it lets the app do, in plain words")


class Decision(BaseModel):
    redirect_to: str = Field(description="where the browser goes next: the app's redirect URI")


class PersonalTokenCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)
    scopes: list[Scope] = Field(min_length=1, max_length=32)  # every scope fits in 400 chars
    # A JSON string is no datetime to strict mode; aware only: a naive one is ambiguous.
    expires_at: AwareDatetime | None = Field(
        default=None, strict=False, examples=["2027-01-01T00:00:00Z"]
    )


class PersonalTokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    scope: str
    created_at: datetime
    expires_at: datetime | None


class PersonalTokenCreated(PersonalTokenPublic):
    token: str = Field(description="shown this once")


class PersonalTokenList(BaseModel):
    tokens: list[PersonalTokenPublic]
