"""The dispatcher thread that `serve` runs: rounds for every subscriber, woken on commit."""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.db.engine import begin_read
from bikenode.events.dispatch import (
    RoundResult,
    Subscriber,
    anything_due,
    deliver_rounds,
    ensure_subscribers,
)
from bikenode.events.metrics import EventMetrics
from bikenode.events.outbox import NOTIFY_CHANNEL, add_commit_listener, remove_commit_listener
from bikenode.events.service import events_status

log = logging.getLogger("bikenode.events")
GAUGE_REFRESH_S = 5.0
UNRIPE_RECHECK_S = 0.01
# How long a woken dispatcher lets further commits gather before its round: events wait at
# most this much longer, and a burst of writes costs a few rounds instead of one each.
COALESCE_S = 0.05


class Dispatcher:
    """Delivers outbox events to subscribers in a background thread until stopped.

    It wakes when a transaction of this process that published commits, on PostgreSQL when
    any node's does (LISTEN/NOTIFY), and otherwise every poll_s.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        subscribers: list[Subscriber],
        *,
        batch_size: int = 500,
        poll_s: float = 1.0,
        coalesce_s: float = COALESCE_S,
        metrics: EventMetrics | None = None,
    ) -> None:
        names = [subscriber.name for subscriber in subscribers]
        if len(set(names)) != len(names):
            raise ValueError(f"expected unique subscriber names, got {sorted(names)}")
        self._sessions = session_factory
        self._subscribers = subscribers
        self._batch_size = batch_size
        self._poll_s = poll_s
        self._coalesce_s = coalesce_s
        self._metrics = metrics
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._gauges_at = 0.0
        self._registered = False

    def start(self) -> None:
        self._stop.clear()
        add_commit_listener(self.wake)
        self._threads = [threading.Thread(target=self._loop, name="bikenode-events", daemon=True)]
        if self._sessions.kw["bind"].dialect.name == "postgresql":
            listener = threading.Thread(target=self._listen, name="bikenode-events-listen")
            self._threads.append(listener)
        for thread in self._threads:
            thread.daemon = True
            thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        remove_commit_listener(self.wake)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout_s)

    def wake(self) -> None:
        """Look for events now instead of at the next poll."""
        self._wake.set()

    def run_until_idle(self, *, max_rounds: int = 10_000) -> int:
        """Deliver in this thread until no subscriber has anything due; return events handled."""
        handled = 0
        for _ in range(max_rounds):
            results = self.run_once()
            handled += sum(result.delivered for result in results)
            if not any(result.busy for result in results):
                break
        return handled

    def run_once(self) -> list[RoundResult]:
        """One round for every subscriber."""
        if not self._registered:
            with self._sessions() as session:
                ensure_subscribers(session, self._subscribers)
            self._registered = True
        with self._sessions() as session:
            results = deliver_rounds(
                session, self._subscribers, batch_size=self._batch_size, now=utcnow()
            )
        for name, result in results.items():
            self._count(name, result)
        return list(results.values())

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            wait_s = self._poll_s
            try:
                results = self.run_once() if self._anything_due() else []
                self.refresh_gauges(every_s=GAUGE_REFRESH_S)
                if any(self._more_due(result) for result in results):
                    continue
                if any(result.unripe for result in results):
                    wait_s = UNRIPE_RECHECK_S  # no commit of theirs will wake us: look again soon
            except Exception:  # the loop must survive a broken database connection
                log.exception("event dispatcher error")
            # A commit during the round left the wake set: the next round starts at once.
            if self._wake.wait(wait_s):
                # Woken by a commit: under load, the commits just behind it share the round
                # (a round costs a write transaction, whatever it carries).
                self._stop.wait(self._coalesce_s)

    def _anything_due(self) -> bool:
        if not self._registered:
            return True  # the first round registers the subscribers
        with self._sessions() as session:
            return anything_due(session, self._subscribers, now=utcnow())

    def _more_due(self, result: RoundResult) -> bool:
        """Whether a round stopped at its batch size, so more is waiting right now (a round
        that took less than a batch drained the log: commits since then wake the loop)."""
        return result.read >= self._batch_size or result.delivered + result.failed >= (
            self._batch_size
        )

    def _listen(self) -> None:
        import psycopg

        url = self._sessions.kw["bind"].url.set(drivername="postgresql")
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                ) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self._wake.set()
            except Exception:
                log.warning("event listener lost its connection; polling meanwhile", exc_info=True)
                self._stop.wait(self._poll_s)

    def _count(self, name: str, result: RoundResult) -> None:
        if self._metrics is None:
            return
        self._metrics.delivered.labels(name).inc(result.delivered)
        self._metrics.failed.labels(name).inc(result.failed)
        self._metrics.dead_lettered.labels(name).inc(result.dead)

    def refresh_gauges(self, *, every_s: float = 0.0) -> None:
        """Set the pending, lag and dead-letter gauges from the database (at most every_s)."""
        if self._metrics is None or time.monotonic() - self._gauges_at < every_s:
            return
        self._gauges_at = time.monotonic()
        with self._sessions() as session:
            begin_read(session)
            now = utcnow()
            for status in events_status(session):
                self._metrics.pending.labels(status.name).set(status.pending)
                self._metrics.dead.labels(status.name).set(status.dead)
                oldest = status.oldest_pending_at
                self._metrics.lag.labels(status.name).set(
                    (now - oldest).total_seconds() if oldest else 0.0
                )
