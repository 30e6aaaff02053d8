from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bikenode.audit.logic import (
    GENESIS_HASH,
    EntryContent,
    StoredEntry,
    entry_hash,
    verify_chain,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _chain(n: int) -> list[StoredEntry]:
    entries, prev = [], GENESIS_HASH
    for i in range(1, n + 1):
        content = EntryContent(
            occurred_at=T0 + timedelta(seconds=i),
            event_type="auth.login_failed",
            actor_id=None,
            subject_id=f"user-{i}",
            client_ip="192.0.2.1",
            details={"n": i},
            prev_hash=prev,
        )
        prev = entry_hash(content)
        entries.append(StoredEntry(i, content, prev))
    return entries


def test_an_untouched_chain_verifies() -> None:
    assert verify_chain(_chain(5)) == []


def test_the_hash_is_sha256_of_the_canonical_json() -> None:
    import hashlib

    content = _chain(1)[0].content
    expected_json = (
        '{"actor_id":null,"client_ip":"192.0.2.1","details":{"n":1},'
        '"event_type":"auth.login_failed","occurred_at":"2026-01-01T00:00:01.000000+00:00",'
        f'"prev_hash":"{GENESIS_HASH}","subject_id":"user-1"}}'
    )
    assert entry_hash(content) == hashlib.sha256(expected_json.encode()).hexdigest()


def test_an_edited_entry_is_named() -> None:
    entries = _chain(5)
    edited = dataclasses.replace(entries[2].content, details={"n": 99})
    entries[2] = dataclasses.replace(entries[2], content=edited)
    findings = verify_chain(entries)
    assert [(f.seq, f.problem) for f in findings] == [(3, "edited")]


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    entries = _chain(5)
    edited = dataclasses.replace(entries[2].content, details={"n": 99})
    entries[2] = StoredEntry(3, edited, entry_hash(edited))
    findings = verify_chain(entries)
    assert [(f.seq, f.problem) for f in findings] == [(4, "removed")]


def test_a_removed_entry_is_named() -> None:
    entries = _chain(5)
    del entries[1]
    findings = verify_chain(entries)
    assert [(f.seq, f.problem) for f in findings] == [(3, "removed")]


def test_swapped_entries_are_reported_as_reordered() -> None:
    entries = _chain(5)
    # Swap the positions (and sequence numbers) of entries 2 and 3.
    second, third = entries[1], entries[2]
    entries[1] = dataclasses.replace(third, seq=2)
    entries[2] = dataclasses.replace(second, seq=3)
    problems = {(f.seq, f.problem) for f in verify_chain(entries)}
    assert (2, "reordered") in problems
    assert all(p == "reordered" for _, p in problems)


def test_truncation_is_found_only_with_a_noted_head() -> None:
    entries = _chain(5)
    head = entries[-1].entry_hash
    truncated = entries[:3]
    assert verify_chain(truncated) == []
    findings = verify_chain(truncated, expected_head=head)
    assert [(f.seq, f.problem) for f in findings] == [(3, "truncated")]
    assert verify_chain(entries, expected_head=head) == []


def test_a_naive_time_cannot_be_hashed() -> None:
    content = dataclasses.replace(_chain(1)[0].content, occurred_at=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        entry_hash(content)
