"""The ledger's rules, after TigerBeetle: pure checks over plain values.

Money is integer minor units of one ISO 4217 currency, never floats. A transfer debits one
account and credits another by the same amount, so every transfer's entries sum to zero. A
transfer is `posted` at once, or `pending` (a hold) later resolved exactly once by a `post` or
a `void` transfer that names it. Rows are never changed: corrections are new transfers.

An account's balance is credits minus debits. Accounts of a kind that may not go negative
(escrow, a mechanic's payable, the platform's fees) must keep
`credits_posted - debits_posted - debits_pending >= 0` after every transfer: a hold reserves
the money it may later move.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

Kind = Literal["posted", "pending", "post", "void"]
# The payment provider's side is the world's money coming in and going out: it goes negative.
NEGATIVE_ALLOWED_KINDS = frozenset({"gateway"})
ACCOUNT_KINDS = frozenset({"gateway", "escrow", "mechanic", "platform_fee"})
MAX_AMOUNT_MINOR = 10**12  # ten billion in a two-decimal currency: far past any repair
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class LedgerRefusal(ValueError):
    """A transfer the ledger's rules refuse; nothing was written."""


@dataclass(frozen=True)
class Balance:
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    @property
    def posted(self) -> int:
        return self.credits_posted - self.debits_posted

    @property
    def available(self) -> int:
        """What the account could still pay out: posted balance less its outgoing holds."""
        return self.credits_posted - self.debits_posted - self.debits_pending


@dataclass(frozen=True)
class TransferFacts:
    """A transfer as the rules see it (amount of a post or void: that of its pending)."""

    id: str
    kind: Kind
    debit: str
    credit: str
    amount_minor: int
    currency: str
    pending_id: str | None = None


def check_amount(amount_minor: int, currency: str) -> None:
    """Raise LedgerRefusal unless the amount is a positive int within limits, in ISO 4217 form."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise LedgerRefusal(f"expected integer minor units, got {amount_minor!r}")
    if not 0 < amount_minor <= MAX_AMOUNT_MINOR:
        raise LedgerRefusal(f"expected an amount in 1..{MAX_AMOUNT_MINOR}, got {amount_minor}")
    if not _CURRENCY.match(currency):
        raise LedgerRefusal(f"expected an ISO 4217 code such as EUR, got {currency!r}")


def account_kind(account_id: str) -> str:
    """The kind an account id starts with ("escrow:<job>" is of kind escrow)."""
    kind = account_id.split(":", 1)[0]
    if kind not in ACCOUNT_KINDS:
        raise LedgerRefusal(f"expected an account of {sorted(ACCOUNT_KINDS)}, got {account_id!r}")
    return kind


def may_go_negative(account_id: str) -> bool:
    return account_kind(account_id) in NEGATIVE_ALLOWED_KINDS


def apply(balances: dict[str, Balance], transfer: TransferFacts) -> dict[str, Balance]:
    """The two accounts' balances after the transfer (others unchanged), or LedgerRefusal.

    For `post` and `void`, `transfer` carries the pending transfer's accounts and amount.
    """
    debit, credit = _moved(balances, transfer)
    return {**balances, transfer.debit: debit, transfer.credit: credit}


def _moved(balances: dict[str, Balance], transfer: TransferFacts) -> tuple[Balance, Balance]:
    """The debit and credit accounts' balances after the transfer, or LedgerRefusal."""
    if transfer.debit == transfer.credit:
        raise LedgerRefusal(f"expected two different accounts, got {transfer.debit!r} twice")
    check_amount(transfer.amount_minor, transfer.currency)
    debit = balances.get(transfer.debit, Balance())
    credit = balances.get(transfer.credit, Balance())
    amount = transfer.amount_minor
    if transfer.kind == "posted":
        debit = replace(debit, debits_posted=debit.debits_posted + amount)
        credit = replace(credit, credits_posted=credit.credits_posted + amount)
    elif transfer.kind == "pending":
        debit = replace(debit, debits_pending=debit.debits_pending + amount)
        credit = replace(credit, credits_pending=credit.credits_pending + amount)
    else:
        debit = replace(debit, debits_pending=debit.debits_pending - amount)
        credit = replace(credit, credits_pending=credit.credits_pending - amount)
        if transfer.kind == "post":
            debit = replace(debit, debits_posted=debit.debits_posted + amount)
            credit = replace(credit, credits_posted=credit.credits_posted + amount)
    if debit.available < 0 and not may_go_negative(transfer.debit):
        raise LedgerRefusal(
            f"{transfer.debit} may not go negative: {debit.available + amount} available, "
            f"{amount} asked"
        )
    return debit, credit


def replay(transfers: Iterable[TransferFacts]) -> dict[str, Balance]:
    """Balances derived from the transfers alone, in order (what `ledger verify` recomputes)."""
    balances: dict[str, Balance] = {}
    for transfer in transfers:  # in place: a copy per transfer would be quadratic
        balances[transfer.debit], balances[transfer.credit] = _moved(balances, transfer)
    return balances


def violations(transfers: list[TransferFacts], stored: dict[str, Balance]) -> list[str]:
    """Every broken invariant: a hold resolved twice or a non-hold resolved, balances of a
    currency that do not sum to zero, a stored balance that differs from the replayed one,
    a forbidden negative balance. Empty when the ledger is sound."""
    found: list[str] = []
    kinds = {t.id: t.kind for t in transfers}
    resolved: set[str] = set()
    for t in transfers:
        if t.kind in ("post", "void"):
            if t.pending_id in resolved or kinds.get(t.pending_id or "") != "pending":
                found.append(f"{t.id}: resolves {t.pending_id} twice or a non-pending transfer")
            resolved.add(t.pending_id or "")
    try:
        derived = replay(transfers)
    except LedgerRefusal as error:
        return [*found, f"replay refused: {error}"]
    for currency in sorted({t.currency for t in transfers}):
        accounts = {a for t in transfers if t.currency == currency for a in (t.debit, t.credit)}
        for field in ("posted", "pending"):
            total = sum(_signed(derived[a], field) for a in accounts)
            if total != 0:
                found.append(f"{currency} {field} balances sum to {total}, expected 0")
    for account, balance in derived.items():
        if stored.get(account, Balance()) != balance:
            found.append(f"{account}: stored {stored.get(account)} but transfers give {balance}")
        if balance.available < 0 and not may_go_negative(account):
            found.append(f"{account} is negative: {balance.available}")
    for account in set(stored) - set(derived):
        if stored[account] != Balance():
            found.append(f"{account}: stored {stored[account]} without any transfer")
    return found


def _signed(balance: Balance, field: str) -> int:
    if field == "posted":
        return balance.credits_posted - balance.debits_posted
    return balance.credits_pending - balance.debits_pending


def fee_split(amount_minor: int, fee_basis_points: int) -> tuple[int, int]:
    """(mechanic's share, platform fee) of an amount; the fee rounds down, shares sum exactly."""
    if not 0 <= fee_basis_points <= 10_000:
        raise LedgerRefusal(f"expected a fee in 0..10000 basis points, got {fee_basis_points}")
    fee = amount_minor * fee_basis_points // 10_000
    return amount_minor - fee, fee
