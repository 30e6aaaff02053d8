"""What webhooks announces to other domains (through the outbox, see bikenode.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bikenode.events import Event

GONE_REASON, FAILING_REASON = "gone", "failing"


@dataclass(frozen=True)
class WebhookDisabled(Event):
    """A subscription was switched off by its deliveries (not by its owner): the receiver
    answered 410 Gone (`reason` "gone"), or every attempt failed since `failing_since`
    ("failing", `attempts` failures in a row). It names the URL's host, never the URL's path
    or query (they may hold a token) nor the secret."""

    type = "webhooks.webhook_disabled"
    aggregate = "subscription_id"
    user = "owner_id"

    subscription_id: uuid.UUID
    owner_id: uuid.UUID  # the rider, or the app's developer for an app's subscription
    app_id: uuid.UUID | None
    host: str
    reason: str
    failing_since: datetime | None
    attempts: int
