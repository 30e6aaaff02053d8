"""The notifications API's wire format."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Channel = Literal["in_app", "email", "push"]
# Every type of logic.catalogue.KINDS (a unit test keeps the two equal), for the OpenAPI enum.
Kind = Literal[
    "component_due",
    "health_alert",
    "crash_suspected",
    "crash_alert",
    "follow_requested",
    "new_follower",
    "follow_accepted",
    "kudos",
    "comment",
    "mention",
    "quote_received",
    "quote_accepted",
    "quote_declined",
    "job_started",
    "job_completed",
    "payment_received",
    "payment_refunded",
    "job_expired",
    "review_posted",
    "review_replied",
    "moderation_action",
    "club_ride",
    "club_post",
    "club_join_accepted",
    "webhook_disabled",
]


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    type: str
    title: str
    text: str
    link: str = Field(description="a path of the web app")
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page")
    unread: int


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


class Choice(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    type: Kind
    channel: Channel
    enabled: bool


class QuietHoursWindow(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    start_min: int = Field(ge=0, le=1439, description="minutes after local midnight")
    end_min: int = Field(ge=0, le=1439, description="may be before start: over midnight")


class DigestChoiceIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    type: Literal["kudos", "comment", "new_follower", "follow_accepted"]  # logic.digest
    period: Literal["off", "daily", "weekly"]


class DigestScheduleWindow(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    hour: int = Field(ge=0, le=23, description="in your timezone")
    weekday: int = Field(ge=0, le=6, description="0 Monday .. 6 Sunday, for weekly digests")


class PreferencesUpdate(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    # Every type on every channel (18 x 3 today), with room for the types to come.
    choices: list[Choice] = Field(default_factory=list, max_length=100)
    quiet_hours: QuietHoursWindow | None = Field(
        default=None, description="e-mail waits for their end, in your timezone"
    )
    clear_quiet_hours: bool = False
    digests: list[DigestChoiceIn] = Field(
        default_factory=list, max_length=20, description="chatty types mailed as one digest"
    )
    digest_schedule: DigestScheduleWindow | None = None


class TypePreferences(BaseModel):
    type: str
    label: str
    channels: dict[str, bool]


class PreferencesPublic(BaseModel):
    types: list[TypePreferences]
    quiet_hours: QuietHoursWindow | None
    digests: dict[str, str] = Field(description="type -> off, daily or weekly")
    digest_schedule: DigestScheduleWindow
    timezone: str = Field(description="quiet hours are in this zone (your profile's)")


class UnsubscribeTarget(BaseModel):
    type: str
    label: str


class Unsubscribed(BaseModel):
    type: str
    label: str
    email: Literal[False] = False


class PushKey(BaseModel):
    public_key: str = Field(description="VAPID public key: pass as applicationServerKey")


class PushKeys(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    p256dh: str = Field(min_length=80, max_length=100, description="base64url P-256 point")
    auth: str = Field(min_length=16, max_length=32, description="base64url 16-byte secret")


class PushSubscriptionCreate(BaseModel):
    """A browser's PushSubscription.toJSON(), as it comes."""

    model_config = ConfigDict(strict=True, extra="ignore")  # expirationTime and the like

    endpoint: str = Field(min_length=1, max_length=1000, description="https only")
    keys: PushKeys


class PushSubscriptionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint: str
    created_at: datetime
