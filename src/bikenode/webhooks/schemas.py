"""The webhooks API's wire format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EventType = Literal["ride.created", "ride.updated", "ride.deleted"]


class WebhookCreate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    url: str = Field(
        max_length=2048,
        description="http(s) URL of a public address; redirects are not followed",
        examples=["https://hooks.example.org/bikenode"],
    )
    event_types: list[EventType] = Field(min_length=1, max_length=3)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    url: str | None = Field(default=None, max_length=2048)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=3)
    enabled: bool | None = Field(default=None, description="true re-enables a disabled webhook")


class WebhookPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID | None = Field(description="the app whose webhook it is; null: yours")
    url: str
    event_types: list[str]
    consecutive_failures: int
    disabled_at: datetime | None
    disabled_reason: str | None
    created_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(description="whsec_...: shown only now; verify signatures with it")


class WebhookList(BaseModel):
    webhooks: list[WebhookPublic]


class SecretRotated(BaseModel):
    secret: str = Field(description="the new secret; the previous one signs for 24 more hours")


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="the webhook-id header of every attempt")
    type: str
    status: Literal["pending", "delivered", "failed", "gone", "withdrawn"] = Field(
        description="withdrawn: an app's delivery whose rider revoked the grant first"
    )
    attempt: int
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_response: str | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


class DeliveryList(BaseModel):
    deliveries: list[DeliveryPublic]
