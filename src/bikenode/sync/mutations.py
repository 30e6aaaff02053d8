"""A pushed mutation as received, and the checks it passes before anything is applied:
its record type and fields exist, its values fit their kinds, its stamps are well formed,
its device's own, and not too far ahead of the server clock."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bikenode.errors import InvalidInput
from bikenode.sync.logic import BadStamp, FieldOp, HybridClock, Stamp
from bikenode.sync.registry import (
    MAX_SET_ELEMENTS,
    BadValue,
    RecordType,
    amount,
    element,
    get_record_type,
    record_type_names,
    text,
)

MAX_FIELDS_PER_MUTATION = 50
MAX_TAG_CHARS = 200


@dataclass(frozen=True)
class FieldEdit:
    """One field of a pushed mutation, as received (checked against its kind later)."""

    hlc: str
    value: Any = None
    has_value: bool = False
    base: str | None = None
    amount: float | None = None
    add: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mutation:
    """One pushed mutation: a device's numbered edit (or delete) of one record."""

    counter: int
    record_type: str
    record_id: str
    fields: Mapping[str, FieldEdit] = field(default_factory=dict)
    delete: bool = False
    hlc: str | None = None  # a delete's stamp


class StampRefused(InvalidInput):
    """A stamp too far ahead of the server clock; the device should restamp and retry."""

    def __init__(self, detail: str, *, counter: int, clock: HybridClock) -> None:
        super().__init__(detail)
        self.counter = counter
        self.server_hlc = str(clock.last)
        self.server_time_ms = clock.now_ms()


@dataclass(frozen=True)
class Checked:
    """A mutation with its stamps parsed and its values checked, ready to apply."""

    counter: int
    record_type: RecordType
    record_id: str
    ops: dict[str, FieldOp]
    delete: bool
    stamps: list[Stamp]


def check_order(mutations: Sequence[Mutation]) -> None:
    for earlier, later in itertools.pairwise(mutations):
        if later.counter <= earlier.counter:
            raise InvalidInput(
                f"expected mutation counters in increasing order, got {later.counter} "
                f"after {earlier.counter}"
            )


def check(mutation: Mutation, client_id: str, clock: HybridClock) -> Checked:
    """The mutation with its stamps parsed and its values checked; InvalidInput if not."""
    where = f"mutation {mutation.counter}"
    record_type = get_record_type(mutation.record_type)
    if record_type is None:
        raise InvalidInput(
            f"{where}: expected a record type among {', '.join(record_type_names())}, "
            f"got {mutation.record_type[:40]!r}"
        )
    if mutation.delete:
        if record_type.delete is None:
            raise InvalidInput(f"{where}: a {record_type.name} cannot be deleted by sync")
        if mutation.fields:
            raise InvalidInput(
                f"{where}: expected no fields with delete, got {len(mutation.fields)}"
            )
        stamp = _stamp(mutation.hlc, client_id, clock, mutation.counter)
        return Checked(mutation.counter, record_type, mutation.record_id, {}, True, [stamp])
    if not mutation.fields:
        raise InvalidInput(f"{where}: expected changed fields or delete, got neither")
    ops = {
        name: _op(record_type, name, edit, client_id, clock, mutation.counter)
        for name, edit in mutation.fields.items()
    }
    stamps = [op.stamp for op in ops.values()]
    return Checked(mutation.counter, record_type, mutation.record_id, ops, False, stamps)


def _stamp(raw: str | None, client_id: str, clock: HybridClock, counter: int) -> Stamp:
    try:
        stamp = Stamp.parse(raw or "")
    except BadStamp as error:
        raise InvalidInput(f"mutation {counter}: {error}") from None
    if stamp.node != client_id:
        raise InvalidInput(
            f"mutation {counter}: expected a stamp of node {client_id!r}, got {stamp.node!r}"
        )
    try:
        clock.check(stamp)
    except BadStamp as error:
        raise StampRefused(f"mutation {counter}: {error}", counter=counter, clock=clock) from None
    return stamp


def _op(
    record_type: RecordType, name: str, edit: FieldEdit, client_id: str, clock: HybridClock, n: int
) -> FieldOp:
    spec = record_type.fields.get(name)
    if spec is None:
        fields = ", ".join(sorted(record_type.fields))
        raise InvalidInput(
            f"mutation {n}: expected {record_type.name} fields among {fields}, got {name[:64]!r}"
        )
    stamp = _stamp(edit.hlc, client_id, clock, n)
    try:
        if spec.kind in ("lww", "text"):
            if not edit.has_value or edit.amount is not None or edit.add or edit.remove:
                raise BadValue(f"a {spec.kind} field takes value (and base), nothing else")
            base = None if edit.base is None else text()(edit.base)
            return FieldOp(stamp, value=spec.validate(edit.value), base=base)
        if spec.kind == "counter":
            if edit.amount is None or edit.has_value or edit.add or edit.remove:
                raise BadValue("a counter field takes amount, nothing else")
            return FieldOp(stamp, amount=float(amount(edit.amount)))
        if edit.has_value or edit.amount is not None or not (edit.add or edit.remove):
            raise BadValue("a set field takes add and/or remove, nothing else")
        if len(edit.add) + len(edit.remove) > MAX_SET_ELEMENTS:
            raise BadValue(f"expected at most {MAX_SET_ELEMENTS} set changes")
        adds = tuple((f"{client_id}/{n}/{i}", element(e)) for i, e in enumerate(edit.add))
        removes = tuple(text(min_chars=1, max_chars=MAX_TAG_CHARS)(tag) for tag in edit.remove)
        return FieldOp(stamp, add=adds, remove=removes)
    except BadValue as error:
        raise InvalidInput(f"mutation {n}, field {name}: {error}") from None
