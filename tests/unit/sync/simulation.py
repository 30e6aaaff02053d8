"""A model of the sync protocol for property tests: replicas, a server, a faulty network.

The server applies the same merge rules (bikenode.sync.logic) in the same way as
bikenode.sync.service: a device's mutations in counter order, once each, all-or-nothing per
push, stamps too far ahead refused, each device's stamps kept in order. Replicas behave as
bikenode.sync.client does: an outbox, the server's time learned from each answer, a restamp
after a refusal, pulls of the server's state.

Mode "hlc" is BikeNode; mode "wall" is the naive design for comparison: every replica stamps
with its own wall clock, the server keeps the newest wall-clock value, text included, and
checks nothing.

Bookkeeping for the properties: each edit is a Write with the ids of every write its replica
had seen (`deps`, happened-before); a write is lost if the field ends with the value of a
write that happened before it (newer knowledge overwritten by older).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bikenode.sync.logic import (
    ZERO,
    BadStamp,
    FieldOp,
    FieldState,
    HybridClock,
    MergeKind,
    Stamp,
    apply_op,
    empty_state,
    overwrite,
)
from bikenode.sync.logic.hlc import after

Mode = Literal["hlc", "wall"]
FIELDS: dict[str, MergeKind] = {
    "name": "text",
    "sport": "lww",
    "distance_m": "counter",
    "tags": "set",
}
FIELD_NAMES = list(FIELDS)
ELEMENTS = ["alps", "rain", "race"]
HOUR_MS = 3_600_000
TEN_YEARS_MS = 10 * 365 * 24 * HOUR_MS
START_MS = 1_750_000_000_000
WriteId = tuple[str, int]


@dataclass
class Write:
    id: WriteId
    field: str
    deps: frozenset[WriteId]
    value: Any = None
    amount: float = 0.0
    added: str | None = None
    removed: str | None = None


@dataclass
class Mutation:
    counter: int
    write: Write
    op: FieldOp


@dataclass
class World:
    now_ms: int = START_MS

    def clock(self) -> int:
        return self.now_ms


@dataclass
class Refusal:
    server_hlc: Stamp
    server_time_ms: int


@dataclass
class Answer:
    acked: list[int]
    server_hlc: Stamp
    server_time_ms: int


class Server:
    def __init__(self, world: World, mode: Mode) -> None:
        self.world, self.mode = world, mode
        self.clock = HybridClock("server", now_ms=world.clock)
        self.states: dict[str, FieldState] = {n: empty_state(k, ZERO) for n, k in FIELDS.items()}
        self.last_counter: dict[str, int] = {}
        self.last_stamp: dict[str, Stamp] = {}
        self.applied: dict[WriteId, Write] = {}
        self.writer: dict[str, WriteId | None] = dict.fromkeys(FIELDS)  # lww and text
        self.merged_in: set[WriteId] = set()
        self.conflicts: list[set[WriteId]] = []
        self.refused = 0
        self.rest_edits = 0
        self.apply_count: dict[WriteId, int] = {}

    def push(self, client: str, batch: list[Mutation]) -> Answer | Refusal:
        last = self.last_counter.get(client, 0)
        fresh = [m for m in batch if m.counter > last]
        if fresh and fresh[0].counter != last + 1:
            raise AssertionError("a replica skipped counters")
        if self.mode == "hlc":
            try:
                for mutation in fresh:
                    self.clock.check(mutation.op.stamp)
            except BadStamp:
                self.refused += 1
                return Refusal(self.clock.last, self.world.now_ms)
        for mutation in fresh:
            self._apply(client, mutation)
        if fresh:
            self.last_counter[client] = fresh[-1].counter
        return Answer([m.counter for m in batch], self.clock.last, self.world.now_ms)

    def _apply(self, client: str, mutation: Mutation) -> None:
        op, write = mutation.op, mutation.write
        if self.mode == "hlc":
            op = replace(op, stamp=after(op.stamp, self.last_stamp.get(client, ZERO)))
            self.last_stamp[client] = op.stamp
            self.clock.receive(op.stamp)
        kind = FIELDS[write.field]
        if self.mode == "wall" and kind == "text":
            kind, op = "lww", replace(op, base=None)
        current = self.states[write.field]
        outcome = apply_op(kind, current, op)
        self.states[write.field] = outcome.state
        self.applied[write.id] = write
        self.apply_count[write.id] = self.apply_count.get(write.id, 0) + 1
        if outcome.result == "merged":
            self.merged_in.update({write.id, *self._writer(write.field)})
        if outcome.conflict is not None:
            self.conflicts.append({write.id, *self._writer(write.field)})
        if outcome.result in ("applied", "merged") or (
            outcome.result == "conflict" and outcome.state.value == op.value
        ):
            self.writer[write.field] = write.id

    def _writer(self, name: str) -> set[WriteId]:
        writer = self.writer[name]
        return set() if writer is None else {writer}

    def rest_edit(self, value: str) -> None:
        """A REST edit of `sport` (the server has seen everything applied so far)."""
        self.rest_edits += 1
        value = f"{value}.{self.rest_edits}"  # unique, like every other edit's value
        write = Write(("rest", self.rest_edits), "sport", frozenset(self.applied), value=value)
        current = self.states["sport"]
        if self.mode == "hlc":
            stamp = self.clock.tick_after(current.stamp)
        else:
            stamp = Stamp(self.world.now_ms, 0, "server")
        new = overwrite("lww", current, value, stamp)
        if new is not None and (self.mode == "hlc" or stamp > current.stamp):
            self.states["sport"] = new
            self.writer["sport"] = write.id
        self.applied[write.id] = write

    def pull(self) -> tuple[dict[str, FieldState], frozenset[WriteId], Stamp, int]:
        return dict(self.states), frozenset(self.applied), self.clock.last, self.world.now_ms


@dataclass
class Replica:
    name: str
    world: World
    mode: Mode
    skew_ms: int = 0
    offset_ms: int = 0
    poisoned: bool = False
    counter: int = 0
    mirror: dict[str, FieldState] = field(default_factory=dict)
    outbox: list[Mutation] = field(default_factory=list)
    seen: set[WriteId] = field(default_factory=set)
    writes: list[Write] = field(default_factory=list)
    clock: HybridClock = field(init=False)

    def __post_init__(self) -> None:
        self.clock = HybridClock(self.name, now_ms=self.physical_ms, max_drift_ms=2**62)

    def local_wall_ms(self) -> int:
        return self.world.now_ms + self.skew_ms + (TEN_YEARS_MS if self.poisoned else 0)

    def physical_ms(self) -> int:
        return self.local_wall_ms() + self.offset_ms

    def view(self, name: str) -> Any:
        """The value this device shows: pulled state with unsent edits on top."""
        value = self.mirror.get(name, empty_state(FIELDS[name], ZERO)).value
        for mutation in self.outbox:
            write = mutation.write
            if write.field != name:
                continue
            if FIELDS[name] in ("lww", "text"):
                value = write.value
            elif FIELDS[name] == "counter":
                value = (value or 0) + write.amount
            else:
                value = sorted((set(value) - {write.removed}) | ({write.added} - {None}))
        return value

    def edit(self, name: str, choice: int) -> None:
        self.counter += 1
        write_id = (self.name, self.counter)
        deps = frozenset(self.seen)
        self.seen.add(write_id)
        if self.mode == "hlc":
            stamp = self.clock.tick()
        else:
            stamp = Stamp(self.local_wall_ms(), 0, self.name)
        self.poisoned = False  # the poison lasts one edit
        write, op = self._change(name, choice, write_id, deps, stamp)
        self.writes.append(write)
        self.outbox.append(Mutation(self.counter, write, op))

    def _change(
        self, name: str, choice: int, write_id: WriteId, deps: frozenset[WriteId], stamp: Stamp
    ) -> tuple[Write, FieldOp]:
        kind = FIELDS[name]
        unique = f"{self.name}.{self.counter}"
        if kind == "lww":
            write = Write(write_id, name, deps, value=unique)
            return write, FieldOp(stamp, value=unique)
        if kind == "text":
            base = self.view(name) or ""
            words = base.split(" ") if base else []
            position = choice % (len(words) + 1)
            if words and choice % 3 == 0:
                words[position % len(words)] = unique  # replace a word
            else:
                words.insert(position, unique)
            value = " ".join(words)
            return Write(write_id, name, deps, value=value), FieldOp(stamp, value=value, base=base)
        if kind == "counter":
            amount = float(choice % 7 - 2)
            return Write(write_id, name, deps, amount=amount), FieldOp(stamp, amount=amount)
        element = ELEMENTS[choice % len(ELEMENTS)]
        if element in self.view(name) and choice % 2:
            state = self.mirror.get(name, empty_state("set", ZERO))
            tags = tuple(t for t, e in state.tags.items() if e == element)
            return Write(write_id, name, deps, removed=element), FieldOp(stamp, remove=tags)
        tag = f"{self.name}/{self.counter}"
        return Write(write_id, name, deps, added=element), FieldOp(stamp, add=((tag, element),))

    def request(self) -> list[Mutation]:
        return list(self.outbox)

    def receive(self, answer: Answer | Refusal) -> None:
        if self.mode == "hlc":
            self.offset_ms = answer.server_time_ms - self.local_wall_ms()
            self.clock.receive(answer.server_hlc)
        if isinstance(answer, Refusal):
            self.clock.reset(Stamp(answer.server_hlc.wall_ms, answer.server_hlc.counter, self.name))
            self.outbox = [
                replace(m, op=replace(m.op, stamp=self.clock.tick())) for m in self.outbox
            ]
            return
        acked = set(answer.acked)
        self.outbox = [m for m in self.outbox if m.counter not in acked]

    def pull(self, server: Server) -> None:
        states, applied, server_hlc, server_time_ms = server.pull()
        self.mirror = states
        self.seen.update(applied)
        for write_id in applied:
            self.seen.update(server.applied[write_id].deps)
        if self.mode == "hlc":
            self.offset_ms = server_time_ms - self.local_wall_ms()
            for state in states.values():
                self.clock.receive(state.stamp)
            self.clock.receive(server_hlc)


Step = tuple[Any, ...]


@dataclass
class Run:
    server: Server
    replicas: list[Replica]
    in_flight: list[tuple[int, list[Mutation]]]

    def all_writes(self) -> list[Write]:
        return [w for r in self.replicas for w in r.writes]


def run(mode: Mode, skews_ms: list[int], steps: list[Step]) -> Run:
    """Play the steps, then heal the network and sync every replica until quiet."""
    world = World()
    server = Server(world, mode)
    replicas = [Replica(f"r{n}", world, mode, skew_ms=s) for n, s in enumerate(skews_ms)]
    state = Run(server, replicas, [])
    for step in steps:
        _play(state, world, step)
    for index, batch in state.in_flight:  # late messages arrive; their answers are lost
        server.push(replicas[index].name, batch)
    for _ in range(3):
        for replica in replicas:
            world.now_ms += 1
            while replica.outbox:
                replica.receive(server.push(replica.name, replica.request()))
        for replica in replicas:
            replica.pull(server)
    return state


def _play(state: Run, world: World, step: Step) -> None:
    kind = step[0]
    replicas, server = state.replicas, state.server
    if kind == "edit":
        _, index, field_index, choice = step
        replicas[index % len(replicas)].edit(FIELD_NAMES[field_index], choice)
    elif kind == "sync":
        _, index, fate = step
        replica = replicas[index % len(replicas)]
        batch = replica.request()
        if batch and fate != "lose_request":
            if fate == "delay":
                state.in_flight.append((index % len(replicas), batch))
            else:
                answer = server.push(replica.name, batch)
                if fate == "duplicate":
                    answer = server.push(replica.name, batch)
                if fate != "lose_response":
                    replica.receive(answer)
        if fate != "lose_request":
            replica.pull(server)
    elif kind == "deliver" and state.in_flight:
        index, batch = state.in_flight.pop(step[1] % len(state.in_flight))
        server.push(replicas[index].name, batch)
    elif kind == "tick":
        world.now_ms += step[1]
    elif kind == "step_clock":
        replicas[step[1] % len(replicas)].skew_ms += step[2]
    elif kind == "poison":
        replicas[step[1] % len(replicas)].poisoned = True
    elif kind == "rest":
        server.rest_edit(f"rest.{step[1]}")


def lost_writes(state: Run) -> list[Write]:
    """Writes whose field ended with the value of a write that happened before them."""
    lost = []
    for write in state.all_writes() + [
        w for w in state.server.applied.values() if w.id[0] == "rest"
    ]:
        if FIELDS[write.field] not in ("lww", "text"):
            continue
        final = state.server.writer[write.field]
        if final is not None and final != write.id and final in write.deps:
            lost.append(write)
    return lost


def unpreserved_text_writes(state: Run) -> list[Write]:
    """Text edits that left no trace: not shown, not merged, not in a conflict, not seen."""
    server = state.server
    final = server.states["name"].value
    in_conflicts = set().union(*server.conflicts) if server.conflicts else set()
    text_writes = [w for w in state.all_writes() if w.field == "name"]
    seen_by_later = set().union(*(w.deps for w in text_writes)) if text_writes else set()
    return [
        w
        for w in text_writes
        if w.id != server.writer["name"]
        and w.id not in server.merged_in
        and w.id not in in_conflicts
        and w.id not in seen_by_later
        and w.value != final
    ]
