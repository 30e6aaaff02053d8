"""A test event, a recording subscriber whose handler can be told to fail, and audit counts."""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bikenode.audit import record_event
from bikenode.audit.models import AuditEvent
from bikenode.events import Envelope, Event, Subscriber, publish

DELIVERED_AUDIT_TYPE = "tests.event_handled"


@dataclass(frozen=True)
class Pinged(Event):
    """A test event: the n-th ping of one key (the aggregate)."""

    type = "tests.pinged"
    aggregate = "key"

    key: str
    n: int


@dataclass
class Recorder:
    """Handles Pinged events: notes each one, writes an audit entry, fails when told to."""

    name: str
    write_audit: bool = False
    delay_s: float = 0.0  # a slow handler, so a kill lands in the middle of a batch
    failures: dict[tuple[str, int], int] = field(default_factory=dict)  # (key, n) -> times
    seen: list[tuple[str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, session: Session, envelope: Envelope) -> None:
        event = envelope.event
        if not isinstance(event, Pinged):
            raise TypeError(f"expected Pinged, got {type(event).__name__}")
        if self.write_audit:
            record_event(
                session,
                event_type=DELIVERED_AUDIT_TYPE,
                details={"subscriber": self.name, "event_id": envelope.id},
            )
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            left = self.failures.get((event.key, event.n), 0)
            if left:
                self.failures[(event.key, event.n)] = left - 1
                raise RuntimeError(f"ping {event.key}/{event.n} refused on purpose")
            self.seen.append((event.key, event.n))

    def subscriber(
        self, *, start: Literal["beginning", "end"] = "beginning", max_attempts: int = 3
    ) -> Subscriber:
        return Subscriber(
            name=self.name,
            event_types=frozenset({Pinged.type}),
            handle=self.handle,
            start=start,
            max_attempts=max_attempts,
        )


def publish_pings(sessions: sessionmaker[Session], pings: list[tuple[str, int]]) -> None:
    """Publish the pings in one committed transaction."""
    with sessions() as session:
        for key, n in pings:
            publish(session, Pinged(key=key, n=n))
        session.commit()


def audited_deliveries(session: Session) -> collections.Counter[tuple[str, int]]:
    """How many audit entries each (subscriber, event id) delivery wrote."""
    details = session.scalars(
        select(AuditEvent.details).where(AuditEvent.event_type == DELIVERED_AUDIT_TYPE)
    )
    return collections.Counter((d["subscriber"], d["event_id"]) for d in details)
