"""`bikenode market`: the ledger check, the timers sweep (with expired keys), the diagram."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from bikenode.cli import app
from bikenode.db.base import utcnow
from bikenode.market import ledger
from bikenode.market.logic.states import mermaid_diagram
from bikenode.market.models import IdempotencyKey, LedgerAccount
from tests.service_factories import make_user


@pytest.fixture
def data_dir(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BIKENODE_DATABASE_URL", database_url)
    return tmp_path


def test_ledger_verify_passes_then_names_a_tampered_balance(
    session: Session, data_dir: Path
) -> None:
    accounts = ledger.accounts_of(uuid.uuid4(), "EUR")
    ledger.transfer(
        session,
        transfer_id="t1",
        kind="posted",
        debit=accounts.gateway,
        credit=accounts.escrow,
        amount_minor=700,
        currency="EUR",
    )
    session.commit()
    runner = CliRunner()
    ok = runner.invoke(app, ["market", "ledger-verify", "--data-dir", str(data_dir)])
    assert ok.exit_code == 0, ok.output
    escrow = session.scalar(select(LedgerAccount).where(LedgerAccount.id == accounts.escrow))
    assert escrow is not None
    escrow.credits_posted = 7000  # as a bad manual edit would
    session.commit()
    bad = runner.invoke(app, ["market", "ledger-verify", "--data-dir", str(data_dir)])
    assert bad.exit_code == 1 and accounts.escrow in bad.output


def test_timers_delete_expired_keys_only(session: Session, data_dir: Path) -> None:
    user = make_user(session)
    old = utcnow() - timedelta(hours=25)
    session.add_all(
        [
            IdempotencyKey(
                user_id=user,
                key="old",
                fingerprint="f",
                created_at=old,
                expires_at=old + timedelta(hours=24),
            ),
            IdempotencyKey(
                user_id=user, key="new", fingerprint="f", expires_at=utcnow() + timedelta(hours=1)
            ),
        ]
    )
    session.commit()
    done = CliRunner().invoke(app, ["market", "timers", "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    assert "1 expired idempotency keys deleted" in done.output
    session.expire_all()
    assert session.scalars(select(IdempotencyKey.key)).all() == ["new"]


def test_the_diagram_command_prints_the_declaration() -> None:
    printed = CliRunner().invoke(app, ["market", "diagram"])
    assert printed.output == mermaid_diagram()
