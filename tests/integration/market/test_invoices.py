"""Invoices on a real database (SQLite and PostgreSQL): numbers per mechanic without gaps,
under real concurrency; the payment is the invoice's total, extra lines included."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from bikenode.db.engine import make_session_factory
from bikenode.errors import InvalidInput
from bikenode.market import invoices, payments, service
from bikenode.market.models import Invoice, InvoiceCounter
from tests.service_factories import make_mechanic, make_repair_job, make_user, view_of_user

CONCURRENT = 8


def _done_job(session: Session, mechanic: uuid.UUID) -> uuid.UUID:
    """A job of a new rider, quoted by the mechanic, accepted, worked on and finished."""
    rider = make_user(session)
    job_id, [quote_id] = make_repair_job(session, rider, mechanics=[mechanic])
    quote, access = service.quote_access(
        session, user=view_of_user(session, rider), quote_id=quote_id
    )
    service.accept_quote(session, quote=quote, access=access)
    for name in ("start", "finish"):
        _move(session, mechanic, job_id, name)
    return job_id


def _move(session: Session, who: uuid.UUID, job_id: uuid.UUID, name: str, **extra: Any) -> None:
    access = service.job_access(session, user=view_of_user(session, who), job_id=job_id)
    service.take_transition(session, access=access, name=name, **extra)


def test_concurrent_issues_number_a_mechanics_invoices_one_to_n(
    engine: Engine, session: Session
) -> None:
    mechanic = make_mechanic(session)
    jobs = [_done_job(session, mechanic) for _ in range(CONCURRENT)]
    sessions = make_session_factory(engine)
    barrier = threading.Barrier(CONCURRENT)
    errors: list[BaseException] = []

    def issue(job_id: uuid.UUID) -> None:
        with sessions() as own:
            barrier.wait()
            try:
                _move(own, mechanic, job_id, "invoice")
            except BaseException as error:  # reported by the assertion below
                errors.append(error)

    threads = [threading.Thread(target=issue, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    session.expire_all()
    rows = session.scalars(select(Invoice).where(Invoice.owner_id == mechanic)).all()
    assert sorted(r.seq for r in rows) == list(range(1, CONCURRENT + 1))
    assert {r.job_id for r in rows} == set(jobs)
    assert all(r.number == f"{r.year}-{r.seq:06d}" for r in rows)
    counter = session.scalar(select(InvoiceCounter).where(InvoiceCounter.user_id == mechanic))
    assert counter is not None and counter.last_seq == CONCURRENT


def test_a_refused_issue_leaves_no_gap_and_mechanics_count_apart(session: Session) -> None:
    mechanic, other = make_mechanic(session), make_mechanic(session)
    first, refused = _done_job(session, mechanic), _done_job(session, mechanic)
    _move(session, mechanic, first, "invoice")
    bad = [{"kind": "part", "description": "Chain", "quantity": 1, "unit_minor": 100}]
    try:  # no tax rate and no country to take it from: refused before any number is taken
        _move(session, mechanic, refused, "invoice", extra_lines=bad)
    except InvalidInput:
        session.rollback()
    _move(session, other, _done_job(session, other), "invoice")
    _move(session, mechanic, refused, "invoice")
    numbers = {
        (i.owner_id, i.seq) for i in session.scalars(select(Invoice).order_by(Invoice.issued_at))
    }
    assert numbers == {(mechanic, 1), (mechanic, 2), (other, 1)}


def test_the_payment_is_the_invoice_total_with_the_extra_lines(session: Session) -> None:
    mechanic = make_mechanic(session)
    job_id = _done_job(session, mechanic)  # quoted as one price of 5000, tax included
    extra = [
        {
            "kind": "part",
            "description": "Cable",
            "quantity": "2",
            "unit_minor": 350,
            "tax_rate_bp": 2000,
        },
        {
            "kind": "labour",
            "description": "Fit",
            "quantity": "0.25",
            "unit_minor": 4000,
            "tax_rate_bp": 2000,
        },
    ]
    _move(session, mechanic, job_id, "invoice", extra_lines=extra)
    invoice = invoices.invoice_of(session, job_id)
    assert invoice is not None
    # 5000 + (700 + 140) + (1000 + 200)
    assert (invoice.net_minor, invoice.tax_minor, invoice.total_minor) == (6700, 340, 7040)
    assert [line["extra"] for line in invoice.lines] == [False, True, True]
    job = service.job_access(session, user=view_of_user(session, mechanic), job_id=job_id).job
    rider = job.owner_id
    assert rider is not None
    access = service.job_access(session, user=view_of_user(session, rider), job_id=job_id)
    payment = payments.pay_job(session, access=access, gateway=payments.FakeCardGateway())
    assert (payment.amount_minor, payment.currency) == (7040, "EUR")


def test_the_auto_invoice_timer_issues_the_invoice_too(session: Session) -> None:
    from datetime import timedelta

    from bikenode.db.base import utcnow

    mechanic = make_mechanic(session)
    job_id = _done_job(session, mechanic)
    assert (
        service.run_timers(session, job_id=job_id, now=utcnow() + timedelta(days=8)) == "invoiced"
    )
    invoice = invoices.invoice_of(session, job_id)
    assert invoice is not None and invoice.seq == 1 and invoice.total_minor == 5000


def test_the_timer_leaves_a_done_job_of_an_erased_mechanic_uninvoiced(session: Session) -> None:
    from datetime import timedelta

    from bikenode.db.base import utcnow
    from bikenode.market import erase_user_data

    mechanic = make_mechanic(session)
    job_id = _done_job(session, mechanic)
    erase_user_data(session, mechanic)
    session.commit()
    assert service.run_timers(session, job_id=job_id, now=utcnow() + timedelta(days=8)) == "done"
    assert invoices.invoice_of(session, job_id) is None
