"""The live notification stream (Server-Sent Events) on a real uvicorn server: the unread
count, then each new notification the moment the dispatcher commits it; only one's own;
signed-in only; a cap per rider. With Redis, a notification made on node A reaches a page
streaming from node B."""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from bikenode.app import create_app
from bikenode.config import Settings
from bikenode.notifications.stream import MAX_STREAMS_PER_USER
from tests.api.social.helpers import Rider, ride, rider
from tests.servers import redis_server, served_app

WAIT_S = 10.0
PATH = "/api/v1/notifications/stream"


class Events:
    """The events of one open stream, read in a thread of its own (http.client: a plain
    HTTP/1.1 client that hands over each line as it arrives)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        host, port = base.removeprefix("http://").split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.status: queue.Queue[int] = queue.Queue()
        self.headers: dict[str, str] = {}
        self.thread = threading.Thread(target=self._read, args=(headers,), daemon=True)
        self.thread.start()

    def _read(self, headers: dict[str, str]) -> None:
        try:
            self.connection.request("GET", PATH, headers=headers)
            response = self.connection.getresponse()
            self.headers = dict(response.getheaders())
            self.status.put(response.status)
            name = ""
            while line := response.readline().decode():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ").strip()
                elif line.startswith("data: "):
                    self.events.put((name, json.loads(line.removeprefix("data: "))))
        except Exception:  # closed under it by the test, http.client fails in several
            pass  # ways: a reset socket, a cut chunk, its file gone

    def next(self) -> tuple[str, dict[str, Any]]:
        return self.events.get(timeout=WAIT_S)

    def close(self) -> None:
        if self.connection.sock is not None:
            with contextlib.suppress(OSError):
                self.connection.sock.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self.thread.join(timeout=WAIT_S)


@contextmanager
def streaming(base: str, headers: dict[str, str]) -> Iterator[Events]:
    events = Events(base, headers)
    try:
        assert events.status.get(timeout=WAIT_S) == 200
        yield events
    finally:
        events.close()


def _app(settings: Settings, **update: Any) -> Iterator[FastAPI]:
    update = {"rate_limit_enabled": False} | update
    application = create_app(settings.model_copy(update=update))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def app(settings: Settings, engine: Engine) -> Iterator[FastAPI]:
    yield from _app(settings)


def _kudos(client: TestClient, giver: Rider, ride_id: str) -> None:
    answer = client.post(f"/api/v1/rides/{ride_id}/kudos", headers=giver.headers)
    assert answer.status_code == 200, answer.text


def _dispatch(app: FastAPI) -> Callable[[], int]:
    return app.state.events.run_until_idle  # type: ignore[no-any-return]


def test_a_new_notification_arrives_on_the_open_stream_with_the_count(
    app: FastAPI, client: TestClient
) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    with (
        served_app(app) as base,
        streaming(base, anna.headers) as annas,
        streaming(base, bob.headers) as bobs,
    ):
        assert annas.next() == ("unread", {"unread": 0})
        assert bobs.next() == ("unread", {"unread": 0})
        _kudos(client, bob, ride_id)
        started = time.monotonic()
        _dispatch(app)()
        name, body = annas.next()
        took_s = time.monotonic() - started
        assert name == "notification" and body["unread"] == 1
        assert body["notification"]["type"] == "kudos"
        assert body["notification"]["link"] == f"/rides/{ride_id}"
        assert took_s < 2.0  # pushed at commit, not found by a poll
        with pytest.raises(queue.Empty):  # bob gave it: nothing of anna's reaches him
            bobs.events.get(timeout=0.5)


def test_the_stream_needs_a_sign_in_and_caps_each_riders_streams(
    app: FastAPI, client: TestClient
) -> None:
    anna = rider(client, "Anna")
    with served_app(app) as base:
        for headers in ({}, {"Authorization": "Bearer not-a-token"}):
            refused = Events(base, headers)
            assert refused.status.get(timeout=WAIT_S) == 401
            refused.close()
        opened: list[Events] = []
        try:
            for _ in range(MAX_STREAMS_PER_USER):
                opened.append(Events(base, anna.headers))
                assert opened[-1].status.get(timeout=WAIT_S) == 200
            extra = Events(base, anna.headers)
            assert extra.status.get(timeout=WAIT_S) == 429
            assert "retry-after" in {name.lower() for name in extra.headers}
            extra.close()
        finally:
            for events in opened:
                events.close()
        # Closed streams are forgotten: a new one opens.
        deadline = time.monotonic() + WAIT_S
        while True:
            again = Events(base, anna.headers)
            status = again.status.get(timeout=WAIT_S)
            again.close()
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)  # the server notices the closed connections on its loop
        assert status == 200


def test_with_redis_a_notification_made_on_one_node_reaches_a_stream_on_another(
    settings: Settings, engine: Engine
) -> None:
    with redis_server() as url:
        a = next(_app(settings, redis_url=url))
        b = next(_app(settings, redis_url=url))
        try:
            client = TestClient(a)
            anna, bob = rider(client, "Anna"), rider(client, "Bob")
            ride_id = ride(client, anna)
            with served_app(a), served_app(b) as base_b, streaming(base_b, anna.headers) as annas:
                assert annas.next() == ("unread", {"unread": 0})
                _kudos(client, bob, ride_id)
                assert _dispatch(a)() >= 1  # node A's dispatcher makes it; B never runs one
                name, body = annas.next()
                assert name == "notification" and body["unread"] == 1
                assert body["notification"]["type"] == "kudos"
        finally:
            a.state.engine.dispose()
            b.state.engine.dispose()
