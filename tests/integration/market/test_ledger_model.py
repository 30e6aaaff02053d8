"""A randomised model test of payments and the ledger, on SQLite and PostgreSQL.

Random sequences of steps: jobs brought to invoiced, payments through a card provider that
declines, times out after charging, and whose callbacks arrive late, duplicated and out of
order; retries, reviews that release escrow, admin refunds, replays of transfer ids, attempts
to overdraw escrow, and crashes (a unit of work abandoned before its commit). After every
step: the ledger verifies (sums of zero per currency, stored balances equal replayed ones, no
forbidden negative, each hold resolved once), no payment is applied twice, and each job's
paid amount equals its posted payments minus its refunds. MARKET_MODEL_STEPS sets the length.
"""

from __future__ import annotations

import os
import random
import threading
import uuid
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bikenode.db.engine import make_session_factory
from bikenode.errors import Busy, Conflict, InvalidInput
from bikenode.market import ledger, payments, service
from bikenode.market.models import Payment, ProviderEvent, RepairJob, Transfer
from tests.service_factories import make_mechanic, make_repair_job, make_user, view_of_user

STEPS = int(os.environ.get("MARKET_MODEL_STEPS", "300"))


class Model:
    def __init__(self, session: Session, seed: int) -> None:
        self.session, self.random = session, random.Random(seed)
        self.gateway = payments.FakeCardGateway()
        self.rider = make_user(session)
        self.rider_view = view_of_user(session, self.rider)
        self.mechanic = make_mechanic(session)
        self.mechanic_view = view_of_user(session, self.mechanic)
        self.admin_view = view_of_user(session, make_user(session, role="admin"))
        self.undelivered: list[payments.ProviderCallback] = []
        self.delivered: list[payments.ProviderCallback] = []
        self.jobs: list[uuid.UUID] = []
        self.steps: Counter[str] = Counter()

    def access(self, job_id: uuid.UUID, actor: str = "rider") -> service.JobAccess:
        user = self.rider_view if actor == "rider" else self.mechanic_view
        found = service.job_access(self.session, user=user, job_id=job_id)
        if actor == "admin":
            return service.JobAccess(found.job, "admin", None)
        return found

    def jobs_in(self, state: str) -> list[uuid.UUID]:
        rows = self.session.scalars(
            select(RepairJob.id).where(RepairJob.id.in_(self.jobs), RepairJob.state == state)
        )
        return sorted(rows)

    # The steps ------------------------------------------------------------------------
    def new_invoiced_job(self) -> None:
        price = self.random.choice([1, 99, 4500, 12_345, 10**9])
        job_id, [quote_id] = make_repair_job(
            self.session, self.rider, mechanics=[self.mechanic], price_minor=price
        )
        quote, access = service.quote_access(self.session, user=self.rider_view, quote_id=quote_id)
        service.accept_quote(self.session, quote=quote, access=access)
        for name in ("start", "finish", "invoice"):
            service.take_transition(self.session, access=self.access(job_id, "mechanic"), name=name)
        self.jobs.append(job_id)

    def pay(self) -> None:
        candidates = self.jobs_in("invoiced")
        if not candidates:
            return
        self.gateway.decline_next = int(self.random.random() < 0.2)
        self.gateway.timeout_next = int(self.random.random() < 0.25)
        try:
            payments.pay_job(
                self.session,
                access=self.access(self.random.choice(candidates)),
                gateway=self.gateway,
            )
        except (InvalidInput, Busy):
            self.session.rollback()
        self.undelivered += self.gateway.drain()

    def deliver(self) -> None:
        again = self.random.sample(self.delivered, min(3, len(self.delivered)))
        # A provider also re-sends under a new event id, and sends stale contrary outcomes.
        renamed = [
            payments.ProviderCallback(f"evt_again_{uuid.uuid4().hex[:8]}", c.payment_id, outcome)
            for c in again
            for outcome in (c.outcome, "failed" if c.outcome == "succeeded" else "succeeded")
        ]
        pool = self.undelivered + again + renamed
        self.random.shuffle(pool)  # out of order, and some again
        for callback in pool[: self.random.randint(1, max(1, len(pool)))]:
            payments.apply_provider_event(self.session, callback=callback)
            if callback in self.undelivered:
                self.undelivered.remove(callback)
                self.delivered.append(callback)

    def review(self) -> None:
        candidates = self.jobs_in("paid")
        if candidates:
            access = self.access(self.random.choice(candidates))
            payments.review_job(self.session, access=access, rating=5, text="good")

    def refund(self) -> None:
        candidates = self.jobs_in("paid")
        if candidates:
            payments.refund_job(
                self.session, access=self.access(self.random.choice(candidates), "admin")
            )

    def replay_transfer(self) -> None:
        transfers = self.session.scalars(select(Transfer).where(Transfer.kind == "posted")).all()
        if not transfers:
            return
        t = self.random.choice(transfers)
        before = self._count(Transfer)
        again = ledger.transfer(
            self.session,
            transfer_id=t.id,
            kind="posted",
            debit=t.debit_account,
            credit=t.credit_account,
            amount_minor=t.amount_minor,
            currency=t.currency,
        )
        assert again.seq == t.seq and self._count(Transfer) == before
        with pytest.raises(Conflict):
            ledger.transfer(
                self.session,
                transfer_id=t.id,
                kind="posted",
                debit=t.debit_account,
                credit=t.credit_account,
                amount_minor=t.amount_minor + 1,
                currency=t.currency,
            )
        self.session.rollback()

    def overdraw(self) -> None:
        if not self.jobs:
            return
        accounts = ledger.accounts_of(self.random.choice(self.jobs), "EUR")
        available = ledger.balance(self.session, accounts.escrow).available
        with pytest.raises(InvalidInput, match="may not go negative"):
            ledger.transfer(
                self.session,
                transfer_id=f"steal:{uuid.uuid4()}",
                kind="posted",
                debit=accounts.escrow,
                credit=accounts.mechanic,
                amount_minor=available + 1,
                currency="EUR",
            )
        self.session.rollback()

    def crash(self) -> None:
        """A unit of work that dies before its commit: a transfer written, then lost."""
        if not self.jobs:
            return
        accounts = ledger.accounts_of(self.random.choice(self.jobs), "EUR")
        ledger.transfer(
            self.session,
            transfer_id=f"lost:{uuid.uuid4()}",
            kind="posted",
            debit=accounts.gateway,
            credit=accounts.escrow,
            amount_minor=500,
            currency="EUR",
        )
        self.session.rollback()

    def step(self) -> None:
        weights = {
            self.new_invoiced_job: 2 if len(self.jobs) < 40 else 0,
            self.pay: 5,
            self.deliver: 5,
            self.review: 2,
            self.refund: 1,
            self.replay_transfer: 1,
            self.overdraw: 1,
            self.crash: 1,
        }
        action = self.random.choices(list(weights), weights=list(weights.values()))[0]
        action()
        self.steps[action.__name__] += 1

    # The invariants --------------------------------------------------------------------
    def _count(self, model: type) -> int:
        return int(self.session.scalar(select(func.count()).select_from(model)) or 0)

    def check(self) -> list[str]:
        return invariants(self.session)


def invariants(session: Session) -> list[str]:
    """Every broken invariant of the stored ledger and payments (empty when all hold)."""
    found = ledger.verify(session)
    applied = Counter(
        session.scalars(select(ProviderEvent.payment_id).where(ProviderEvent.applied))
    )
    found += [f"payment {p} applied {n} times" for p, n in applied.items() if n > 1]
    moved: Counter[uuid.UUID] = Counter()
    for t in session.scalars(select(Transfer)):
        if t.id.startswith("pay:") and t.job_id:
            moved[t.job_id] += t.amount_minor
        elif t.id.startswith("refund:") and t.job_id:
            moved[t.job_id] -= t.amount_minor
    paid: Counter[uuid.UUID] = Counter()
    for p in session.scalars(select(Payment).where(Payment.state == "succeeded")):
        paid[p.job_id] += p.amount_minor
    if +moved != +paid:
        found.append(f"posted payments minus refunds {dict(moved)} != paid {dict(paid)}")
    live = Counter(
        session.scalars(
            select(Payment.job_id).where(Payment.state.in_(("processing", "succeeded")))
        )
    )
    found += [f"job {j} has {n} live payments" for j, n in live.items() if n > 1]
    session.rollback()
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_random_payments_and_failures_never_break_the_ledger(session: Session, seed: int) -> None:
    model = Model(session, seed)
    for n in range(STEPS):
        model.step()
        assert model.check() == [], f"step {n}: {model.steps}"
    # The run did exercise what it claims to.
    assert model.steps["pay"] and model.steps["deliver"] and model.steps["review"]
    payments_by_state = Counter(session.scalars(select(Payment.state)))
    assert (
        payments_by_state["failed"]
        and payments_by_state["succeeded"] + payments_by_state["refunded"]
    )


WORKERS = int(os.environ.get("MARKET_MODEL_WORKERS", "4"))


def test_concurrent_workers_paying_reviewing_and_refunding_keep_the_ledger_sound(
    engine: Engine, session: Session
) -> None:
    """Workers in threads, each with its own session, act on the same jobs at once; on
    PostgreSQL they really overlap (row locks and the job's version settle it), on SQLite
    the write lock serialises them. Domain refusals are expected; anything else fails."""
    model = Model(session, 0)
    for _ in range(12):
        model.new_invoiced_job()
    sessions = make_session_factory(engine)
    gateway, lock = payments.FakeCardGateway(duplicate_callbacks=True), threading.Lock()
    errors: list[BaseException] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        with sessions() as db:
            rider = view_of_user(db, model.rider)
            for _ in range(40):
                job_id = rng.choice(model.jobs)
                try:
                    access = service.job_access(db, user=rider, job_id=job_id)
                    action = rng.choice(["pay", "pay", "deliver", "deliver", "review", "refund"])
                    if action == "pay":
                        payments.pay_job(db, access=access, gateway=gateway)
                    elif action == "deliver":
                        with lock:
                            sent = gateway.drain()
                        for callback in rng.sample(sent, len(sent)):
                            payments.apply_provider_event(db, callback=callback)
                    elif action == "review":
                        payments.review_job(db, access=access, rating=4, text="")
                    else:
                        as_admin = service.JobAccess(access.job, "admin", None)
                        payments.refund_job(db, access=as_admin)
                except (Conflict, InvalidInput, Busy):
                    db.rollback()
                except BaseException as error:
                    errors.append(error)
                    db.rollback()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    for callback in gateway.drain():  # what no worker delivered
        payments.apply_provider_event(session, callback=callback)
    assert errors == []
    assert invariants(session) == []
    states = Counter(session.scalars(select(RepairJob.state).where(RepairJob.id.in_(model.jobs))))
    assert states["paid"] + states["reviewed"] + states["cancelled"] > 0, states
