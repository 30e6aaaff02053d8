"""The apps API's wire format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal[
    "profile:read",
    "rides:read",
    "rides:read_all",
    "rides:write",
    "live:read",
    "webhooks:manage",
    "fitness:read",
    "health:read",
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
    scopes: list[Scope] = Field(min_length=1, max_length=8)
    expires_at: datetime | None = None


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
