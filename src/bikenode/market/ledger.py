"""The ledger on the database: immutable transfers and the balances kept beside them.

Every transfer goes through `transfer`, which locks the two accounts (row locks on
PostgreSQL; SQLite's writer already holds the database), checks the rules of logic/ledger.py
against their stored balances, and writes the transfer and the new balances together. A
transfer id already written returns the first transfer when the request is the same, and is
refused when it differs: a retried payment never moves money twice. Never commits.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bikenode.errors import Conflict, InvalidInput
from bikenode.market.logic import ledger as rules
from bikenode.market.models import LedgerAccount, Transfer


@dataclass(frozen=True)
class Accounts:
    """The ledger accounts of one job in its currency (refs are job ids, never people)."""

    gateway: str
    escrow: str
    mechanic: str
    platform_fee: str


def accounts_of(job_id: uuid.UUID, currency: str) -> Accounts:
    return Accounts(
        gateway=f"gateway:card:{currency}",
        escrow=f"escrow:{job_id}:{currency}",
        mechanic=f"mechanic:{job_id}:{currency}",
        platform_fee=f"platform_fee:all:{currency}",
    )


def lock_accounts(session: Session, accounts: Accounts, currency: str) -> None:
    """Lock all of a job's accounts at once, in the one global order, before a unit of work
    that makes several transfers: taking them transfer by transfer would let two units
    (a payment and a refund) each hold an account the other waits for (a deadlock)."""
    _locked(
        session,
        [accounts.gateway, accounts.escrow, accounts.mechanic, accounts.platform_fee],
        currency,
    )


def _balance(row: LedgerAccount) -> rules.Balance:
    return rules.Balance(
        row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted
    )


def _locked(session: Session, ids: list[str], currency: str) -> dict[str, LedgerAccount]:
    """The accounts, created if new, locked in a fixed order (no deadlock between two)."""
    rows = {}
    for account_id in sorted(ids):
        _ensure(session, account_id, currency)
        row = session.scalar(
            select(LedgerAccount).where(LedgerAccount.id == account_id).with_for_update()
        )
        if row is None:
            raise Conflict(f"the account {account_id} could not be opened")
        if row.currency != currency:
            raise InvalidInput(f"{account_id} holds {row.currency}, not {currency}")
        rows[account_id] = row
    return rows


def _ensure(session: Session, account_id: str, currency: str) -> None:
    """Open the account at zero unless it exists; two first transfers racing both succeed."""
    dialect = session.get_bind().dialect.name
    values = {
        "id": account_id,
        "currency": currency,
        "debits_pending": 0,
        "debits_posted": 0,
        "credits_pending": 0,
        "credits_posted": 0,
    }
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(LedgerAccount).values(**values).on_conflict_do_nothing())


def _same(row: Transfer, facts: rules.TransferFacts) -> bool:
    if facts.kind in ("post", "void"):
        return (row.kind, row.pending_id) == (facts.kind, facts.pending_id)
    return (row.kind, row.debit_account, row.credit_account, row.amount_minor, row.currency) == (
        facts.kind,
        facts.debit,
        facts.credit,
        facts.amount_minor,
        facts.currency,
    )


def transfer(
    session: Session,
    *,
    transfer_id: str,
    kind: rules.Kind,
    debit: str = "",
    credit: str = "",
    amount_minor: int = 0,
    currency: str = "",
    pending_id: str | None = None,
    job_id: uuid.UUID | None = None,
) -> Transfer:
    """The transfer `transfer_id`, written now or found from an earlier identical call.

    For `post` and `void` give `pending_id` only: accounts and amount are the hold's.
    Raises Conflict for a reused id with other fields or a hold already resolved, and
    InvalidInput for a transfer the rules refuse (a forbidden negative balance).
    """
    facts = _facts(session, transfer_id, kind, debit, credit, amount_minor, currency, pending_id)
    existing = session.scalar(select(Transfer).where(Transfer.id == transfer_id))
    if existing is not None:
        if not _same(existing, facts):
            raise Conflict(f"transfer {transfer_id} exists with other fields")
        return existing
    rows = _locked(session, [facts.debit, facts.credit], facts.currency)
    if pending_id is not None and session.scalar(
        select(Transfer.id).where(Transfer.pending_id == pending_id)
    ):
        raise Conflict(f"the hold {pending_id} is already posted or voided")
    try:
        after = rules.apply({k: _balance(v) for k, v in rows.items()}, facts)
    except rules.LedgerRefusal as error:
        raise InvalidInput(str(error)) from error
    for account_id, balance in after.items():
        row = rows[account_id]
        row.debits_pending, row.debits_posted = balance.debits_pending, balance.debits_posted
        row.credits_pending, row.credits_posted = balance.credits_pending, balance.credits_posted
    written = Transfer(
        id=transfer_id,
        kind=kind,
        debit_account=facts.debit,
        credit_account=facts.credit,
        amount_minor=facts.amount_minor,
        currency=facts.currency,
        pending_id=pending_id,
        job_id=job_id,
    )
    session.add(written)
    session.flush()
    return written


def _facts(
    session: Session,
    transfer_id: str,
    kind: rules.Kind,
    debit: str,
    credit: str,
    amount_minor: int,
    currency: str,
    pending_id: str | None,
) -> rules.TransferFacts:
    if kind not in ("post", "void"):
        if pending_id is not None:
            raise InvalidInput(f"a {kind} transfer names no pending transfer")
        return rules.TransferFacts(transfer_id, kind, debit, credit, amount_minor, currency)
    hold = session.scalar(select(Transfer).where(Transfer.id == pending_id))
    if hold is None or hold.kind != "pending":
        raise InvalidInput(f"expected the id of a pending transfer, got {pending_id!r}")
    return rules.TransferFacts(
        transfer_id,
        kind,
        hold.debit_account,
        hold.credit_account,
        hold.amount_minor,
        hold.currency,
        pending_id,
    )


def is_resolved(session: Session, pending_id: str) -> bool:
    return session.scalar(select(Transfer.id).where(Transfer.pending_id == pending_id)) is not None


def balance(session: Session, account_id: str) -> rules.Balance:
    row = session.get(LedgerAccount, account_id)
    return _balance(row) if row is not None else rules.Balance()


def verify(session: Session) -> list[str]:
    """Every invariant the stored ledger breaks (logic/ledger.py: violations); [] if sound."""
    transfers = [
        rules.TransferFacts(
            t.id,
            t.kind,  # type: ignore[arg-type]
            t.debit_account,
            t.credit_account,
            t.amount_minor,
            t.currency,
            t.pending_id,
        )
        for t in session.scalars(select(Transfer).order_by(Transfer.seq))
    ]
    stored = {a.id: _balance(a) for a in session.scalars(select(LedgerAccount))}
    return rules.violations(transfers, stored)


def select_transfer_ids() -> Select[tuple[str]]:
    """A query of every transfer's id (for counts in checks and benchmarks)."""
    return select(Transfer.id)
