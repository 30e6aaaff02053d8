"""Which events become notifications, for whom: one small pure function per event type.

A domain that wants its riders told about something adds one entry to ROUTES (social:
follow, kudos, comment, mention; market: quote, accepted, message, payment): a function
from its event to the (recipient, type, params) it means, and, when the recipient is not
the object's owner, `may_see` to ask the owning domain's interface at delivery time whether
the recipient may still see the object (a comment on a ride made private since).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bikenode.bikes import ComponentDue
from bikenode.events import Event
from bikenode.health import AlertRaised

# An alert about a day this long before its event is history being imported, not news.
RECENT_ALERT = timedelta(days=3)


@dataclass(frozen=True)
class Intent:
    """Someone to tell something: the recipient, the notification type, ids and enums only."""

    recipient_id: uuid.UUID
    kind: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """How one event type becomes notifications."""

    event: type[Event]
    intents: Callable[[Event, datetime], list[Intent]]  # (event, when it happened)
    # None: every recipient is the object's owner, who may always see it.
    may_see: Callable[[Session, Intent], bool] | None = None


def _component_due(event: Event, occurred_at: datetime) -> list[Intent]:
    """The bike's owner hears that a component crossed its warn or due threshold."""
    if not isinstance(event, ComponentDue):
        raise TypeError(f"expected ComponentDue, got {type(event).__name__}")
    params = {"component_id": str(event.component_id), "threshold": event.threshold}
    return [Intent(event.owner_id, "component_due", params)]


def _alert_raised(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider hears of a new health alert about a recent day; its kind is kept for the
    link, and no value or explanation ever leaves health."""
    if not isinstance(event, AlertRaised):
        raise TypeError(f"expected AlertRaised, got {type(event).__name__}")
    if event.day < (occurred_at - RECENT_ALERT).date():
        return []
    return [Intent(event.owner_id, "health_alert", {"alert_id": str(event.alert_id)})]


ROUTES: dict[str, Route] = {
    ComponentDue.type: Route(ComponentDue, _component_due),
    AlertRaised.type: Route(AlertRaised, _alert_raised),
}


def intents_of(event: Event, occurred_at: datetime) -> list[Intent]:
    """The notifications an event means; none for a type no route names."""
    route = ROUTES.get(event.type)
    return route.intents(event, occurred_at) if route is not None else []


def may_see(session: Session, event_type: str, intent: Intent) -> bool:
    """Whether the recipient may still see the object the notification is about."""
    route = ROUTES.get(event_type)
    if route is None:
        return False
    return route.may_see is None or route.may_see(session, intent)
