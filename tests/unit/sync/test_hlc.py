"""Hybrid logical clocks: monotonic, causal, and deaf to stamps from the far future."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.sync.logic import MAX_DRIFT_MS, BadStamp, HybridClock, Stamp

TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000


class FakeTime:
    def __init__(self, ms: int = 1_700_000_000_000) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_round_trip_through_text() -> None:
    stamp = Stamp(1_733_412_345_678, 3, "phone-1")
    assert str(stamp) == "1733412345678-0003-phone-1"
    assert Stamp.parse(str(stamp)) == stamp


@pytest.mark.parametrize(
    "text", ["", "1-2", "1733412345678-3-phone", "1733412345678-0003-", "x-0003-a", "1-0003-a b"]
)
def test_malformed_stamps_are_refused(text: str) -> None:
    with pytest.raises(BadStamp, match="expected a stamp like"):
        Stamp.parse(text)


def test_a_clock_stepping_backwards_still_issues_later_stamps() -> None:
    now = FakeTime()
    clock = HybridClock("a", now_ms=now)
    first = clock.tick()
    now.ms -= 3_600_000  # NTP stepped the clock back an hour
    second = clock.tick()
    assert second > first and second.wall_ms == first.wall_ms and second.counter == 1


def test_equal_milliseconds_are_ordered_by_counter_then_node() -> None:
    now = FakeTime()
    a, b = HybridClock("a", now_ms=now), HybridClock("b", now_ms=now)
    a1, b1 = a.tick(), b.tick()
    assert a1.wall_ms == b1.wall_ms and a1.counter == b1.counter
    assert a1 < b1  # the node breaks the tie, the same way everywhere
    assert a.tick() > a1


def test_receive_orders_a_reply_after_the_message() -> None:
    slow, fast = FakeTime(1_000_000), FakeTime(1_000_000 + 60_000)
    sender, receiver = HybridClock("fast", now_ms=fast), HybridClock("slow", now_ms=slow)
    sent = sender.tick()
    assert receiver.receive(sent) > sent
    assert receiver.tick() > sent  # the slow node's next event comes after what it saw


def test_a_poison_stamp_is_refused_without_moving_the_clock() -> None:
    now = FakeTime()
    clock = HybridClock("server", now_ms=now)
    before = clock.tick()
    with pytest.raises(BadStamp, match="ahead of the server clock"):
        clock.receive(Stamp(now.ms + TEN_YEARS_MS, 0, "evil"))
    assert clock.last == before
    assert clock.tick().wall_ms == now.ms


def test_the_drift_bound_is_inclusive() -> None:
    now = FakeTime()
    clock = HybridClock("server", now_ms=now)
    clock.receive(Stamp(now.ms + MAX_DRIFT_MS, 0, "ok"))
    with pytest.raises(BadStamp):
        clock.receive(Stamp(now.ms + MAX_DRIFT_MS + 1, 0, "late"))


def test_the_counter_overflow_moves_to_the_next_millisecond() -> None:
    now = FakeTime()
    clock = HybridClock("a", now_ms=now)
    stamps = [clock.tick() for _ in range(0x10001)]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert stamps[-1].wall_ms == now.ms + 1


@given(
    st.lists(
        st.tuples(st.sampled_from(["tick", "receive"]), st.integers(-3_600_000, 3_600_000)),
        max_size=60,
    )
)
def test_stamps_only_grow_whatever_the_clock_does(steps: list[tuple[str, int]]) -> None:
    now = FakeTime()
    clock = HybridClock("a", now_ms=now)
    last = clock.tick()
    for action, jump in steps:
        now.ms += jump
        stamp = (
            clock.tick()
            if action == "tick"
            else clock.receive(Stamp(now.ms + jump % 300_000, 7, "b"))
        )
        assert stamp > last
        last = stamp
