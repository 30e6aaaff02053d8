"""Queue jobs of governance. They take ids and open their own sessions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts, health, live, rides, webhooks
from bikenode.encryption import current_key_ring

REENCRYPT_BATCH = 100

# What a domain's pass walks its rows by: a user or ride id, or a live batch's row id.
RowKey = TypeVar("RowKey")
RowKey_co = TypeVar("RowKey_co", covariant=True)


class _Batch(Protocol[RowKey_co]):
    @property
    def changed(self) -> int: ...

    @property
    def next_after(self) -> RowKey_co | None: ...


def _reseal_all(
    session_factory: sessionmaker[Session],
    reseal_batch: Callable[..., _Batch[RowKey]],
    heartbeat: Callable[[], None],
) -> int:
    """Run a domain's re-seal over all its rows, a batch per commit; how many changed.

    Short transactions: the server keeps serving (and importing) while this runs, and a
    killed worker's retry simply starts the pass again (re-sealed rows are skipped).
    """
    current_key_ring().refresh()  # `bikenode keys rotate` may have added a key since start
    after: RowKey | None = None
    changed = 0
    while True:
        heartbeat()
        with session_factory() as session:
            batch = reseal_batch(session, after=after, limit=REENCRYPT_BATCH)
            session.commit()
        changed += batch.changed
        if batch.next_after is None:
            return changed
        after = batch.next_after


def reencrypt_health(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal every ride's health streams under the current key; the count."""
    return _reseal_all(session_factory, rides.reencrypt_health_batch, heartbeat)


def reseal_totp_secrets(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal every TOTP secret under the current key; the count."""
    return _reseal_all(session_factory, accounts.reseal_totp_batch, heartbeat)


def reseal_body_metrics(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal every rider's weight and resting heart rate under the current key; the count."""
    return _reseal_all(session_factory, accounts.reseal_body_metrics_batch, heartbeat)


def reseal_live_health(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal the heart rate of every stored live batch under the current key; the count."""
    return _reseal_all(session_factory, live.reseal_health_batch, heartbeat)


def reseal_daily_health(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal every daily health value and alert explanation under the current key; the count."""
    changed = _reseal_all(session_factory, health.reseal_metrics_batch, heartbeat)
    return changed + _reseal_all(session_factory, health.reseal_alerts_batch, heartbeat)


def reseal_webhook_secrets(
    session_factory: sessionmaker[Session], *, heartbeat: Callable[[], None] = lambda: None
) -> int:
    """Re-seal every webhook subscription's signing secrets under the current key; the count."""
    return _reseal_all(session_factory, webhooks.reseal_secrets_batch, heartbeat)


def reencrypt_health_job(
    session_factory: sessionmaker[Session],
) -> Callable[[dict[str, Any], Callable[[], None]], None]:
    """The queue handler for governance.reencrypt_health jobs: health streams, live heart
    rate, TOTP secrets, weight and resting heart rate, daily health values and alerts, then
    webhook signing secrets."""

    def handle(_payload: dict[str, Any], heartbeat: Callable[[], None]) -> None:
        reencrypt_health(session_factory, heartbeat=heartbeat)
        reseal_live_health(session_factory, heartbeat=heartbeat)
        reseal_totp_secrets(session_factory, heartbeat=heartbeat)
        reseal_body_metrics(session_factory, heartbeat=heartbeat)
        reseal_daily_health(session_factory, heartbeat=heartbeat)
        reseal_webhook_secrets(session_factory, heartbeat=heartbeat)

    return handle
