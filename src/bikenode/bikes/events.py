"""What bikes announces to other domains (through the outbox, see bikenode.events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from bikenode.events import Event


@dataclass(frozen=True)
class ComponentDue(Event):
    """A component crossed a threshold of its service interval: `warn` (the warn fraction,
    80% by default) or `due` (100%), on the day it really happened (UTC)."""

    type = "bikes.component_due"
    aggregate = "component_id"
    user = "owner_id"

    component_id: uuid.UUID
    owner_id: uuid.UUID
    threshold: str
    crossed_on: date
