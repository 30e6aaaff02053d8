"""Audit log cost: hash-chained appends vs plain inserts of the same rows, and verify speed.

Run: .venv/bin/python bench/audit_chain.py [N]  (SQLite in a temporary folder)
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import delete, insert

from bikenode.audit import record_event, verify_log
from bikenode.audit.models import AuditEvent
from bikenode.db.base import utcnow
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import upgrade_to_head


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_db_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        upgrade_to_head(engine)
        sessions = make_session_factory(engine)
        user = uuid.uuid4()
        started = time.perf_counter()
        with sessions() as session:
            for i in range(n):
                record_event(
                    session, event_type="auth.login_failed", subject_id=user, details={"i": i}
                )
                session.commit()  # one event per transaction, as a sign-in writes it
        chained_s = time.perf_counter() - started
        started = time.perf_counter()
        with sessions() as session:
            for i in range(n):
                session.execute(
                    insert(AuditEvent).values(
                        seq=n + i + 1,
                        occurred_at=utcnow(),
                        event_type="plain",
                        actor_id=None,
                        subject_id=user,
                        client_ip=None,
                        details={"i": i},
                        prev_hash="0" * 64,
                        entry_hash=uuid.uuid4().hex * 2,
                    )
                )
                session.commit()
        plain_s = time.perf_counter() - started
        with sessions() as session:
            session.execute(delete(AuditEvent).where(AuditEvent.event_type == "plain"))
            session.commit()
            started = time.perf_counter()
            count, _head, findings = verify_log(session)
            verify_s = time.perf_counter() - started
        engine.dispose()
    print(f"| operation ({n} events, SQLite) | per second | ratio to plain insert |")
    print("| --- | ---: | ---: |")
    print(f"| plain insert + commit | {n / plain_s:,.0f} | 1.00 |")
    print(f"| record_event + commit (chained) | {n / chained_s:,.0f} | {plain_s / chained_s:.2f} |")
    print(
        f"| verify_log ({count} entries, {len(findings)} findings) | {count / verify_s:,.0f} | - |"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
