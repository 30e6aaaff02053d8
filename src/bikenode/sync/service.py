"""Sync use cases: push a device's mutations, pull changes, list and resolve conflicts.

One push is one transaction: every mutation in it is checked first (record types, fields,
values, stamps), then applied in counter order through the owning domain's functions, its
answer stored, and the whole committed once. A retried push finds its counters applied and
gets the stored answers; nothing is applied twice.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.db.engine import begin_write
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.sync import repo
from bikenode.sync.logic import (
    ZERO,
    FieldOp,
    HybridClock,
    Stamp,
    apply_ops,
    empty_state,
    overwrite,
)
from bikenode.sync.logic.hlc import after
from bikenode.sync.logic.merge import FieldState, TextConflict, state_from_json, state_to_json
from bikenode.sync.models import SyncConflict, SyncRecord
from bikenode.sync.mutations import (
    Checked,
    Mutation,
    check,
    check_order,
)
from bikenode.sync.registry import (
    BadValue,
    FieldSpec,
    RecordType,
    get_record_type,
    record_type_names,
)

# One clock per process; its node name keeps two servers' stamps apart.
SERVER_CLOCK = HybridClock(f"server.{secrets.token_hex(4)}")
MAX_MUTATIONS_PER_PUSH = 1000
DEFAULT_PULL_LIMIT = 500
MAX_PULL_LIMIT = 2000


class CounterGap(Conflict):
    """Mutations skipped: the device must push from the counter the server expects."""

    def __init__(self, *, expected: int, got: int) -> None:
        super().__init__(f"expected mutation counter {expected} next, got {got}")
        self.expected = expected


@dataclass(frozen=True)
class PushAnswer:
    results: list[dict[str, Any]]
    server_hlc: str
    server_time_ms: int


@dataclass(frozen=True)
class PullPage:
    changes: list[dict[str, Any]]
    cursor: str
    has_more: bool
    open_conflicts: int
    server_hlc: str
    server_time_ms: int


def push_mutations(
    session: Session,
    *,
    owner_id: uuid.UUID,
    client_id: str,
    mutations: Sequence[Mutation],
    clock: HybridClock = SERVER_CLOCK,
) -> PushAnswer:
    """Apply a device's mutations once each, in counter order, and answer for every one.

    All or nothing: InvalidInput (StampRefused for a stamp too far ahead) or NotFound (a
    record the caller does not have) refuses the whole push; CounterGap if counters skip.
    """
    check_order(mutations)
    device = repo.lock_client(session, owner_id, client_id)
    fresh = [m for m in mutations if m.counter > device.last_counter]
    if fresh and fresh[0].counter != device.last_counter + 1:
        raise CounterGap(expected=device.last_counter + 1, got=fresh[0].counter)
    checked = [check(m, client_id, clock) for m in fresh]
    done = [m.counter for m in mutations if m.counter <= device.last_counter]
    results = repo.stored_results(session, owner_id, client_id, done)
    if checked:
        applier = _Applier(session, owner_id, clock, [(m.record_type, m.record_id) for m in fresh])
        previous = Stamp.parse(device.last_hlc) if device.last_hlc else ZERO
        with session.no_autoflush:  # one flush at the commit, not one per mutation
            for mutation in checked:
                mutation, previous = _ordered(mutation, previous)
                results[mutation.counter] = applier.apply(mutation)
            applier.write_pending()
        device.last_hlc = str(previous)
        repo.store_results(
            session, owner_id, client_id, {m.counter: results[m.counter] for m in checked}
        )
        device.last_counter = checked[-1].counter
    device.last_seen_at = utcnow()
    session.commit()
    answers = [
        results.get(m.counter, {"counter": m.counter, "status": "applied"}) for m in mutations
    ]
    return PushAnswer(answers, str(clock.last), clock.now_ms())


def _ordered(mutation: Checked, previous: Stamp) -> tuple[Checked, Stamp]:
    """The mutation with stamps after the device's previous ones, and its newest stamp."""
    ops: dict[str, FieldOp] = {}
    for name, op in mutation.ops.items():
        previous = after(op.stamp, previous)
        ops[name] = replace(op, stamp=previous)
    if mutation.delete:
        previous = after(mutation.stamps[0], previous)
    stamps = [op.stamp for op in ops.values()] or [previous]
    return replace(mutation, ops=ops, stamps=stamps), previous


class _Applier:
    """Applies checked mutations of one owner inside the push's transaction."""

    def __init__(
        self,
        session: Session,
        owner_id: uuid.UUID,
        clock: HybridClock,
        keys: list[tuple[str, str]],
    ) -> None:
        self.session, self.owner_id, self.clock = session, owner_id, clock
        self.owner = repo.lock_owner(session, owner_id)
        self.records = repo.record_rows(session, owner_id, keys)
        # Domains that load and write many records at once: their values for this push, and
        # the merged values to write when it ends (one statement per set of fields).
        self.values: dict[tuple[str, str], dict[str, Any]] = {}
        self.pending: dict[str, dict[str, dict[str, Any]]] = {}
        for name in sorted({record_type for record_type, _ in keys}):
            record_type = get_record_type(name)
            if record_type is not None and record_type.load_many is not None:
                # Only records sync has not seen need their values (to seed their state).
                ids = sorted({i for t, i in keys if t == name and (t, i) not in self.records})
                loaded = record_type.load_many(session, owner_id, ids)
                self.values.update(((name, i), values) for i, values in loaded.items())

    def write_pending(self) -> None:
        """Write the changed sync records, and hand each domain its records' merged values."""
        repo.save_record_rows(self.session, self.records.values())
        for name, changes in self.pending.items():
            record_type = get_record_type(name)
            if changes and record_type is not None and record_type.apply_many is not None:
                record_type.apply_many(self.session, self.owner_id, changes)
        self.pending.clear()

    def next_seq(self) -> int:
        self.owner.last_seq += 1
        return self.owner.last_seq

    def apply(self, mutation: Checked) -> dict[str, Any]:
        record = self._record(mutation)
        for stamp in mutation.stamps:
            self.clock.receive(stamp)
        answer: dict[str, Any] = {"counter": mutation.counter}
        if record.deleted:
            return {**answer, "status": "gone"}
        if mutation.delete:
            delete = mutation.record_type.delete
            if delete is not None:
                self.pending.get(mutation.record_type.name, {}).pop(mutation.record_id, None)
                delete(self.session, self.owner_id, mutation.record_id)
            record.deleted, record.fields, record.seq = True, {}, self.next_seq()
            return {**answer, "status": "deleted"}
        return {**answer, **self._apply_fields(record, mutation)}

    def _apply_fields(self, record: repo.RecordRow, mutation: Checked) -> dict[str, Any]:
        fields = mutation.record_type.fields
        kinds = {name: fields[name].kind for name in mutation.ops}
        states = {
            name: state_from_json(record.fields[name])
            for name in mutation.ops
            if name in record.fields
        }
        outcome = apply_ops(kinds, states, mutation.ops)
        if outcome.states:
            seq = self.next_seq()
            stored = dict(record.fields)
            for name, state in outcome.states.items():
                stored[name] = _stored(fields[name], replace(state, seq=seq))
            record.fields, record.seq = stored, seq
        changed = {
            name: state.value
            for name, state in outcome.states.items()
            if name not in states or state.value != states[name].value
        }
        if changed and mutation.record_type.apply_many is not None:
            pending = self.pending.setdefault(mutation.record_type.name, {})
            pending.setdefault(record.record_id, {}).update(changed)
        elif changed:
            mutation.record_type.apply(self.session, self.owner_id, record.record_id, changed)
        conflict_ids = [
            str(self._add_conflict(record, name, conflict))
            for name, conflict in outcome.conflicts.items()
        ]
        superseded = all(result == "superseded" for result in outcome.results.values())
        return {
            "status": "superseded" if superseded else "applied",
            "fields": dict(outcome.results),
            "conflicts": conflict_ids,
        }

    def _add_conflict(self, record: repo.RecordRow, name: str, conflict: TextConflict) -> uuid.UUID:
        row = SyncConflict(
            id=uuid.uuid4(),
            owner_id=self.owner_id,
            record_type=record.record_type,
            record_id=record.record_id,
            field=name,
            base=conflict.base,
            kept=conflict.kept,
            kept_hlc=str(conflict.kept_stamp),
            other=conflict.other,
            other_hlc=str(conflict.other_stamp),
            status="open",
        )
        self.session.add(row)
        return row.id

    def _record(self, mutation: Checked) -> repo.RecordRow:
        record_type, record_id = mutation.record_type, mutation.record_id
        key = (record_type.name, record_id)
        record = self.records.get(key)
        if record is None:
            values = (
                self.values.get(key)
                if record_type.load_many is not None
                else record_type.load(self.session, self.owner_id, record_id)
            )
            if values is None and record_type.create is not None and not mutation.delete:
                values = self._create(mutation)
            if values is None:
                raise NotFound(f"no such {record_type.name}: {record_id[:64]}")
            seq = self.next_seq()
            fields = _seeded_fields(record_type, values, seq)
            record = repo.RecordRow(
                self.owner_id, record_type.name, record_id, seq, False, fields, None
            )
            self.records[key] = record
        return record

    def _create(self, mutation: Checked) -> dict[str, Any] | None:
        """Make the record a device created offline; its values as the domain stored them."""
        record_type = mutation.record_type
        if record_type.create is None:
            return None
        initial = {
            name: op.value
            for name, op in mutation.ops.items()
            if record_type.fields[name].kind in ("lww", "text")
        }
        record_type.create(self.session, self.owner_id, mutation.record_id, initial)
        return record_type.load(self.session, self.owner_id, mutation.record_id)


def _stored(spec: FieldSpec, state: FieldState) -> dict[str, Any]:
    """A field state as stored; a private field's without its value (it stays the domain's)."""
    stored = state_to_json(state)
    if spec.private:
        stored["v"] = None
    return stored


def _state(states: Mapping[str, Any], name: str, kind: Any) -> FieldState:
    return state_from_json(states[name]) if name in states else empty_state(kind, ZERO)


def _seeded(
    record_type: RecordType,
    owner_id: uuid.UUID,
    record_id: str,
    values: Mapping[str, Any],
    seq: int,
) -> SyncRecord:
    """A sync record for a domain record sync has not seen yet: its values, oldest stamps."""
    return SyncRecord(
        owner_id=owner_id,
        record_type=record_type.name,
        record_id=record_id,
        seq=seq,
        deleted=False,
        fields=_seeded_fields(record_type, values, seq),
    )


def _seeded_fields(record_type: RecordType, values: Mapping[str, Any], seq: int) -> dict[str, Any]:
    states: dict[str, Any] = {}
    for name, spec in record_type.fields.items():
        empty = empty_state(spec.kind, ZERO)
        state = overwrite(spec.kind, empty, values.get(name, empty.value), ZERO) or empty
        states[name] = _stored(spec, replace(state, seq=seq))
    return states


def record_change(
    session: Session,
    *,
    record_type: RecordType,
    owner_id: uuid.UUID,
    record_id: str,
    values: Mapping[str, Any] | None,
    clock: HybridClock = SERVER_CLOCK,
) -> None:
    """Note a change made outside sync (REST, import) so devices pull it; never commits.

    `values` are the record's current values (fields not registered are ignored; unchanged
    ones cost nothing); None means the record was deleted. Each changed field is stamped
    after its previous stamp, so a later edit always beats what devices had seen.
    """
    # The owner's row is locked before the caller's pending changes are flushed: a sync push
    # locks it first and then writes the domain rows, so the same order here means the two
    # can never deadlock on PostgreSQL.
    with session.no_autoflush:
        owner = repo.lock_owner(session, owner_id)
    record = repo.record_by_key(session, owner_id, record_type.name, record_id)
    seq = owner.last_seq + 1
    if record is None:
        if values is None:
            return  # no device ever saw it
        record = _seeded(record_type, owner_id, record_id, values, seq)
        session.add(record)
    elif values is None:
        if record.deleted:
            return
        record.deleted, record.fields = True, {}
    elif not _overwrite(record, record_type, values, seq, clock):
        return
    record.seq = owner.last_seq = seq


def _overwrite(
    record: SyncRecord,
    record_type: RecordType,
    values: Mapping[str, Any],
    seq: int,
    clock: HybridClock,
) -> dict[str, Any]:
    """Set the record's fields to `values` with fresh stamps; the values that changed."""
    states = dict(record.fields)
    changed: dict[str, Any] = {}
    for name, value in values.items():
        spec = record_type.fields.get(name)
        if spec is None:
            continue
        current = _state(states, name, spec.kind)
        new = overwrite(spec.kind, current, value, clock.tick_after(current.stamp))
        if new is not None:
            states[name] = _stored(spec, replace(new, seq=seq))
            changed[name] = new.value
    record.fields = states
    return changed


def pull_changes(
    session: Session,
    *,
    owner_id: uuid.UUID,
    cursor: str | None,
    limit: int = DEFAULT_PULL_LIMIT,
    clock: HybridClock = SERVER_CLOCK,
) -> PullPage:
    """The owner's records changed after the cursor (only the changed fields), oldest first.

    Without a cursor (a device's first pull) every record of every registered type is
    included, deleted ones as tombstones.
    """
    after = _parse_cursor(cursor)
    if cursor is None and _missing_records(session, owner_id):
        # A pull reads; only a device's first pull after records appeared without a change
        # (an import) writes, in a short transaction of its own.
        begin_write(session)
        _seed_all(session, owner_id)
        session.commit()
    rows = repo.records_after(session, owner_id, after, limit + 1)
    page = rows[:limit]
    private = _private_values(session, owner_id, page, after)
    changes = [
        _change(row, after, private.get((row.record_type, row.record_id), {})) for row in page
    ]
    open_conflicts = repo.open_conflict_count(session, owner_id)
    session.commit()
    next_cursor = str(page[-1].seq) if page else str(after)
    return PullPage(
        changes, next_cursor, len(rows) > limit, open_conflicts, str(clock.last), clock.now_ms()
    )


def _parse_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidInput(f"expected a cursor from a previous pull, got {cursor[:40]!r}")
    return int(cursor)


def _private_values(
    session: Session, owner_id: uuid.UUID, page: Sequence[SyncRecord], after: int
) -> dict[tuple[str, str], dict[str, Any]]:
    """The domains' current values of the page's records whose private fields changed (one
    load_many per record type where the domain has it)."""
    wanted: dict[str, list[str]] = {}
    for row in page:
        record_type = get_record_type(row.record_type)
        if row.deleted or record_type is None:
            continue
        if any(
            spec.private and row.fields.get(name, {}).get("q", 0) > after
            for name, spec in record_type.fields.items()
        ):
            wanted.setdefault(row.record_type, []).append(row.record_id)
    values: dict[tuple[str, str], dict[str, Any]] = {}
    for name, ids in wanted.items():
        record_type = get_record_type(name)
        if record_type is None:
            continue
        if record_type.load_many is not None:
            loaded = record_type.load_many(session, owner_id, ids)
        else:
            loaded = {i: v for i in ids if (v := record_type.load(session, owner_id, i))}
        values.update(((name, i), v) for i, v in loaded.items())
    return values


def _change(row: SyncRecord, after: int, current: Mapping[str, Any]) -> dict[str, Any]:
    """A record's changes since the cursor; private fields take the domain's `current` value."""
    change: dict[str, Any] = {"record_type": row.record_type, "record_id": row.record_id}
    if row.deleted:
        return {**change, "deleted": True}
    fields: dict[str, Any] = {}
    for name, stored in row.fields.items():
        if stored["q"] > after:
            value = current.get(name, stored["v"])
            fields[name] = {"value": value, "hlc": stored["t"]}
            if "g" in stored:
                fields[name]["tags"] = stored["g"]
    return {**change, "fields": fields}


def _missing_records(session: Session, owner_id: uuid.UUID) -> dict[str, set[str]]:
    """The owner's domain records, by type, that no change has reached yet."""
    missing = {}
    for name in record_type_names():
        record_type = get_record_type(name)
        if record_type is None:
            continue
        ids = set(record_type.list_ids(session, owner_id)) - repo.record_ids(
            session, owner_id, name
        )
        if ids:
            missing[name] = ids
    return missing


def _seed_all(session: Session, owner_id: uuid.UUID) -> None:
    """Sync records for the owner's domain records that no change has reached yet."""
    for name, missing in _missing_records(session, owner_id).items():
        record_type = get_record_type(name)
        if record_type is None:
            continue
        for record_id in sorted(missing):
            values = record_type.load(session, owner_id, record_id)
            if values is not None:
                owner = repo.lock_owner(session, owner_id)
                owner.last_seq += 1
                session.add(_seeded(record_type, owner_id, record_id, values, owner.last_seq))
    session.flush()


def list_conflicts(
    session: Session, *, owner_id: uuid.UUID, status: str | None = "open"
) -> list[SyncConflict]:
    """The owner's conflicts (open ones by default), oldest first."""
    return repo.conflicts(session, owner_id, status)


def resolve_conflict(
    session: Session,
    *,
    owner_id: uuid.UUID,
    conflict_id: uuid.UUID,
    value: Any,
    clock: HybridClock = SERVER_CLOCK,
) -> SyncConflict:
    """Settle a conflict with the rider's value, which every device then pulls.

    NotFound for another owner's conflict, Conflict if it is settled already.
    """
    conflict = session.get(SyncConflict, conflict_id)
    if conflict is None or conflict.owner_id != owner_id:
        raise NotFound("no such conflict")
    if conflict.status != "open":
        raise Conflict("this conflict is resolved already")
    record_type = get_record_type(conflict.record_type)
    if record_type is None or conflict.field not in record_type.fields:
        raise NotFound("the record type of this conflict is no longer synced")
    try:
        clean = record_type.fields[conflict.field].validate(value)
    except BadValue as error:
        raise InvalidInput(f"value: {error}") from None
    owner = repo.lock_owner(session, owner_id)
    record = repo.record_by_key(session, owner_id, conflict.record_type, conflict.record_id)
    if record is not None and not record.deleted:
        changed = _overwrite(
            record, record_type, {conflict.field: clean}, owner.last_seq + 1, clock
        )
        if changed:
            record.seq = owner.last_seq = owner.last_seq + 1
            record_type.apply(session, owner_id, conflict.record_id, changed)
    conflict.status, conflict.resolution, conflict.resolved_at = "resolved", clean, utcnow()
    session.commit()
    return conflict
