"""`bikenode check`: is this data folder (and its database) whole and readable?"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from bikenode.audit import verify_log
from bikenode.config import Settings
from bikenode.db.engine import create_db_engine, make_session_factory
from bikenode.db.migrate import current_revision, head_revision
from bikenode.encryption import key_ring_from_settings
from bikenode.governance import key_ids_in_use


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def check_data(settings: Settings) -> list[Finding]:
    """Each check with its result; a failed check never stops the others."""
    engine = create_db_engine(settings.effective_database_url)
    findings: list[Finding] = []
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        engine.dispose()
        return [Finding("database", False, f"cannot be opened: {error.__class__.__name__}")]
    findings.append(Finding("database", True, "opens"))
    try:
        findings.append(_migrations(engine))
        if engine.dialect.name == "sqlite":
            findings.append(_sqlite_integrity(engine))
        sessions = make_session_factory(engine)
        with sessions() as session:
            count, head, problems = verify_log(session)
            findings.append(
                Finding(
                    "audit chain",
                    not problems,
                    f"{count} entries, head {head[:12]}"
                    if not problems
                    else f"{len(problems)} problems, first: {problems[0]}",
                )
            )
            needed = key_ids_in_use(session)
        ring = key_ring_from_settings(settings)
        missing = sorted(needed - set(ring.key_ids))
        used = ", ".join(sorted(needed)) or "none used"
        findings.append(
            Finding("keys", True, f"every sealed value's key is in the ring ({used})")
            if not missing
            else Finding(
                "keys",
                False,
                f"values sealed under {', '.join(missing)} cannot be read: not in the key ring",
            )
        )
    finally:
        engine.dispose()
    return findings


def _migrations(engine: Engine) -> Finding:
    current, head = current_revision(engine), head_revision()
    if current == head:
        return Finding("schema", True, f"at {head}")
    upgrade = "run `bikenode db upgrade`"
    return Finding("schema", False, f"at {current}, this version expects {head}: {upgrade}")


def _sqlite_integrity(engine: Engine) -> Finding:
    with engine.connect() as connection:
        integrity = [row[0] for row in connection.execute(text("PRAGMA integrity_check"))]
        orphans = list(connection.execute(text("PRAGMA foreign_key_check")))
    if integrity == ["ok"] and not orphans:
        return Finding("sqlite file", True, "integrity and foreign keys hold")
    problems = [i for i in integrity if i != "ok"] + [f"orphan row in {o[0]}" for o in orphans]
    return Finding("sqlite file", False, "; ".join(problems[:5]))
