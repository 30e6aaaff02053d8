"""What health announces to other domains (through the outbox, see bikenode.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from bikenode.events import Event


@dataclass(frozen=True)
class AlertRaised(Event):
    """A new explained alert on the rider's daily values. It carries the alert's kind and
    day only, never the values or the explanation (those stay sealed in health)."""

    type = "health.alert_raised"
    aggregate = "alert_id"
    user = "owner_id"

    alert_id: uuid.UUID
    owner_id: uuid.UUID
    kind: str
    day: date
