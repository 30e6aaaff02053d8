"""Webhook chaos run: a receiver on loopback that fails at random (500s, timeouts, dropped
connections, slow answers, one endpoint answering 410 Gone), ride events through the
dispatcher and the job worker, and the worker killed twice mid-delivery and restarted.
Retries wait for real, on the schedule compressed by BIKENODE_WEBHOOKS_RETRY_DELAY_SCALE, and
are woken by the jobs the deliveries queue for their times (no clock is moved but the killed
worker's one-minute lease).

Every event must reach every live subscription exactly once by webhook-id (a request with a
known id is a redelivery, allowed only when the receiver never answered that id with 2xx,
or when a worker was killed between the receiver's 2xx and recording it), in order per
ride, verified with the Standard Webhooks library; the 410 endpoint ends disabled.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from bikenode.app import make_worker
from bikenode.config import Settings
from bikenode.db.base import utcnow
from bikenode.db.engine import make_session_factory
from bikenode.db.queue import Job
from bikenode.events import Dispatcher, publish
from bikenode.rides import RideChanged, RideImported
from bikenode.webhooks import delivery, transport
from bikenode.webhooks.models import DELIVERED, PENDING, WebhookDelivery, WebhookSubscription
from bikenode.webhooks.service import DELIVER_JOB, create_webhook
from bikenode.webhooks.subscribers import FANOUT
from tests.webhook_receiver import serving

LOOPBACK = frozenset({"127.0.0.1"})
CLIENT_TIMEOUT_S = 0.8  # the sender's timeout, shortened; far above a "slow" answer's 0.05 s
UPDATES_PER_RIDE = 3
FATES = ("500", "500", "drop", "drop", "timeout", "slow", "slow", *["200"] * 5)
MAX_FAILURES_PER_ID = 4  # then the receiver answers: well inside the 10 attempts


@dataclass
class Hit:
    """One request: the webhook-id, which path, the answer given ("drop": none)."""

    msg_id: str
    path: str
    answer: str
    payload: dict[str, Any] | None


@dataclass
class ChaosReceiver:
    """Fails at random but reproducibly: the fate of a request depends on its webhook-id and
    how often that id came before, never on thread timing."""

    base: str
    secrets: dict[str, str] = field(default_factory=dict)  # path -> secret
    hits: list[Hit] = field(default_factory=list)
    store: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (path, id)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (path, id) on each 2xx
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fate(self, path: str, msg_id: str) -> str:
        if path == "/gone":
            return "410"
        with self.lock:
            seen = sum(1 for h in self.hits if h.msg_id == msg_id and h.path == path)
        if seen >= MAX_FAILURES_PER_ID:
            return "200"
        digest = hashlib.sha256(f"{path}|{msg_id}|{seen}".encode()).digest()
        return FATES[digest[0] % len(FATES)]

    def verify(self, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any] | None:
        try:
            payload: dict[str, Any] = Webhook(self.secrets[path]).verify(body, headers)
        except (KeyError, WebhookVerificationError):
            return None
        return payload


@contextmanager
def chaos_receiver() -> Iterator[ChaosReceiver]:
    """The chaos receiver on 127.0.0.1, stopped at the end."""
    receiver = ChaosReceiver(base="")  # its address is known once the server listens

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            msg_id = headers.get("webhook-id", "")
            payload = receiver.verify(self.path, headers, body)
            fate = receiver.fate(self.path, msg_id) if payload is not None else "401"
            with receiver.lock:
                receiver.hits.append(Hit(msg_id, self.path, fate, payload))
                if fate in {"200", "slow"} and payload is not None:
                    receiver.store.setdefault((self.path, msg_id), payload)
                    receiver.accepted.append((self.path, msg_id))
            if fate == "drop":  # no answer at all: the connection just closes
                self.close_connection = True
                return
            if fate in {"timeout", "slow"}:
                time.sleep(CLIENT_TIMEOUT_S * 2 if fate == "timeout" else 0.05)
            status = {"500": 500, "410": 410, "401": 401}.get(fate, 200)
            try:
                self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:  # the sender gave up waiting (a "timeout")
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    with serving(Handler) as base:
        receiver.base = base
        yield receiver


class WorkerKilled(BaseException):
    """The worker process dying: not an Exception, so nothing in the worker catches it."""


@dataclass
class Killer:
    """Kills the worker twice: once right after a receiver answered 2xx (before the outcome
    is recorded) and once after a delivery was claimed but before it was sent."""

    calls: int = 0
    after_2xx: tuple[str, str] | None = None  # (path, webhook-id) sent but never recorded
    before_send: str | None = None
    kills: int = 0

    def wrap(self, real: Any) -> Any:
        def post(target: transport.Target, *, body: bytes, headers: dict[str, str]) -> Any:
            self.calls += 1
            if self.before_send is None and self.calls >= 40:
                self.before_send, self.kills = headers["webhook-id"], self.kills + 1
                raise WorkerKilled
            answer = real(target, body=body, headers=headers)
            if self.after_2xx is None and self.calls >= 15 and 200 <= answer.status < 300:
                self.after_2xx, self.kills = (target.path, headers["webhook-id"]), self.kills + 1
                raise WorkerKilled
            return answer

        return post


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def _dead_worker_times_out(engine: Engine) -> None:
    """The killed worker's job lease and delivery claim run out (they last a minute; this
    moves them instead of sleeping). Retries keep their own, compressed, real times."""
    past = utcnow() - timedelta(seconds=1)
    with engine.begin() as connection:
        connection.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == PENDING, WebhookDelivery.next_attempt_at > utcnow())
            .values(next_attempt_at=past)
        )
        connection.execute(
            update(Job)
            .where(Job.kind == DELIVER_JOB, Job.status == "running")
            .values(lease_until=past)
        )


def _subscribe(
    sessions: sessionmaker[Session], receiver: ChaosReceiver, owner: uuid.UUID, path: str
) -> uuid.UUID:
    with sessions() as session:
        made = create_webhook(
            session,
            owner_id=owner,
            url=receiver.base + path,
            event_types=["ride.created", "ride.updated", "ride.deleted"],
            allowed=LOOPBACK,
        )
        receiver.secrets[path] = made.secret
        return made.subscription.id


def _publish_rides(sessions: sessionmaker[Session], owners: list[uuid.UUID], step: int) -> None:
    """Step 0 creates two rides per owner, later steps update them: events of several
    rides interleaved in one log. The update names its step so order can be checked."""
    with sessions() as session:
        for owner in owners:
            for n in range(2):
                ride = uuid.uuid5(owner, str(n))
                if step == 0:
                    publish(session, RideImported(ride_id=ride, owner_id=owner))
                else:  # a made-up field name carrying the step, for the order check
                    publish(
                        session, RideChanged(ride_id=ride, owner_id=owner, changed=(f"s{step}",))
                    )
        session.commit()


def _step(payload: dict[str, Any]) -> int:
    changed = payload["data"].get("changed")
    return int(changed[0][1:]) if changed else 0


def test_chaos_every_event_reaches_every_live_webhook_once_and_in_order(
    engine: Engine,
    sessions: sessionmaker[Session],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(transport, "TIMEOUT_S", CLIENT_TIMEOUT_S)
    killer = Killer()
    monkeypatch.setattr(delivery, "post", killer.wrap(transport.post))
    worker_settings = settings.model_copy(
        update={"webhooks_allowed_hosts": "127.0.0.1", "webhooks_retry_delay_scale": 0.0001}
    )
    owners = [uuid.uuid4() for _ in range(3)]
    live = {"/a1": owners[0], "/a2": owners[0], "/b1": owners[1], "/c1": owners[2]}
    with chaos_receiver() as receiver:
        ids = {p: _subscribe(sessions, receiver, o, p) for p, o in live.items()}
        gone = _subscribe(sessions, receiver, owners[0], "/gone")
        dispatcher = Dispatcher(sessions, [FANOUT])
        worker = make_worker(worker_settings, sessions)

        def run_worker() -> None:
            nonlocal worker
            try:
                worker.run_until_idle()
            except WorkerKilled:  # restart: a new worker, as after a process restart
                worker = make_worker(worker_settings, sessions)
                _dead_worker_times_out(engine)

        for step in range(1 + UPDATES_PER_RIDE):
            _publish_rides(sessions, owners, step)
            dispatcher.run_until_idle()
            run_worker()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # retries fall due on their own (compressed) times
            run_worker()
            with sessions() as session:
                waiting = session.scalars(
                    select(WebhookDelivery.id).where(
                        WebhookDelivery.status == PENDING,
                        WebhookDelivery.subscription_id.in_(ids.values()),
                    )
                ).all()
            if not waiting:
                break
            time.sleep(0.05)

        with sessions() as session:
            rows = session.scalars(select(WebhookDelivery)).all()
            gone_row = session.get(WebhookSubscription, gone)
            assert gone_row is not None
            gone_disabled, gone_reason = gone_row.disabled_at, gone_row.disabled_reason
        hits, accepted, store = list(receiver.hits), list(receiver.accepted), dict(receiver.store)

    events_per_owner = 2 * (1 + UPDATES_PER_RIDE)
    path_of = {v: k for k, v in ids.items()}
    live_rows = [r for r in rows if r.subscription_id in path_of]
    assert len(live_rows) == len(live) * events_per_owner
    assert {r.status for r in live_rows} == {DELIVERED}
    # Each delivery is in the receiver's store under its own webhook-id, verified.
    assert set(store) == {(path_of[r.subscription_id], r.id) for r in live_rows}
    assert all(h.payload is not None for h in hits)  # every request verified by the library
    # Exactly one 2xx per webhook-id, except the one whose 2xx a killed worker never recorded.
    assert killer.after_2xx is not None
    twice = [key for key in set(accepted) if accepted.count(key) > 1]
    assert twice == [killer.after_2xx] and accepted.count(killer.after_2xx) == 2
    assert killer.kills == 2 and killer.before_send is not None
    # Redeliveries happened (same webhook-id), and the log counts them as attempts.
    assert len(hits) > len(set(accepted)) + 10
    for row in live_rows:
        sent = sum(1 for h in hits if (h.path, h.msg_id) == (path_of[row.subscription_id], row.id))
        lost_records = 1 if (path_of[row.subscription_id], row.id) == killer.after_2xx else 0
        assert row.attempt == sent - lost_records, row.id
    assert {h.answer for h in hits} >= {"500", "timeout", "drop", "slow", "200", "410"}
    # Per ride order: no request for an event before every earlier one of its ride got a 2xx.
    done: set[tuple[str, str, int]] = set()
    for hit in hits:
        if hit.path == "/gone" or hit.payload is None:
            continue
        ride, step = hit.payload["data"]["ride_id"], _step(hit.payload)
        assert all((hit.path, ride, s) in done for s in range(step)), (hit.path, ride, step)
        if hit.answer in {"200", "slow"}:
            done.add((hit.path, ride, step))
    # 410 disabled the endpoint after its one request; nothing went there again.
    assert [h.answer for h in hits if h.path == "/gone"] == ["410"]
    assert gone_disabled is not None and gone_reason is not None and "410" in gone_reason
