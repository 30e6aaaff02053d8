"""The hash chain as pure functions: how an entry is hashed and how a log is checked."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# The first entry's predecessor: 64 zeros, so every entry has a prev_hash of the same form.
GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class EntryContent:
    """What an entry's hash covers (everything but its position and its own hash)."""

    occurred_at: datetime
    event_type: str
    actor_id: str | None
    subject_id: str | None
    client_ip: str | None
    details: dict[str, Any]
    prev_hash: str


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage, for verification."""

    seq: int
    content: EntryContent
    entry_hash: str


@dataclass(frozen=True)
class Finding:
    """One problem in the log: which entry (by sequence number) and what is wrong with it."""

    seq: int
    problem: str  # "edited", "removed", "reordered" or "truncated"
    detail: str


def canonical_bytes(content: EntryContent) -> bytes:
    """The entry as canonical JSON (sorted keys, UTC microseconds), the input of its hash."""
    if content.occurred_at.tzinfo is None:
        raise ValueError(f"expected a timezone-aware time, got naive {content.occurred_at!r}")
    record = {
        "occurred_at": content.occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "event_type": content.event_type,
        "actor_id": content.actor_id,
        "subject_id": content.subject_id,
        "client_ip": content.client_ip,
        "details": content.details,
        "prev_hash": content.prev_hash,
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def entry_hash(content: EntryContent) -> str:
    """The SHA-256 (hex) of the entry's canonical form."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def verify_chain(
    entries: Sequence[StoredEntry], *, expected_head: str | None = None
) -> list[Finding]:
    """Every problem in a log given in sequence order; an empty list means it is intact.

    An edited entry no longer matches its own hash. A removed entry leaves a gap in the
    sequence and a prev_hash that names no stored entry. A reordered entry matches its own
    hash but follows another entry than the one its prev_hash names. Removing the newest
    entries leaves a valid shorter chain: only a head hash kept elsewhere shows it.
    """
    findings: list[Finding] = []
    hashes = {entry.entry_hash: entry.seq for entry in entries}
    previous_hash, previous_seq = GENESIS_HASH, 0
    for entry in entries:
        findings.extend(_check_entry(entry, previous_hash, previous_seq, hashes))
        previous_hash, previous_seq = entry.entry_hash, entry.seq
    if expected_head is not None and previous_hash != expected_head:
        if expected_head in hashes:
            detail = f"entries after {hashes[expected_head]} were appended since the head was noted"
            findings.append(Finding(previous_seq, "appended", detail))
        else:
            detail = (
                f"the newest entry is {previous_seq}, but the noted head hash "
                f"{expected_head[:12]}... is not in the log: newer entries were removed or edited"
            )
            findings.append(Finding(previous_seq, "truncated", detail))
    return findings


def _check_entry(
    entry: StoredEntry, previous_hash: str, previous_seq: int, hashes: dict[str, int]
) -> Iterable[Finding]:
    if entry_hash(entry.content) != entry.entry_hash:
        yield Finding(entry.seq, "edited", "its content no longer matches its hash")
    if entry.content.prev_hash == previous_hash:
        if entry.seq != previous_seq + 1:
            yield Finding(entry.seq, "reordered", f"numbered {entry.seq} after {previous_seq}")
        return
    follows = hashes.get(entry.content.prev_hash)
    if follows is not None:
        yield Finding(
            entry.seq,
            "reordered",
            f"it was written after entry {follows} but is stored after entry {previous_seq}",
        )
    elif entry.content.prev_hash == GENESIS_HASH:
        yield Finding(entry.seq, "reordered", "it was the first entry but is not stored first")
    else:
        yield Finding(
            entry.seq,
            "removed",
            f"the entry it follows is missing or was replaced (stored after entry {previous_seq})",
        )
