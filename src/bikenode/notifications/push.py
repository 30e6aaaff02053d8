"""Sending a notification to the rider's browsers by web push: check, claim (shared with
e-mail, delivery.py), encrypt and post to each subscription outside any transaction, record.

The payload is encrypted to each browser's keys (aes128gcm, RFC 8291) and signed for with
this server's VAPID key (RFC 8292). It carries what the in-app list shows (title, text,
link) and nothing more. A push service's 404 or 410 means the subscription is gone: it is
removed. No answer, 429 or 5xx is tried again with the e-mail backoff; the delivery keeps
which subscriptions took it (`sent_to`), so a retry posts only to the browsers that have
not. Should a worker die between a post and its record, the one resend is shown under the
notification's id as tag, so a browser that had it replaces it rather than showing it twice.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import requests
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush
from sqlalchemy.orm import Session, sessionmaker

from bikenode.db.base import utcnow
from bikenode.notifications import repo
from bikenode.notifications.addresses import UnresolvedHost, endpoint_refusal
from bikenode.notifications.delivery import Claimed, claim_due, record_attempt, skip
from bikenode.notifications.logic.push import GONE, KEPT, REFUSED, RETRY, outcome
from bikenode.notifications.models import FAILED, SKIPPED, PushSubscription

TTL_S = 24 * 3600  # a phone that is off for a day still gets it; older is not news
TIMEOUT_S = 10.0
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
        refusal = endpoint_refusal(target.endpoint, allowed=context.allowed)
    except UnresolvedHost as error:
        return RETRY, str(error)[:200]
    if refusal is not None:  # a name now resolving to a private address: never called
        return REFUSED, refusal
    info = {"endpoint": target.endpoint, "keys": {"p256dh": target.p256dh, "auth": target.auth}}
    http = requests.Session()
    http.max_redirects = 0  # a push service answers itself; a redirect is refused
    try:
        answer = webpush(
            info,
            data=payload,
            vapid_private_key=context.vapid,
            vapid_claims={"sub": context.subject},  # webpush adds aud and exp (12 h)
            ttl=TTL_S,
            timeout=TIMEOUT_S,
            headers={"Topic": uuid.UUID(json.loads(payload)["id"]).hex, "Urgency": "normal"},
            requests_session=http,
        )
        status: int | None = answer.status_code
    except WebPushException as error:
        status = error.response.status_code if error.response is not None else None
    except requests.TooManyRedirects:
        return REFUSED, "the push service answered with a redirect"
    except requests.RequestException as error:
        return RETRY, f"{type(error).__name__}: {error}"[:200]
    finally:
        http.close()
    return outcome(status), f"the push service answered {status}"


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
