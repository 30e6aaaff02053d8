"""Pure live rules: batch decoding and checks, resume plans, rate limits, backoff, streams."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.live.broker import Envelope, MemoryBroker
from bikenode.live.logic import (
    BadFrame,
    ResumePlan,
    decode_batch,
    encode_batch,
    parse_frame,
    plan_resume,
    reconnect_delay_s,
    streams_from_batches,
)
from tests.live_tools import run_async

NOW_MS = 1_800_000_000_000


@given(
    st.lists(
        st.tuples(
            st.integers(1, 5_000),
            st.integers(-900_000_000, 900_000_000),
            st.integers(-1_800_000_000, 1_800_000_000),
        ),
        min_size=1,
        max_size=100,
    )
)
def test_delta_encoding_round_trips_any_valid_track(points: list[tuple[int, int, int]]) -> None:
    times, total = [], NOW_MS - 10**9
    for step, _, _ in points:
        total += step
        times.append(total)
    columns: dict[str, list[int | None]] = {
        "t": list(times),
        "lat": [p[1] for p in points],
        "lon": [p[2] for p in points],
    }
    batch = decode_batch(
        encode_batch(7, columns), max_points=100, after_time_ms=None, now_ms=NOW_MS
    )
    assert batch.batch_no == 7
    assert batch.columns == columns


def _frame(**overrides: object) -> dict[str, object]:
    frame: dict[str, object] = {
        "type": "batch",
        "batch": 1,
        "t": [NOW_MS - 2000, 1000],
        "lat": [515_000_000, 10],
        "lon": [-1_200_000, 10],
    }
    frame.update(overrides)
    return frame


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"batch": 0}, "malformed"),
        ({"batch": True}, "malformed"),
        ({"t": []}, "malformed"),
        ({"t": [NOW_MS - 2000, "1"]}, "malformed"),
        ({"lat": [515_000_000]}, "malformed"),
        ({"lon": None}, "malformed"),
        ({"lat": [899_999_999, 2]}, "out_of_range"),
        ({"lon": [-1_800_000_000, -1]}, "out_of_range"),
        ({"t": [NOW_MS + 10 * 60_000, 1000]}, "out_of_range"),
        ({"t": [100_000, 1000]}, "out_of_range"),
        ({"t": [NOW_MS - 2000, 0]}, "time_backwards"),
        ({"hr": [120, 400]}, "out_of_range"),
        ({"ele": [95_000, 0]}, "out_of_range"),
    ],
)
def test_decode_batch_refuses_bad_batches_with_a_code(
    overrides: dict[str, object], code: str
) -> None:
    with pytest.raises(BadFrame) as refused:
        decode_batch(_frame(**overrides), max_points=100, after_time_ms=None, now_ms=NOW_MS)
    assert refused.value.code == code


def test_a_batch_starting_at_or_before_the_last_stored_point_goes_back_in_time() -> None:
    with pytest.raises(BadFrame) as refused:
        decode_batch(_frame(), max_points=100, after_time_ms=NOW_MS - 2000, now_ms=NOW_MS)
    assert refused.value.code == "time_backwards"
    ok = decode_batch(_frame(), max_points=100, after_time_ms=NOW_MS - 2001, now_ms=NOW_MS)
    assert ok.first_time_ms == NOW_MS - 2000


def test_parse_frame_refuses_oversized_non_json_and_non_objects() -> None:
    for text, code in [("x" * 2000, "too_large"), ("{", "malformed"), ("[]", "malformed")]:
        with pytest.raises(BadFrame) as refused:
            parse_frame(text, max_bytes=1024)
        assert refused.value.code == code
    assert parse_frame('{"type": "ping"}', max_bytes=1024) == {"type": "ping"}


def test_parse_frame_refuses_a_frame_nested_too_deep_for_the_parser() -> None:
    deep = '{"type": "hello", "x": ' + "[" * 60_000 + "]" * 60_000 + "}"
    with pytest.raises(BadFrame) as refused:
        parse_frame(deep, max_bytes=200_000)
    assert refused.value.code == "malformed"
    assert "nested too deep" in refused.value.detail


@pytest.mark.parametrize(
    ("client_epoch", "client_last_seq", "expected"),
    [
        (None, None, ResumePlan("live", None)),
        ("e1", 100, ResumePlan("resume", None)),  # up to date
        ("e1", 60, ResumePlan("resume", 61)),
        ("e1", 49, ResumePlan("resume", 50)),  # exactly the window's first
        ("e1", 10, ResumePlan("gap", 50, missed=(11, 49))),
        ("e0", 70, ResumePlan("new_epoch", 50)),
    ],
)
def test_plan_resume(
    client_epoch: str | None, client_last_seq: int | None, expected: ResumePlan
) -> None:
    plan = plan_resume(
        client_epoch=client_epoch,
        client_last_seq=client_last_seq,
        epoch="e1",
        first_seq=50,
        last_seq=100,
    )
    assert plan == expected


def test_reconnect_delay_grows_exponentially_to_the_cap_with_full_jitter() -> None:
    assert reconnect_delay_s(0, jitter=1.0) == 0.5
    assert reconnect_delay_s(3, jitter=1.0) == 4.0
    assert reconnect_delay_s(20, jitter=1.0) == 30.0
    assert reconnect_delay_s(3, jitter=0.25) == 1.0


def test_streams_from_batches_fill_missing_columns_with_nan() -> None:
    streams = streams_from_batches(
        [
            {"t": [1_000, 2_000], "lat": [10, 20], "lon": [30, 40], "hr": [120, None]},
            {"t": [3_000], "lat": [30], "lon": [50]},
        ]
    )
    assert streams["time_s"].tolist() == [1.0, 2.0, 3.0]
    assert streams["lat_deg"].tolist() == pytest.approx([1e-6, 2e-6, 3e-6])
    assert streams["hr_bpm"][0] == 120 and np.isnan(streams["hr_bpm"][1:]).all()


def test_memory_broker_numbers_messages_keeps_a_window_and_drops_repeated_keys() -> None:
    async def scenario() -> None:
        broker = MemoryBroker(history_size=3)
        seen: list[Envelope] = []
        await broker.start(seen.append)
        broker.watch("ride:1")
        published = [await broker.publish("ride:1", b"%d" % n, key=n) for n in range(1, 6)]
        assert [p.seq for p in published] == [1, 2, 3, 4, 5]
        assert (await broker.publish("ride:1", b"again", key=5)).seq is None
        history = await broker.history("ride:1", after_seq=0, limit=10)
        assert (history.first_seq, history.last_seq) == (3, 5)
        assert [seq for seq, _ in history.messages] == [3, 4, 5]
        assert [e.seq for e in seen] == [1, 2, 3, 4, 5]

    run_async(scenario())
