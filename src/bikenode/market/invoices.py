"""Quote line items and invoices: lines checked and priced (logic/invoice.py), invoices issued
once per job from the accepted quote and numbered per mechanic without gaps.

The number comes from a counter row per mechanic and year, bumped by one UPDATE in the
issuing transaction: a rolled-back issue gives its number back, two concurrent issues wait
on the row (PostgreSQL) or on the single writer (SQLite), so the numbers are 1..N exactly.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.market.logic import invoice as rules
from bikenode.market.logic.text import clean_text
from bikenode.market.models import Invoice, InvoiceCounter, MechanicProfile, Quote, RepairJob


def build_lines(
    items: Sequence[Mapping[str, Any]], *, country: str | None, tax_rates: Mapping[str, int]
) -> list[rules.Line]:
    """Checked line items from a request's; InvalidInput naming the first bad one."""
    try:
        rules.check_count(items)
        needs_default = any(item.get("tax_rate_bp") is None for item in items)
        default = rules.tax_rate_for(country, tax_rates) if needs_default else None
        return [_line(item, default) for item in items]
    except rules.LineError as error:
        raise InvalidInput(str(error)) from error


def _line(item: Mapping[str, Any], default_tax_bp: int | None) -> rules.Line:
    description = clean_text(str(item.get("description", "")))
    if not description:
        raise rules.LineError("expected a description on every line")
    return rules.make_line(
        kind=str(item.get("kind")),
        description=description,
        quantity=item["quantity"],
        unit_minor=int(item["unit_minor"]),
        tax_bp=item.get("tax_rate_bp"),
        default_tax_bp=default_tax_bp,
    )


def lines_of(quote: Quote) -> list[rules.Line]:
    """The quote's line items; a quote from before them reads as one line of its price."""
    if quote.lines is None:
        return [rules.single_price_line(quote.price_minor)]
    return [rules.line_from_json(line) for line in quote.lines]


def priced_json(totals: rules.Totals, extra_from: int) -> list[dict[str, object]]:
    """Priced lines as stored on an invoice; lines from `extra_from` on were added after the
    quote was accepted (agreed in the thread) and are marked so."""
    return [
        rules.line_to_json(p.line)
        | {
            "net_minor": p.net_minor,
            "tax_minor": p.tax_minor,
            "total_minor": p.total_minor,
            "extra": n >= extra_from,
        }
        for n, p in enumerate(totals.lines)
    ]


def issue_invoice(
    session: Session, *, job: RepairJob, quote: Quote, extra: Sequence[rules.Line]
) -> Invoice:
    """The job's invoice from its accepted quote plus the extra lines, with the mechanic's
    next number; flushes only (the caller's transition commits it)."""
    if quote.owner_id is None:
        raise Conflict("the accepted quote's mechanic is gone; no invoice can be issued")
    quoted = lines_of(quote)
    if len(quoted) + len(extra) > rules.MAX_LINES:
        raise InvalidInput(f"expected at most {rules.MAX_LINES} lines in all")
    totals = rules.totals([*quoted, *extra])
    if totals.total_minor <= 0:
        raise InvalidInput(f"expected an invoice total above 0, got {totals.total_minor}")
    now = utcnow()
    seq = _next_seq(session, quote.owner_id, now.year)
    invoice = Invoice(
        id=uuid.uuid4(),
        job_id=job.id,
        owner_id=quote.owner_id,
        rider_id=job.owner_id,
        number=rules.invoice_number(now.year, seq),
        year=now.year,
        seq=seq,
        currency=job.currency,
        country=quote.country,
        lines=priced_json(totals, len(quoted)),
        net_minor=totals.net_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
        issued_at=now,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _next_seq(session: Session, mechanic_id: uuid.UUID, year: int) -> int:
    """The mechanic's next number of the year, taken under the counter row's lock."""
    bump = (
        update(InvoiceCounter)
        .where(InvoiceCounter.user_id == mechanic_id, InvoiceCounter.year == year)
        .values(last_seq=InvoiceCounter.last_seq + 1)
        .returning(InvoiceCounter.last_seq)
        .execution_options(synchronize_session=False)
    )
    seq = session.scalar(bump)
    if seq is not None:
        return int(seq)
    try:
        with session.begin_nested():  # the first invoice of the year: create the row
            session.add(InvoiceCounter(user_id=mechanic_id, year=year, last_seq=1))
        return 1
    except IntegrityError:
        # Another issue created it first and has committed: take the next number after it.
        seq = session.scalar(bump)
        if seq is None:
            raise Conflict("the invoice counter changed meanwhile; try again") from None
        return int(seq)


def invoice_of(session: Session, job_id: uuid.UUID) -> Invoice | None:
    return session.scalar(select(Invoice).where(Invoice.job_id == job_id))


def required_invoice(session: Session, job: RepairJob) -> Invoice:
    """The job's invoice, or NotFound while it has none."""
    found = invoice_of(session, job.id)
    if found is None:
        raise NotFound(f"no invoice yet: the job is {job.state}")
    return found


def issuer_name(session: Session, invoice: Invoice) -> str:
    """The issuing mechanic's business name from their profile, or a neutral word."""
    profile = session.get(MechanicProfile, invoice.owner_id) if invoice.owner_id else None
    return profile.display_name if profile is not None else "the mechanic"
