"""Merge rules for one field: what a pushed edit does to the state the server holds.

Four kinds, chosen per field when a domain registers its records:

- `lww`: last writer wins by hybrid logical clock (never by wall clock); equal stamps are
  settled by the node (client id), so every replica picks the same winner.
- `text`: a three-way merge against the value the edit started from (`base`). Edits of
  different places both stay; overlapping edits are a conflict: the newer stamp's value is
  shown meanwhile and both are kept in a conflict record until the rider resolves it.
- `counter`: a PN-counter, an added and a taken-away total per node; the value is their
  sum, so concurrent increments add up instead of overwriting each other.
- `set`: an add-wins observed-remove set. Each add carries a unique tag; a remove names the
  tags it saw, so an add that the remover had not seen survives.

The server applies a client's edits in the order of its mutation counter, and every device
pulls the server's state, so the replicas converge on the server's sequence of merges.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from bikenode.sync.logic.hlc import ZERO, Stamp
from bikenode.sync.logic.text import merge3

MergeKind = Literal["lww", "text", "counter", "set"]
MERGE_KINDS: tuple[MergeKind, ...] = ("lww", "text", "counter", "set")
Result = Literal["applied", "merged", "superseded", "conflict"]


@dataclass(frozen=True)
class FieldState:
    """What the server holds for one field: the value, its stamp, the CRDT parts."""

    value: Any
    stamp: Stamp
    seq: int = 0  # the owner's change number that last changed the field
    counts: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # counter
    tags: Mapping[str, str] = field(default_factory=dict)  # set: tag -> element


@dataclass(frozen=True)
class FieldOp:
    """One pushed edit of one field (the parts its kind uses)."""

    stamp: Stamp
    value: Any = None  # lww, text
    base: str | None = None  # text: the value the edit started from; None if unknown
    amount: float = 0.0  # counter
    add: tuple[tuple[str, str], ...] = ()  # set: (tag, element)
    remove: tuple[str, ...] = ()  # set: tags the editor saw


@dataclass(frozen=True)
class TextConflict:
    """Two edits of one text that no rule can merge: both values, the field shows `kept`."""

    base: str | None
    kept: str
    kept_stamp: Stamp
    other: str
    other_stamp: Stamp


@dataclass(frozen=True)
class FieldOutcome:
    state: FieldState
    result: Result
    conflict: TextConflict | None = None


def empty_state(kind: MergeKind, stamp: Stamp) -> FieldState:
    """The state of a field nobody has written yet."""
    value: Any = {"counter": 0, "set": []}.get(kind)
    return FieldState(value=value, stamp=stamp)


def apply_op(kind: MergeKind, current: FieldState, op: FieldOp) -> FieldOutcome:
    """The field's state after a pushed edit, and what happened to the edit."""
    if kind == "lww":
        if op.stamp > current.stamp:
            return FieldOutcome(replace(current, value=op.value, stamp=op.stamp), "applied")
        return FieldOutcome(current, "superseded")
    if kind == "text":
        return _apply_text(current, op)
    if kind == "counter":
        return FieldOutcome(add_to_counter(current, op.stamp, op.amount), "applied")
    return FieldOutcome(change_set(current, op.stamp, op.add, op.remove), "applied")


@dataclass(frozen=True)
class RecordOutcome:
    """What a mutation did to a record: new field states, a result and conflicts per field."""

    states: dict[str, FieldState]  # only the fields whose state changed
    results: dict[str, Result]
    conflicts: dict[str, TextConflict]


def apply_ops(
    kinds: Mapping[str, MergeKind], states: Mapping[str, FieldState], ops: Mapping[str, FieldOp]
) -> RecordOutcome:
    """A mutation's edits applied to a record's fields (a missing field starts empty)."""
    changed: dict[str, FieldState] = {}
    results: dict[str, Result] = {}
    conflicts: dict[str, TextConflict] = {}
    for name, op in ops.items():
        kind = kinds[name]
        current = states.get(name) or empty_state(kind, ZERO)
        outcome = apply_op(kind, current, op)
        results[name] = outcome.result
        if outcome.state != current:
            changed[name] = outcome.state
        if outcome.conflict is not None:
            conflicts[name] = outcome.conflict
    return RecordOutcome(changed, results, conflicts)


def _apply_text(current: FieldState, op: FieldOp) -> FieldOutcome:
    stamp = max(current.stamp, op.stamp)
    if op.base is None or op.value == current.value or op.base == current.value:
        if op.base is None and op.stamp < current.stamp:
            return FieldOutcome(current, "superseded")  # no base: plain last-writer-wins
        return FieldOutcome(replace(current, value=op.value, stamp=stamp), "applied")
    merged = merge3(op.base, str(current.value), str(op.value))
    if merged is not None:
        return FieldOutcome(replace(current, value=merged, stamp=stamp), "merged")
    newer_is_op = op.stamp > current.stamp
    kept, other = (op.value, current.value) if newer_is_op else (current.value, op.value)
    kept_stamp, other_stamp = (
        (op.stamp, current.stamp) if newer_is_op else (current.stamp, op.stamp)
    )
    conflict = TextConflict(op.base, kept, kept_stamp, other, other_stamp)
    return FieldOutcome(replace(current, value=kept, stamp=stamp), "conflict", conflict)


def add_to_counter(current: FieldState, stamp: Stamp, amount: float) -> FieldState:
    """The counter with `amount` added (or taken away, if negative) by the stamp's node."""
    added, taken = current.counts.get(stamp.node, (0.0, 0.0))
    if amount >= 0:
        added += amount
    else:
        taken -= amount
    counts = {**current.counts, stamp.node: (added, taken)}
    return replace(
        current, value=counter_value(counts), stamp=max(current.stamp, stamp), counts=counts
    )


def counter_value(counts: Mapping[str, tuple[float, float]]) -> float | int:
    """A PN-counter's value: every node's additions minus its subtractions (node order)."""
    total = math.fsum(added - taken for _node, (added, taken) in sorted(counts.items()))
    return int(total) if total.is_integer() and abs(total) < 2**53 else total


def change_set(
    current: FieldState, stamp: Stamp, add: tuple[tuple[str, str], ...], remove: tuple[str, ...]
) -> FieldState:
    """The set with the seen tags removed and the new tagged elements added (add wins)."""
    tags = {tag: element for tag, element in current.tags.items() if tag not in set(remove)}
    tags.update(add)
    return replace(current, value=set_value(tags), stamp=max(current.stamp, stamp), tags=tags)


def set_value(tags: Mapping[str, str]) -> list[str]:
    """The elements of an observed-remove set, sorted."""
    return sorted(set(tags.values()))


def overwrite(kind: MergeKind, current: FieldState, value: Any, stamp: Stamp) -> FieldState | None:
    """The state after a direct change (the REST API, a resolution); None if nothing changed.

    The stamp must be newer than the field's (the caller ticks its clock past it).
    """
    if kind in ("lww", "text"):
        return None if value == current.value else replace(current, value=value, stamp=stamp)
    if kind == "counter":
        delta = float(value) - float(current.value or 0)
        return None if delta == 0 else add_to_counter(current, stamp, delta)
    wanted = set(value)
    remove = tuple(tag for tag, element in current.tags.items() if element not in wanted)
    present = set(current.tags.values())
    add = tuple((f"{stamp}/{n}", element) for n, element in enumerate(sorted(wanted - present)))
    return change_set(current, stamp, add, remove) if add or remove else None


def state_to_json(state: FieldState) -> dict[str, Any]:
    """The stored form of a field state."""
    stored: dict[str, Any] = {"v": state.value, "t": str(state.stamp), "q": state.seq}
    if state.counts:
        stored["c"] = {node: list(pair) for node, pair in state.counts.items()}
    if state.tags:
        stored["g"] = dict(state.tags)
    return stored


def state_from_json(stored: Mapping[str, Any]) -> FieldState:
    """A field state from its stored form."""
    return FieldState(
        value=stored["v"],
        stamp=Stamp.parse(stored["t"]),
        seq=int(stored["q"]),
        counts={node: (float(p), float(n)) for node, (p, n) in stored.get("c", {}).items()},
        tags=dict(stored.get("g", {})),
    )
