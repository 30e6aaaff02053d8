"""Sending a notification to the rider's browsers by web push: check, claim (shared with
e-mail, delivery.py), encrypt and post to each subscription outside any transaction, record.

The payload is encrypted to each browser's keys (aes128gcm, RFC 8291; pywebpush) and signed
for with this server's VAPID key (RFC 8292). The endpoint's host is resolved and checked right
before the post (addresses.py), and the post goes to that checked address only (pinned,
bikenode/pinned.py), with the host name kept for the Host header and TLS: a DNS answer that
changes in between (rebinding) cannot lead it to a private address. No redirect is followed
(a 3xx refuses the push), no proxy is used, each read waits at most TIMEOUT_S and only the
first MAX_ANSWER_BYTES of an answer are read.

It carries what the in-app list shows (title, text, link) and nothing more. A push
service's 404 or 410 means the subscription is gone: it is removed. No answer, 429 or 5xx
is tried again with the e-mail backoff; the delivery keeps which subscriptions took it
(`sent_to`), so a retry posts only to the browsers that have not. Should a worker die between a post and its record, the one resend is shown under the
notification's id as tag, so a browser that had it replaces it rather than showing it twice.
"""

from __future__ import annotations

import http.client
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import SplitResult, urlsplit

from py_vapid import Vapid02
from pywebpush import WebPusher
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.notifications import repo
from bikenode.notifications.addresses import RefusedEndpoint, UnresolvedHost, checked_endpoint
from bikenode.notifications.delivery import Claimed, claim_due, record_attempt, skip
from bikenode.notifications.logic.push import GONE, KEPT, REFUSED, RETRY, outcome
from bikenode.notifications.models import FAILED, SKIPPED, PushSubscription
from bikenode.pinned import post_pinned

TTL_S = 24 * 3600  # a phone that is off for a day still gets it; older is not news
TIMEOUT_S = 10.0  # to connect, and for each read of the answer
VAPID_EXP_S = 12 * 3600  # how long the signed claim holds; RFC 8292 allows at most 24 h
MAX_ANSWER_BYTES = 4 * 1024  # only the status matters; the rest of an answer is not read
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PushContext:
    """The VAPID key messages are signed with, the contact push services see (`sub`), and
    the hosts allowed although they resolve to non-public addresses."""

    vapid: Vapid02
    subject: str
    allowed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Target:
    id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


def send_push(
    sessions: sessionmaker[Session],
    *,
    delivery_id: uuid.UUID,
    context: PushContext,
    now: Clock = utcnow,
) -> str:
    """Try the push delivery if it is due; returns its state afterwards."""
    with sessions() as session:
        payload, targets, state = _prepare(session, delivery_id, now())
        session.commit()
    if not targets:
        return state
    results = {t.id: _post(context, t, payload) for t in targets}
    with sessions() as session:
        state = _record(session, delivery_id, results, now())
        session.commit()
    return state


def _prepare(
    session: Session, delivery_id: uuid.UUID, moment: datetime
) -> tuple[bytes, list[Target], str]:
    claimed = claim_due(session, delivery_id, moment)
    if isinstance(claimed, str):
        return b"", [], claimed
    reached = set(claimed.delivery.sent_to or ())
    targets = [
        Target(s.id, s.endpoint, s.p256dh, s.auth)
        for s in repo.pushes_of_user(session, claimed.delivery.user_id)
        if s.id.hex not in reached
    ]
    if not targets and reached:  # the browsers left all have it already
        return b"", [], record_attempt(session, claimed.delivery.id, None, moment)
    if not targets:
        skip(claimed.delivery, "the recipient has no push subscription left")
        return b"", [], SKIPPED
    return payload_of(claimed), targets, claimed.delivery.state


def payload_of(claimed: Claimed) -> bytes:
    """What the service worker shows: the in-app title, text and link, and the id it is
    shown under."""
    shown = claimed.notification
    body = {"id": str(shown.id), "title": shown.title, "text": shown.text, "link": shown.link}
    return json.dumps(body).encode()


def _post(context: PushContext, target: Target, payload: bytes) -> tuple[str, str]:
    """(outcome, what happened) of posting the encrypted payload to one subscription."""
    try:
        pinned = checked_endpoint(target.endpoint, allowed=context.allowed)
    except UnresolvedHost as error:
        return RETRY, str(error)[:200]
    except RefusedEndpoint as error:  # a name now resolving to a private address: never called
        return REFUSED, str(error)
    parts = urlsplit(target.endpoint)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        answer = post_pinned(
            pinned,
            path,
            body=_encrypted(target, payload),
            headers=_headers(context, parts, payload),
            timeout_s=TIMEOUT_S,
            max_answer_bytes=MAX_ANSWER_BYTES,
        )
    except (OSError, http.client.HTTPException) as error:
        return RETRY, f"{type(error).__name__}: {error}"[:200]
    return outcome(answer.status), f"the push service answered {answer.status}"


def _encrypted(target: Target, payload: bytes) -> bytes:
    """The payload encrypted to the browser's keys (aes128gcm, RFC 8291)."""
    info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
    body: bytes = WebPusher(info).encode(payload, "aes128gcm")["body"]
    return body


def _headers(context: PushContext, parts: SplitResult, payload: bytes) -> dict[str, str]:
    """The VAPID authorisation for the endpoint's origin (RFC 8292) and the push headers."""
    claims = {
        "sub": context.subject,
        "aud": f"{parts.scheme}://{parts.netloc}",
        "exp": int(time.time()) + VAPID_EXP_S,
    }
    return {
        "Authorization": context.vapid.sign(claims)["Authorization"],
        "Content-Encoding": "aes128gcm",
        "Content-Type": "application/octet-stream",
        "TTL": str(TTL_S),
        "Topic": uuid.UUID(json.loads(payload)["id"]).hex,
        "Urgency": "normal",
    }


def _record(
    session: Session,
    delivery_id: uuid.UUID,
    results: dict[uuid.UUID, tuple[str, str]],
    moment: datetime,
) -> str:
    """Remove the subscriptions that are gone and keep those that took it; then retried
    if any may take it later, sent if any took it (now or before), else ended as failed
    (refused) or skipped (no subscription left)."""
    delivery = repo.delivery(session, delivery_id)
    if delivery is None:
        return "missing"
    for subscription_id, (verdict, _) in results.items():
        row = session.get(PushSubscription, subscription_id)
        if verdict == GONE and row is not None:
            session.delete(row)
    took = [s.hex for s, (verdict, _) in results.items() if verdict == KEPT]
    delivery.sent_to = sorted({*(delivery.sent_to or ()), *took})  # a new list: JSON is replaced
    verdicts = [verdict for verdict, _ in results.values()]
    errors = "; ".join(sorted({said for verdict, said in results.values() if verdict != KEPT}))
    if RETRY in verdicts:
        return record_attempt(session, delivery_id, errors[:500], moment)
    if delivery.sent_to:
        return record_attempt(session, delivery_id, None, moment)
    delivery.attempts += 1
    delivery.state = FAILED if REFUSED in verdicts else SKIPPED
    delivery.last_error, delivery.next_try_at = errors[:500], None
    return delivery.state
