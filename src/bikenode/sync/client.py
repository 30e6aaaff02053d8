"""A Python client for BikeNode sync: a local SQLite store, a durable outbox, push and pull.

    client = SyncClient("phone.sqlite3", base_url="http://127.0.0.1:8000", token=access_token)
    client.pull()                                   # the records as the server has them
    client.edit("ride", ride_id, name="Col du Galibier", visibility="public")
    client.sync()                                   # push the outbox (retried), then pull

Edits are written to the outbox and committed before `edit` returns, so they survive a
crash or a restart; `push` sends them in batches, retrying lost requests and answers (the
server applies each mutation once, whatever is retried). The local view of a record is the
server's state from the last pull with the outbox's edits on top.

A device's clock may be wrong: the client follows the server's time (from every answer),
and if the server still refuses a stamp as too far ahead it restamps the unsent edits.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import random
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bikenode.sync.logic.hlc import HybridClock, Stamp, wall_clock_ms

DEFAULT_BATCH = 500
TRUST_SERVER_DRIFT_MS = 2**62  # stamps from the server were checked there already
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0, fields TEXT NOT NULL,
    PRIMARY KEY (record_type, record_id));
CREATE TABLE IF NOT EXISTS outbox (
    counter INTEGER PRIMARY KEY, record_type TEXT NOT NULL, record_id TEXT NOT NULL,
    body TEXT NOT NULL, acked INTEGER NOT NULL DEFAULT 0);
"""


class SyncError(Exception):
    """The server refused a request for good (not worth retrying), or retries ran out."""

    def __init__(self, message: str, *, status: int | None = None, problem: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem if isinstance(problem, dict) else {}


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Transport(Protocol):
    def __call__(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Reply: ...


class HttpTransport:
    """Plain HTTP(S) with the standard library; network failures raise OSError."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s

    def __call__(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> Reply:
        request = urllib.request.Request(  # noqa: S310 (the caller's configured server)
            self.base_url + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310  # nosec B310
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Reply(error.code, dict(error.headers), error.read())


@dataclass
class PushReport:
    """What a push did: mutations confirmed, requests sent, retries, conflicts reported."""

    confirmed: int = 0
    requests: int = 0
    retries: int = 0
    restamped: int = 0
    conflicts: list[str] = field(default_factory=list)


@dataclass
class PullReport:
    """What a pull did: changes stored, pages and bytes fetched, open conflicts."""

    changes: int = 0
    requests: int = 0
    retries: int = 0
    pages: int = 0
    bytes_received: int = 0
    open_conflicts: int = 0


class SyncClient:
    """One device's replica: its local store, its outbox, and the server it syncs with."""

    def __init__(
        self,
        path: str | Path,
        *,
        token: str | Callable[[], str],
        base_url: str | None = None,
        transport: Transport | None = None,
        client_id: str | None = None,
        now_ms: Callable[[], int] = wall_clock_ms,
        max_attempts: int = 12,
        backoff_s: float = 0.02,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if transport is None:
            if base_url is None:
                raise ValueError("expected base_url or transport, got neither")
            transport = HttpTransport(base_url)
        self.transport = transport
        self._token = token
        self._local_ms = now_ms
        self.max_attempts, self.backoff_s, self._sleep = max_attempts, backoff_s, sleep
        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # an acknowledged edit is on disk
        self.db.executescript(SCHEMA)
        with self._transaction():
            stored_id = self._meta("client_id")
            if stored_id is None:
                stored_id = client_id or f"c{uuid.uuid4().hex}"
                self._set_meta("client_id", stored_id)
        self.client_id = stored_id
        self._offset_ms = int(self._meta("offset_ms") or 0)
        last = self._meta("hlc")
        self.clock = HybridClock(
            self.client_id,
            now_ms=self._physical_ms,
            max_drift_ms=TRUST_SERVER_DRIFT_MS,
            last=Stamp.parse(last) if last else Stamp(0, 0, self.client_id),
        )

    def close(self) -> None:
        self.db.close()

    # Local reads and edits.

    def get(self, record_type: str, record_id: str) -> dict[str, Any] | None:
        """The record as this device sees it (pulled state plus unsent edits); None if none."""
        row = self.db.execute(
            "SELECT deleted, fields FROM records WHERE record_type = ? AND record_id = ?",
            (record_type, record_id),
        ).fetchone()
        if row is None or row[0]:
            return None
        values = {name: state["value"] for name, state in json.loads(row[1]).items()}
        for (body,) in self.db.execute(
            "SELECT body FROM outbox WHERE record_type = ? AND record_id = ? ORDER BY counter",
            (record_type, record_id),
        ):
            mutation = json.loads(body)
            if mutation.get("delete"):
                return None
            for name, edit in mutation["fields"].items():
                values[name] = _overlay(values.get(name), edit)
        return values

    def record_ids(self, record_type: str) -> list[str]:
        """The ids of the records of a type this device knows (deleted ones excluded)."""
        rows = self.db.execute(
            "SELECT record_id FROM records WHERE record_type = ? AND deleted = 0 ORDER BY 1",
            (record_type,),
        )
        return [record_id for (record_id,) in rows if self.get(record_type, record_id)]

    def edit(self, record_type: str, record_id: str, **values: Any) -> int:
        """Set fields (last-writer-wins and text fields); returns the mutation's counter."""
        current = self._require(record_type, record_id)
        fields: dict[str, Any] = {}
        for name, value in values.items():
            fields[name] = {"value": value}
            if isinstance(current.get(name), str):
                fields[name]["base"] = current[name]
        return self._queue(record_type, record_id, {"fields": fields})

    def add(self, record_type: str, record_id: str, field_name: str, amount: float) -> int:
        """Add to a counter field (negative to take away)."""
        self._require(record_type, record_id)
        return self._queue(record_type, record_id, {"fields": {field_name: {"amount": amount}}})

    def add_elements(self, record_type: str, record_id: str, field_name: str, *items: str) -> int:
        """Add elements to a set field."""
        self._require(record_type, record_id)
        edit = {"add": list(items)}
        return self._queue(record_type, record_id, {"fields": {field_name: edit}})

    def remove_elements(
        self, record_type: str, record_id: str, field_name: str, *items: str
    ) -> int:
        """Remove elements from a set field (only the copies this device has seen)."""
        self._require(record_type, record_id)
        tags = self._mirror_field(record_type, record_id, field_name).get("tags") or {}
        seen = [tag for tag, item in tags.items() if item in items]
        edit = {"remove": seen, "drop": list(items)}  # drop: the local view's hint only
        return self._queue(record_type, record_id, {"fields": {field_name: edit}})

    def delete(self, record_type: str, record_id: str) -> int:
        """Delete a record."""
        self._require(record_type, record_id)
        return self._queue(record_type, record_id, {"delete": True})

    def pending(self) -> int:
        """Edits not yet confirmed by the server."""
        return int(self.db.execute("SELECT count(*) FROM outbox WHERE acked = 0").fetchone()[0])

    # Talking to the server.

    def sync(self, *, batch: int = DEFAULT_BATCH) -> tuple[PushReport, PullReport]:
        """Push every unsent edit, then pull every change."""
        return self.push(batch=batch), self.pull()

    def push(self, *, batch: int = DEFAULT_BATCH) -> PushReport:
        """Send the outbox in batches until the server has confirmed every edit."""
        report = PushReport()
        while True:
            rows = self.db.execute(
                "SELECT counter, record_type, record_id, body FROM outbox WHERE acked = 0 "
                "ORDER BY counter LIMIT ?",
                (batch,),
            ).fetchall()
            if not rows:
                return report
            mutations = [
                {"counter": c, "record_type": t, "record_id": i, **_wire(json.loads(b))}
                for c, t, i, b in rows
            ]
            body = json.dumps({"client_id": self.client_id, "mutations": mutations}).encode()
            try:
                answer = self._call("POST", "/api/v1/sync/push", body, report)
            except SyncError as error:
                if error.status == 422 and "server_time_ms" in error.problem:
                    if report.restamped >= 3:
                        raise
                    self._restamp(error.problem)
                    report.restamped += 1
                    continue
                raise
            self._confirm(answer, report)

    def pull(self, *, limit: int = 1000) -> PullReport:
        """Fetch every change since the last pull into the local store, page by page."""
        report = PullReport()
        acked_before = self.db.execute(
            "SELECT coalesce(max(counter), 0) FROM outbox WHERE acked = 1"
        ).fetchone()[0]
        while True:
            cursor = self._meta("cursor")
            query = f"?limit={limit}" + (f"&cursor={cursor}" if cursor is not None else "")
            page = self._call("GET", "/api/v1/sync/pull" + query, None, report)
            with self._transaction():
                for change in page["changes"]:
                    self._store_change(change)
                self._set_meta("cursor", page["cursor"])
                self._save_clock()
            report.changes += len(page["changes"])
            report.pages += 1
            report.open_conflicts = page["open_conflicts"]
            if not page["has_more"]:
                break
        with self._transaction():  # the pulled state now holds what the server confirmed
            self.db.execute("DELETE FROM outbox WHERE acked = 1 AND counter <= ?", (acked_before,))
        return report

    def conflicts(self) -> list[dict[str, Any]]:
        """The open conflicts the rider should settle."""
        items: list[dict[str, Any]] = self._call("GET", "/api/v1/sync/conflicts", None)["items"]
        return items

    def resolve(self, conflict_id: str, value: str) -> dict[str, Any]:
        """Settle a conflict with the value to keep (pull to see it locally)."""
        body = json.dumps({"value": value}).encode()
        path = f"/api/v1/sync/conflicts/{conflict_id}/resolve"
        answer: dict[str, Any] = self._call("POST", path, body)
        return answer

    # Internals.

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def _physical_ms(self) -> int:
        return self._local_ms() + self._offset_ms

    def _save_clock(self) -> None:
        self._set_meta("hlc", str(self.clock.last))

    def _require(self, record_type: str, record_id: str) -> dict[str, Any]:
        current = self.get(record_type, record_id)
        if current is None:
            raise KeyError(f"no {record_type} {record_id} on this device; pull first")
        return current

    def _mirror_field(self, record_type: str, record_id: str, name: str) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT fields FROM records WHERE record_type = ? AND record_id = ?",
            (record_type, record_id),
        ).fetchone()
        state: dict[str, Any] = json.loads(row[0]).get(name, {}) if row else {}
        return state

    def _queue(self, record_type: str, record_id: str, mutation: dict[str, Any]) -> int:
        with self._transaction():
            counter = int(self._meta("next_counter") or 1)
            mutation = _stamped(mutation, self.clock.tick())
            self.db.execute(
                "INSERT INTO outbox (counter, record_type, record_id, body) VALUES (?, ?, ?, ?)",
                (counter, record_type, record_id, json.dumps(mutation)),
            )
            self._set_meta("next_counter", str(counter + 1))
            self._save_clock()
        return counter

    def _restamp(self, problem: dict[str, Any]) -> None:
        """Follow the server's clock and stamp every unsent edit again (none was applied)."""
        self._learn_time(problem)
        server = Stamp.parse(str(problem["server_hlc"]))
        self.clock.reset(Stamp(server.wall_ms, server.counter, self.client_id))
        with self._transaction():
            rows = self.db.execute(
                "SELECT counter, body FROM outbox WHERE acked = 0 ORDER BY counter"
            ).fetchall()
            for counter, body in rows:
                restamped = _stamped(json.loads(body), self.clock.tick())
                self.db.execute(
                    "UPDATE outbox SET body = ? WHERE counter = ?", (json.dumps(restamped), counter)
                )
            self._save_clock()

    def _confirm(self, answer: dict[str, Any], report: PushReport) -> None:
        with self._transaction():
            for result in answer["results"]:
                self.db.execute(
                    "UPDATE outbox SET acked = 1 WHERE counter = ?", (result["counter"],)
                )
                report.conflicts.extend(result.get("conflicts") or [])
            self._save_clock()
        report.confirmed += len(answer["results"])

    def _store_change(self, change: dict[str, Any]) -> None:
        key = (change["record_type"], change["record_id"])
        if change.get("deleted"):
            self.db.execute(
                "INSERT OR REPLACE INTO records (record_type, record_id, deleted, fields) "
                "VALUES (?, ?, 1, '{}')",
                key,
            )
            return
        row = self.db.execute(
            "SELECT fields FROM records WHERE record_type = ? AND record_id = ?", key
        ).fetchone()
        fields = json.loads(row[0]) if row else {}
        for name, state in change["fields"].items():
            fields[name] = state
            self.clock.receive(Stamp.parse(state["hlc"]))
        self.db.execute(
            "INSERT OR REPLACE INTO records (record_type, record_id, deleted, fields) "
            "VALUES (?, ?, 0, ?)",
            (*key, json.dumps(fields)),
        )

    def _learn_time(self, answer: dict[str, Any]) -> None:
        """Follow the server's wall clock (and merge its stamp into ours)."""
        if "server_time_ms" in answer:
            self._offset_ms = int(answer["server_time_ms"]) - self._local_ms()
            self._set_meta("offset_ms", str(self._offset_ms))
        if "server_hlc" in answer:
            self.clock.receive(Stamp.parse(str(answer["server_hlc"])))

    def _call(
        self, method: str, path: str, body: bytes | None, report: Any = None
    ) -> dict[str, Any]:
        """The decoded JSON answer, retrying network failures and busy answers."""
        token = self._token() if callable(self._token) else self._token
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept-Encoding": "gzip",
            "Content-Type": "application/json",
        }
        for attempt in range(self.max_attempts):
            if report is not None:
                report.requests += 1
                report.retries += attempt > 0
            try:
                reply = self.transport(method, path, body, headers)
            except OSError:
                self._backoff(attempt, None)
                continue
            if reply.status in RETRY_STATUSES:
                self._backoff(attempt, reply.headers.get("Retry-After"))
                continue
            data = _decode(reply)
            if isinstance(report, PullReport):
                report.bytes_received += len(reply.body)
            if reply.status >= 400:
                detail = data.get("detail", "") if isinstance(data, dict) else ""
                raise SyncError(
                    f"{method} {path} answered {reply.status}: {detail}",
                    status=reply.status,
                    problem=data,
                )
            if isinstance(data, dict):
                self._learn_time(data)
            return data  # type: ignore[no-any-return]
        raise SyncError(f"{method} {path}: no answer after {self.max_attempts} attempts")

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        delay = min(2.0, self.backoff_s * 2**attempt) * (0.5 + random.random())  # noqa: S311  # nosec B311
        if retry_after and retry_after.isdigit():
            delay = max(delay, float(retry_after))
        self._sleep(delay)


def _decode(reply: Reply) -> Any:
    body = reply.body
    encoding = {k.lower(): v for k, v in reply.headers.items()}.get("content-encoding", "")
    if encoding.lower() == "gzip":
        body = gzip.decompress(body)
    try:
        return json.loads(body) if body else {}
    except ValueError:
        return {"detail": body[:200].decode("utf-8", "replace")}


def _stamped(mutation: dict[str, Any], stamp: Stamp) -> dict[str, Any]:
    """The mutation with every field (or the delete) stamped with `stamp`."""
    if mutation.get("delete"):
        return {**mutation, "hlc": str(stamp)}
    fields = {name: {**edit, "hlc": str(stamp)} for name, edit in mutation["fields"].items()}
    return {**mutation, "fields": fields}


def _wire(mutation: dict[str, Any]) -> dict[str, Any]:
    """The mutation as the server takes it (local hints removed)."""
    if mutation.get("delete"):
        return mutation
    fields = {
        name: {k: v for k, v in edit.items() if k != "drop"}
        for name, edit in mutation["fields"].items()
    }
    return {**mutation, "fields": fields}


def _overlay(current: Any, edit: dict[str, Any]) -> Any:
    """A value with one unsent edit applied, as the server will most likely apply it."""
    if "value" in edit:
        return edit["value"]
    if "amount" in edit:
        return (current or 0) + edit["amount"]
    elements = set(current or [])
    elements.difference_update(edit.get("drop", []))
    elements.update(edit.get("add", []))
    return sorted(elements)
