"""Sending due deliveries: claim, sign, POST (outside any transaction), record the outcome.

Times come from `now` (injectable, so tests move the clock instead of sleeping); the
`webhook-timestamp` header is the wall clock at sending, which receivers check against theirs.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bikenode.apps import granted_scopes
from bikenode.db.base import utcnow
from bikenode.db.queue import QUEUED, Job, enqueue
from bikenode.encryption import DecryptionFailed
from bikenode.events import publish
from bikenode.pinned import Answer
from bikenode.webhooks import repo
from bikenode.webhooks.events import FAILING_REASON, GONE_REASON, WebhookDisabled
from bikenode.webhooks.logic.payloads import covers, holds
from bikenode.webhooks.logic.schedule import next_attempt_at, should_disable
from bikenode.webhooks.logic.signing import signature_header
from bikenode.webhooks.models import (
    DELIVERED,
    FAILED,
    GONE,
    PENDING,
    WITHDRAWN,
    WebhookDelivery,
    WebhookSubscription,
)
from bikenode.webhooks.sealing import active_secrets, open_secrets
from bikenode.webhooks.service import DELIVER_JOB
from bikenode.webhooks.transport import UnsafeUrl, check_url, post

CLAIM = timedelta(seconds=60)  # another worker leaves a claimed delivery alone this long
KEPT_RESPONSE_CHARS = 2048
Clock = Callable[[], datetime]


def deliver_due(
    sessions: sessionmaker[Session],
    *,
    subscription_id: uuid.UUID,
    allowed: frozenset[str],
    now: Clock = utcnow,
    retry_scale: float = 1.0,
) -> int:
    """Send every due delivery of the subscription, in order per object; how many were tried.

    When a failed one waits for a retry, a job is queued for the time it falls due.
    """
    tried = 0
    while True:
        with sessions() as session:
            subscription = session.get(WebhookSubscription, subscription_id)
            if subscription is None or subscription.disabled_at is not None:
                return tried
            heads = [d.id for d in repo.due_heads(session, subscription_id, now=now())]
        progressed = False
        for delivery_id in heads:
            if _attempt(sessions, delivery_id, allowed=allowed, now=now, scale=retry_scale):
                tried += 1
                progressed = True
        if not progressed:
            break
    # Also when nothing was due: a head claimed by a worker that died comes due again later.
    _schedule_next(sessions, subscription_id)
    return tried


def _attempt(
    sessions: sessionmaker[Session],
    delivery_id: str,
    *,
    allowed: frozenset[str],
    now: Clock,
    scale: float,
) -> bool:
    with sessions() as session:
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return False
        subscription = session.get(WebhookSubscription, delivery.subscription_id)
        if subscription is None or subscription.disabled_at is not None:
            return False  # e.g. a 410 for another ride earlier in this same pass
        if _withdrawn(session, subscription, delivery):
            return True  # progress: a later delivery of the same ride may now go
        if not _claim(session, delivery, now()):
            return False
        body = json.dumps(delivery.payload, separators=(",", ":")).encode()
        url = subscription.url
        try:
            secrets = active_secrets(open_secrets(subscription), now=now())
        except DecryptionFailed:
            secrets = []
    answer, error = _send(url, delivery_id, body, secrets, allowed)
    with sessions() as session:
        _record(session, delivery_id, answer, error, now(), scale)
        session.commit()
    return True


def _withdrawn(
    session: Session, subscription: WebhookSubscription, delivery: WebhookDelivery
) -> bool:
    """True (and the delivery withdrawn, committed) when it is an app's and the rider's grants
    no longer give what it needed: a revocation stops deliveries at once, queued ones
    included, and a private ride's delivery needs rides:read_all still."""
    if subscription.app_id is None or delivery.rider_id is None:
        return False
    scopes = granted_scopes(session, app_id=subscription.app_id, user_id=delivery.rider_id)
    if covers(delivery.type, scopes) and holds(delivery.needs_scope, scopes):
        return False
    delivery.status, delivery.next_attempt_at = WITHDRAWN, None
    session.commit()
    return True


def _claim(session: Session, delivery: WebhookDelivery, now: datetime) -> bool:
    """Push the delivery's due time ahead so no other worker sends it meanwhile; commits."""
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            WebhookDelivery.status == PENDING,
            WebhookDelivery.next_attempt_at == delivery.next_attempt_at,
        )
        .values(next_attempt_at=now + CLAIM)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return claimed.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def _send(
    url: str, msg_id: str, body: bytes, secrets: list[str], allowed: frozenset[str]
) -> tuple[Answer | None, str | None]:
    if not secrets:
        return None, "the subscription's secrets cannot be read (data key missing)"
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "user-agent": "BikeNode-Webhooks/1",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(
            secrets, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
    try:
        target = check_url(url, allowed=allowed)  # again: the name may resolve elsewhere now
        return post(target, body=body, headers=headers), None
    except UnsafeUrl as error:
        return None, str(error)
    except (OSError, http.client.HTTPException) as error:
        return None, f"{type(error).__name__}: {error}"[:500]


def _record(
    session: Session,
    delivery_id: str,
    answer: Answer | None,
    error: str | None,
    now: datetime,
    scale: float,
) -> None:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        return
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    delivery.attempt += 1
    delivery.last_attempt_at, delivery.last_error = now, error
    delivery.last_status_code = answer.status if answer else None
    delivery.last_response = (
        answer.body.decode("utf-8", "replace")[:KEPT_RESPONSE_CHARS] if answer else None
    )
    if answer is not None and 200 <= answer.status < 300:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DELIVERED, now, None
        if subscription is not None:
            subscription.consecutive_failures, subscription.failing_since = 0, None
        return
    if answer is not None and answer.status == 410:
        delivery.status, delivery.next_attempt_at = GONE, None
        if subscription is not None:
            _disable(session, subscription, now, GONE_REASON)
        return
    delivery.next_attempt_at = next_attempt_at(delivery.attempt, now=now, scale=scale)
    if delivery.next_attempt_at is None:
        delivery.status = FAILED
    if subscription is not None:
        subscription.consecutive_failures += 1
        subscription.failing_since = subscription.failing_since or now
        if should_disable(subscription.failing_since, now=now):
            _disable(session, subscription, now, FAILING_REASON)


REASONS = {
    GONE_REASON: "the receiver answered 410 Gone",
    FAILING_REASON: "deliveries failed for 3 days without a success",
}


def _disable(
    session: Session, subscription: WebhookSubscription, now: datetime, reason: str
) -> None:
    """Switch the subscription off and announce it to its owner, in the caller's transaction.

    The conditional UPDATE lets only one of two workers recording failures at once disable
    it, so its owner hears of it once; a later attempt finds it disabled and says nothing.
    """
    session.flush()  # this attempt's counters first: the UPDATE below reloads the row
    switched = session.execute(
        update(WebhookSubscription)
        .where(WebhookSubscription.id == subscription.id, WebhookSubscription.disabled_at.is_(None))
        .values(disabled_at=now, disabled_reason=REASONS[reason])
        .execution_options(synchronize_session="fetch")
    )
    if switched.rowcount != 1:  # type: ignore[attr-defined]
        return
    fact = WebhookDisabled(
        subscription_id=subscription.id,
        owner_id=subscription.owner_id,
        app_id=subscription.app_id,
        host=urlsplit(subscription.url).hostname or "",
        reason=reason,
        failing_since=subscription.failing_since if reason == FAILING_REASON else None,
        attempts=subscription.consecutive_failures,
    )
    publish(session, fact)


def _schedule_next(sessions: sessionmaker[Session], subscription_id: uuid.UUID) -> None:
    """Queue a job for when the next pending head falls due (a retry's time), unless a
    queued job of the subscription already runs by then."""
    with sessions() as session:
        due = repo.next_pending_at(session, subscription_id)
        if due is None or _job_queued_by(session, subscription_id, due):
            return
        job = enqueue(session, DELIVER_JOB, {"subscription_id": str(subscription_id)})
        job.run_after = due
        session.commit()


def _job_queued_by(session: Session, subscription_id: uuid.UUID, due: datetime) -> bool:
    payloads = session.scalars(
        select(Job.payload).where(
            Job.kind == DELIVER_JOB, Job.status == QUEUED, Job.run_after <= due
        )
    )
    return any(p.get("subscription_id") == str(subscription_id) for p in payloads)
