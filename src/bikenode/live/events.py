"""What live announces to other domains (through the outbox, see bikenode.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bikenode.events import Event


@dataclass(frozen=True)
class CrashSuspected(Event):
    """The rider's track looks like a crash: they are warned and may cancel. Ids only; the
    position stays in live."""

    type = "live.crash_suspected"
    aggregate = "alert_id"
    user = "owner_id"

    alert_id: uuid.UUID
    owner_id: uuid.UUID


@dataclass(frozen=True)
class CrashAlertSent(Event):
    """The rider did not cancel: their contacts were mailed the last position. It names the
    addresses mailed (not opted out) so that contacts who ride here are told in the app too."""

    type = "live.crash_alert_sent"
    aggregate = "alert_id"
    user = "owner_id"

    alert_id: uuid.UUID
    owner_id: uuid.UUID
    contacts: tuple[str, ...]
    stopped_at: datetime
    lat: float
    lon: float
