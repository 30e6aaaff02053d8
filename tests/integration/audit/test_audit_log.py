"""The audit log on a real database: entries chain, and tampering with rows is found."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from bikenode.audit import record_event, verify_log


def _write(session: Session, n: int) -> list[uuid.UUID]:
    users = [uuid.uuid4() for _ in range(n)]
    for i, user in enumerate(users):
        record_event(
            session,
            event_type="auth.login_failed",
            subject_id=user,
            client_ip="192.0.2.9",
            details={"attempt": i, "reason": "wrong password"},
        )
        session.commit()
    return users


def test_entries_chain_and_verify(session: Session) -> None:
    _write(session, 4)
    count, head, findings = verify_log(session)
    assert (count, findings) == (4, [])
    assert len(head) == 64
    stored = session.execute(
        text("SELECT seq, prev_hash, entry_hash FROM audit_events ORDER BY seq")
    ).all()
    assert [row.seq for row in stored] == [1, 2, 3, 4]
    assert stored[0].prev_hash == "0" * 64
    assert all(stored[i].prev_hash == stored[i - 1].entry_hash for i in range(1, 4))


def test_an_uncommitted_event_is_not_kept(session: Session) -> None:
    record_event(session, event_type="mfa.enabled", subject_id=uuid.uuid4())
    session.rollback()
    assert verify_log(session)[0] == 0


def test_edited_row_is_found(session: Session) -> None:
    _write(session, 5)
    session.execute(
        text("UPDATE audit_events SET event_type = 'auth.login_succeeded' WHERE seq = 3")
    )
    session.commit()
    findings = verify_log(session)[2]
    assert [(f.seq, f.problem) for f in findings] == [(3, "edited")]


def test_removed_row_is_found(session: Session) -> None:
    _write(session, 5)
    session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    session.commit()
    findings = verify_log(session)[2]
    assert [(f.seq, f.problem) for f in findings] == [(3, "removed")]


def test_reordered_rows_are_found(session: Session) -> None:
    _write(session, 5)
    # Swap the sequence numbers of entries 2 and 4 (through a spare value: seq is unique).
    for old, new in ((2, -1), (4, 2), (-1, 4)):
        session.execute(
            text("UPDATE audit_events SET seq = :new WHERE seq = :old"), {"new": new, "old": old}
        )
    session.commit()
    findings = verify_log(session)[2]
    assert findings
    assert {f.problem for f in findings} == {"reordered"}
    assert {2, 4} <= {f.seq for f in findings}


def test_cli_verify_reports_tampering_and_exit_code(
    tmp_path: Path, database_url: str, engine: Engine
) -> None:
    env = {
        "BIKENODE_DATA_DIR": str(tmp_path),
        "BIKENODE_DATABASE_URL": database_url,
        "PATH": "/usr/bin:/bin",
    }
    from bikenode.db.engine import make_session_factory

    with make_session_factory(engine)() as session:
        _write(session, 3)
    command = [sys.executable, "-m", "bikenode", "audit", "verify"]
    intact = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 entries" in intact.stdout
    head = intact.stdout.strip().rsplit(" ", 1)[-1]
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    truncated = subprocess.run(
        [*command, "--expect-head", head], capture_output=True, text=True, env=env, check=False
    )
    assert truncated.returncode == 1
    assert "entry 2: truncated" in truncated.stdout
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET client_ip = '203.0.113.5' WHERE seq = 1"))
    edited = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    assert edited.returncode == 1
    assert "entry 1: edited" in edited.stdout
