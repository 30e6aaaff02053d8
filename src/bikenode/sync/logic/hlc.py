"""Hybrid logical clocks (Kulkarni et al., 2014): time stamps that follow causality.

A stamp is (wall_ms, counter, node). `wall_ms` tracks the physical clock but never goes
backwards; `counter` orders events within one millisecond; `node` (the client id) breaks the
last ties, so any two stamps compare the same way on every replica.

Rules: a local event or send takes `max(last.wall_ms, now_ms)` and bumps the counter if the
wall part did not move; a receive takes the max of the local clock, the remote stamp and now.
A remote stamp more than MAX_DRIFT_MS ahead of our physical clock is refused before it can
touch the clock: one device with a clock ten years fast must not drag every later stamp
with it (every honest write would then lose to it until real time catches up).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# Five minutes: NTP-synced devices are within seconds of each other; a device whose clock is
# further off learns the server's time from the refusal and stamps its edits again.
MAX_DRIFT_MS = 5 * 60 * 1000
MAX_COUNTER = 0xFFFF
MAX_WALL_MS = 10**15  # the year 33658: a bound for parsing, not for accepting
NODE_PATTERN = r"[A-Za-z0-9_.:-]{1,64}"
_STAMP_RE = re.compile(rf"^(\d{{1,15}})-([0-9a-f]{{4}})-({NODE_PATTERN})$")


class BadStamp(ValueError):
    """A stamp that is malformed or too far ahead of the clock that received it."""


@dataclass(frozen=True, order=True)
class Stamp:
    """One HLC time stamp; compares by wall time, then counter, then node."""

    wall_ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:04x}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        """The stamp written as `str(stamp)`; BadStamp for anything else."""
        match = _STAMP_RE.match(text) if isinstance(text, str) else None
        if match is None:
            raise BadStamp(
                f"expected a stamp like '0001733412345678-0000-<node>', got {str(text)[:80]!r}"
            )
        return cls(int(match[1]), int(match[2], 16), match[3])


ZERO = Stamp(0, 0, "0")  # older than any real stamp


def after(stamp: Stamp, previous: Stamp) -> Stamp:
    """`stamp`, or just past `previous` if it is not later (same node: its edits stay ordered).

    A device's edits are applied in counter order; each is causally after the one before,
    so its stamp must be too, even if the device reset its clock between them.
    """
    if stamp > previous:
        return stamp
    if previous.counter < MAX_COUNTER:
        return Stamp(previous.wall_ms, previous.counter + 1, stamp.node)
    return Stamp(previous.wall_ms + 1, 0, stamp.node)


def wall_clock_ms() -> int:
    """The machine's wall clock in milliseconds since 1970 (UTC)."""
    return time.time_ns() // 1_000_000


class HybridClock:
    """A node's hybrid logical clock. Thread-safe; `now_ms` is the physical clock to follow."""

    def __init__(
        self,
        node: str,
        *,
        now_ms: Callable[[], int] = wall_clock_ms,
        max_drift_ms: int = MAX_DRIFT_MS,
        last: Stamp = ZERO,
    ) -> None:
        if not re.fullmatch(NODE_PATTERN, node):
            raise BadStamp(f"expected a node id of 1-64 letters, digits or '_.:-', got {node!r}")
        self.node = node
        self.now_ms = now_ms
        self.max_drift_ms = max_drift_ms
        self._wall, self._counter = last.wall_ms, last.counter
        self._lock = threading.Lock()

    @property
    def last(self) -> Stamp:
        """The latest stamp this clock issued or received (as this node's)."""
        return Stamp(self._wall, self._counter, self.node)

    def tick(self) -> Stamp:
        """A stamp for a local event, later than every stamp this clock has seen."""
        with self._lock:
            return self._advance(self.now_ms(), 0, 0)

    def tick_after(self, seen: Stamp) -> Stamp:
        """A local stamp later than `seen` (already trusted, e.g. read from storage)."""
        with self._lock:
            return self._advance(self.now_ms(), seen.wall_ms, seen.counter)

    def receive(self, remote: Stamp) -> Stamp:
        """Merge a remote stamp into the clock; BadStamp (clock untouched) if too far ahead."""
        with self._lock:
            physical = self.now_ms()
            self.check(remote, physical)
            return self._advance(physical, remote.wall_ms, remote.counter)

    def check(self, remote: Stamp, physical_ms: int | None = None) -> None:
        """BadStamp if the remote stamp is further ahead of our physical time than allowed."""
        physical = self.now_ms() if physical_ms is None else physical_ms
        ahead_ms = remote.wall_ms - physical
        if ahead_ms > self.max_drift_ms:
            raise BadStamp(
                f"expected a stamp at most {self.max_drift_ms // 1000} s ahead of the server "
                f"clock, got one {ahead_ms / 1000:.0f} s ahead; correct the device clock "
                "(or use server_time_ms) and stamp the edits again"
            )

    def reset(self, to: Stamp) -> None:
        """Restart the clock from `to`; only for stamps that nobody accepted (refused ones)."""
        with self._lock:
            self._wall, self._counter = to.wall_ms, to.counter

    def _advance(self, physical: int, other_wall: int, other_counter: int) -> Stamp:
        wall = max(self._wall, other_wall, physical)
        if wall == self._wall == other_wall:
            counter = max(self._counter, other_counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == other_wall:
            counter = other_counter + 1
        else:
            counter = 0
        if counter > MAX_COUNTER:  # 65,536 events in one millisecond: wait for the next
            wall, counter = wall + 1, 0
        self._wall, self._counter = wall, counter
        return Stamp(wall, counter, self.node)
