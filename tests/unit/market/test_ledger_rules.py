"""The ledger's rules: holds, posts and voids, no forbidden negative balance, sums of zero."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.market.logic.ledger import (
    Balance,
    LedgerRefusal,
    TransferFacts,
    apply,
    fee_split,
    replay,
    violations,
)

GATEWAY, ESCROW, MECHANIC = "gateway:card:EUR", "escrow:j1:EUR", "mechanic:j1:EUR"


def t(
    id_: str, kind: str, debit: str, credit: str, amount: int, pending: str | None = None
) -> TransferFacts:
    return TransferFacts(id_, kind, debit, credit, amount, "EUR", pending)  # type: ignore[arg-type]


def test_a_hold_reserves_escrow_and_its_post_moves_it() -> None:
    balances = apply({}, t("pay", "posted", GATEWAY, ESCROW, 1000))
    balances = apply(balances, t("hold", "pending", ESCROW, MECHANIC, 900))
    assert balances[ESCROW].available == 100 and balances[ESCROW].posted == 1000
    balances = apply(balances, t("post", "post", ESCROW, MECHANIC, 900, "hold"))
    assert balances[MECHANIC] == Balance(credits_posted=900)
    assert balances[ESCROW].available == 100


def test_escrow_may_not_pay_out_more_than_it_holds() -> None:
    balances = apply({}, t("pay", "posted", GATEWAY, ESCROW, 1000))
    balances = apply(balances, t("hold", "pending", ESCROW, MECHANIC, 900))
    with pytest.raises(LedgerRefusal, match="may not go negative"):
        apply(balances, t("more", "posted", ESCROW, MECHANIC, 101))


def test_the_gateway_may_go_negative() -> None:
    assert apply({}, t("pay", "posted", GATEWAY, ESCROW, 5))[GATEWAY].posted == -5


@pytest.mark.parametrize("amount", [0, -1, 10**13, 1.5, True])
def test_amounts_must_be_positive_integers_within_limits(amount: object) -> None:
    with pytest.raises(LedgerRefusal):
        apply({}, t("x", "posted", GATEWAY, ESCROW, amount))  # type: ignore[arg-type]


def test_verify_finds_a_hold_resolved_twice_and_a_tampered_balance() -> None:
    transfers = [
        t("pay", "posted", GATEWAY, ESCROW, 1000),
        t("hold", "pending", ESCROW, MECHANIC, 400),
        t("post", "post", ESCROW, MECHANIC, 400, "hold"),
    ]
    good = replay(transfers)
    assert violations(transfers, good) == []
    twice = [*transfers, t("void", "void", ESCROW, MECHANIC, 400, "hold")]
    assert any("twice" in v for v in violations(twice, good))
    tampered = {**good, MECHANIC: Balance(credits_posted=401)}
    assert any("stored" in v for v in violations(transfers, tampered))


@given(st.integers(1, 10**12), st.integers(0, 10_000))
def test_the_fee_split_always_adds_up(amount: int, fee_bp: int) -> None:
    share, fee = fee_split(amount, fee_bp)
    assert share + fee == amount and 0 <= fee <= amount
