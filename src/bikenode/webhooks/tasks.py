"""Queue jobs of webhooks: they take a subscription id and open their own sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.queue import JobHandler, JobLease
from bikenode.webhooks.delivery import deliver_due


def deliver_job(
    sessions: sessionmaker[Session], *, allowed: frozenset[str], retry_scale: float = 1.0
) -> JobHandler:
    """The `webhooks.deliver` handler: send the subscription's due deliveries."""

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        deliver_due(
            sessions,
            subscription_id=uuid.UUID(payload["subscription_id"]),
            allowed=allowed,
            retry_scale=retry_scale,
        )

    return run
