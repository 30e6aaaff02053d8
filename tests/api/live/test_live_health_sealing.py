"""Live heart rate at rest: sealed on every path, and every reader still shows it right."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from starlette.testclient import WebSocketTestSession

from bikenode.live.logic import STREAM_OF_COLUMN, encode_batch, streams_from_batches
from bikenode.rides.formats import parse_activity
from bikenode.rides.formats.export import export_activity
from tests.factories import signed_in
from tests.live_tools import columns

BATCHES = (1, 2, 3)
POINTS = 10
# Unusual values in an unusual order (all within the plausible 20..250 bpm): no other
# stored number sequence can match them by chance.
HEART_RATE = [(37 * i + 71) % 190 + 45 for i in range(len(BATCHES) * POINTS)]
# Consecutive values that, found together, give the heart rate away: 4 as numbers in text;
# 6 as raw bytes, so that no random blob (a nonce, a hash) holds them by chance.
WINDOW = 4
BYTE_WINDOW = 6


def _sent(batch_no: int) -> dict[str, list[Any]]:
    sent = columns(batch_no, points=POINTS)
    sent["hr"] = HEART_RATE[(batch_no - 1) * POINTS : batch_no * POINTS]
    return sent


def _windows(size: int = WINDOW) -> list[list[int]]:
    return [HEART_RATE[i : i + size] for i in range(len(HEART_RATE) - size + 1)]


def _text_patterns() -> list[re.Pattern[str]]:
    """The heart rate as numbers in any text: JSON arrays, CSV, XML, floats ("141.0")."""
    gap = r"(?:\.0+)?[^0-9]{1,16}"
    return [
        re.compile(r"(?<![0-9])" + gap.join(str(v) for v in window) + r"(?:\.0+)?(?![0-9])")
        for window in _windows()
    ]


def _binary_patterns() -> list[bytes]:
    """The heart rate as raw numbers: bytes, 16-bit integers either way round."""
    found = []
    for window in _windows(BYTE_WINDOW):
        found.append(bytes(window))
        found.append(b"".join(v.to_bytes(2, "little") for v in window))
        found.append(b"".join(v.to_bytes(2, "big") for v in window))
    return found


def _readings(value: object) -> Iterator[bytes]:
    """A stored value as bytes; decompressed too where it is gzip or zlib data, and its
    heart rate as JSON where it is an activity file (a FIT file interleaves its fields)."""
    if value is None:
        return
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    raw = value if isinstance(value, bytes) else str(value).encode()
    forms = [raw]
    for decompress in (gzip.decompress, zlib.decompress):
        with contextlib.suppress(Exception):
            forms.append(decompress(raw))
    for form in forms:
        yield form
        if form[8:12] == b".FIT":
            streams = parse_activity(form, "stored.fit").streams
            yield json.dumps(streams.get("hr_bpm", np.array([])).tolist()).encode()


def plain_heart_rate(engine: Engine) -> list[str]:
    """Every table.column of the database holding the heart rate in a plain form."""
    texts, blobs = _text_patterns(), _binary_patterns()
    hits = []
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            names = list(result.keys())
            for row in result:
                for name, value in zip(names, row, strict=True):
                    for raw in _readings(value):
                        decoded = raw.decode("latin-1")
                        if any(p.search(decoded) for p in texts) or any(b in raw for b in blobs):
                            hits.append(f"{table}.{name}")
    return sorted(set(hits))


@contextlib.contextmanager
def _socket(client: TestClient, path: str, hello: dict[str, Any]) -> Iterator[WebSocketTestSession]:
    with client.websocket_connect(path) as socket:
        socket.send_json({"type": "hello", **hello})
        yield socket


def _until(socket: WebSocketTestSession, kind: str) -> dict[str, Any]:
    for _ in range(100):
        message: dict[str, Any] = socket.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message")


def _ride_a_group_session(client: TestClient, headers: dict[str, str]) -> tuple[str, list[int]]:
    """A live session in a group ride, ridden over the rider socket while the owner watches;
    its id and the heart rate its viewer was sent."""
    token = headers["Authorization"].removeprefix("Bearer ")
    group = client.post("/api/v1/live/groups", json={"name": "Club run"}, headers=headers)
    body = {"name": "Evening loop", "group_id": group.json()["id"]}
    live = client.post("/api/v1/live/sessions", json=body, headers=headers).json()
    base = f"/api/v1/live/sessions/{live['id']}"
    shown: list[int] = []
    with (
        _socket(client, f"{base}/watch", {"token": token}) as viewer,
        _socket(client, f"{base}/ride", {"token": token}) as rider,
    ):
        assert _until(rider, "welcome")["last_batch"] == 0
        _until(viewer, "state")
        for batch_no in BATCHES:
            rider.send_json(encode_batch(batch_no, _sent(batch_no)))
            assert rider.receive_json()["type"] == "ack"
            shown += _until(viewer, "msg")["data"]["hr"]
    return live["id"], shown


def _exported_heart_rate(client: TestClient, headers: dict[str, str], session_id: str) -> Any:
    response = client.get("/api/v1/me/export", headers=headers)
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    record = json.loads(archive.read(f"live/sessions/{session_id}.json"))
    return record["streams"]["hr_bpm"]


def _ride_heart_rate(client: TestClient, headers: dict[str, str], session_id: str) -> Any:
    ended = client.post(f"/api/v1/live/sessions/{session_id}/end", headers=headers)
    assert ended.status_code == 200, ended.text
    ride_id = ended.json()["ride_id"]
    streams = client.get(f"/api/v1/rides/{ride_id}/streams?keys=hr_bpm", headers=headers)
    assert streams.status_code == 200, streams.text
    return streams.json()["streams"]["hr_bpm"]


def test_viewer_export_and_the_ended_ride_show_the_heart_rate_sent(client: TestClient) -> None:
    _, headers = signed_in(client)
    session_id, shown = _ride_a_group_session(client, headers)
    assert shown == HEART_RATE
    assert _exported_heart_rate(client, headers, session_id) == HEART_RATE
    assert _ride_heart_rate(client, headers, session_id) == pytest.approx(HEART_RATE)


def test_no_table_holds_live_heart_rate_in_plain_from_any_path(
    client: TestClient, engine: Engine
) -> None:
    _, headers = signed_in(client)
    session_id, _shown = _ride_a_group_session(client, headers)
    with engine.connect() as connection:
        sealed = connection.execute(
            text("SELECT health_sealed, health_key_id FROM live_batches")
        ).all()
    assert len(sealed) == len(BATCHES)
    assert all(blob is not None and key_id for blob, key_id in sealed)
    _exported_heart_rate(client, headers, session_id)  # the export is audited: scan that too
    _ride_heart_rate(client, headers, session_id)  # the ride, its streams and its events
    assert plain_heart_rate(engine) == []

    # The scan finds heart rate stored the way live batches held it before it was sealed.
    old_form = json.dumps(_sent(1), separators=(",", ":")).encode()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE live_batches SET points = :points WHERE batch_no = 1"),
            {"points": old_form},
        )
    assert plain_heart_rate(engine) == ["live_batches.points"]


def _fit_of_the_ride() -> bytes:
    """The ride as a FIT file (what a stored original of the ended session would hold)."""
    streams = streams_from_batches([_sent(n) for n in BATCHES])
    assert STREAM_OF_COLUMN["hr"][0] in streams
    return export_activity(streams, fmt="fit", name="Evening loop", sport="cycling")


@pytest.mark.parametrize(
    "planted",
    [
        pytest.param(json.dumps({"hr_bpm": [float(v) for v in HEART_RATE]}).encode(), id="json"),
        pytest.param(",".join(map(str, HEART_RATE[5:12])).encode(), id="csv"),
        pytest.param(bytes(HEART_RATE[3:11]), id="uint8"),
        pytest.param(gzip.compress(json.dumps(HEART_RATE[:6]).encode()), id="gzip-json"),
        pytest.param(gzip.compress(_fit_of_the_ride()), id="gzip-fit"),
    ],
)
def test_the_scan_finds_heart_rate_planted_in_any_plain_form(
    client: TestClient, engine: Engine, planted: bytes
) -> None:
    _, headers = signed_in(client)
    _ride_a_group_session(client, headers)
    assert plain_heart_rate(engine) == []
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE live_batches SET health_sealed = :planted WHERE batch_no = 2"),
            {"planted": planted},
        )
    assert plain_heart_rate(engine) == ["live_batches.health_sealed"]
