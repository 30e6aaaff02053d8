"""A person's market data for GDPR requests: everything for an export, or erased.

Erasure deletes a rider's jobs that never took money nor were invoiced, with their quotes and
threads. A job that was invoiced or paid is a trade record the law keeps (invoices: ten years
in Germany, HGB 257 and AO 147; six in the UK; GDPR art. 17(3)(b) lets a legal duty outrank
erasure), so it stays anonymised: no rider id, bike, description, thread or review text; the
title, the amounts, the dates and the ledger's transfers (named by job, never by person)
remain. Its invoice stays whole — number, lines, tax, totals — and only loses the ids of the
erased rider or mechanic; numbers are never reused (the counter row of an erased mechanic is
deleted, but their invoices keep their numbers). A mechanic's quotes lose their author;
every message a person wrote is deleted.

Reviews: a mechanic profile is deleted. A review the person wrote loses its author and text
but keeps its stars: they rate the mechanic's work, not the rider, and dropping them would
let anyone erase a bad (or good) mark from a mechanic's record. Replies the person wrote as
a mechanic are removed, and reviews of their work no longer name them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.market.models import (
    IdempotencyKey,
    Invoice,
    InvoiceCounter,
    MechanicProfile,
    Message,
    Payment,
    Quote,
    RepairJob,
    Review,
)

JOB_FIELDS = (
    "id",
    "bike_id",
    "component_ids",
    "title",
    "description",
    "lat_deg",
    "lon_deg",
    "currency",
    "state",
    "accepted_quote_id",
    "rating",
    "review",
    "expires_at",
    "done_at",
    "created_at",
    "updated_at",
)
QUOTE_FIELDS = ("id", "job_id", "price_minor", "currency", "message", "valid_until", "state")
MESSAGE_FIELDS = ("id", "quote_id", "body", "created_at")
PAYMENT_FIELDS = ("id", "job_id", "amount_minor", "currency", "provider", "state", "created_at")
PROFILE_FIELDS = (
    "display_name",
    "bio",
    "services",
    "lat_deg",
    "lon_deg",
    "radius_km",
    "hours",
    "accepting",
    "created_at",
    "updated_at",
)
REVIEW_FIELDS = (
    "id",
    "job_id",
    "stars",
    "text",
    "reply",
    "replied_at",
    "created_at",
    "edited_at",
)
INVOICE_FIELDS = (
    "id",
    "job_id",
    "number",
    "currency",
    "country",
    "lines",
    "net_minor",
    "tax_minor",
    "total_minor",
    "issued_at",
)
ERASED = "(erased)"


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): market/jobs.json (the rider's jobs with their quotes), market/quotes.json
    (quotes the person gave as a mechanic), market/messages.json, market/payments.json."""
    jobs = session.scalars(
        select(RepairJob).where(RepairJob.owner_id == owner_id).order_by(RepairJob.created_at)
    ).all()
    quotes_on: dict[uuid.UUID, list[dict[str, object]]] = {}
    job_ids = [j.id for j in jobs]
    for quote in session.scalars(select(Quote).where(Quote.job_id.in_(job_ids))):
        quotes_on.setdefault(quote.job_id, []).append(fields_of(quote, QUOTE_FIELDS))
    exported = [{**fields_of(j, JOB_FIELDS), "quotes": quotes_on.get(j.id, [])} for j in jobs]
    yield "market/jobs.json", json_bytes(exported)
    given = session.scalars(
        select(Quote).where(Quote.owner_id == owner_id).order_by(Quote.created_at)
    )
    yield "market/quotes.json", json_bytes([fields_of(q, QUOTE_FIELDS) for q in given])
    written = session.scalars(
        select(Message).where(Message.user_id == owner_id).order_by(Message.created_at)
    )
    yield "market/messages.json", json_bytes([fields_of(m, MESSAGE_FIELDS) for m in written])
    paid = session.scalars(
        select(Payment).where(Payment.owner_id == owner_id).order_by(Payment.created_at)
    )
    yield "market/payments.json", json_bytes([fields_of(p, PAYMENT_FIELDS) for p in paid])
    yield from _review_export(session, owner_id)
    for name, column in (("received", Invoice.rider_id), ("issued", Invoice.owner_id)):
        rows = session.scalars(
            select(Invoice).where(column == owner_id).order_by(Invoice.issued_at)
        )
        yield (
            f"market/invoices_{name}.json",
            json_bytes([fields_of(i, INVOICE_FIELDS) for i in rows]),
        )
    session.rollback()  # end the read: writers are not held up (SQLite)


def _review_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """market/mechanic_profile.json, market/reviews_written.json, market/reviews_received.json."""
    profile = session.get(MechanicProfile, owner_id)
    yield (
        "market/mechanic_profile.json",
        json_bytes(fields_of(profile, PROFILE_FIELDS) if profile else None),
    )
    for name, column in (("written", Review.rider_id), ("received", Review.mechanic_id)):
        rows = session.scalars(select(Review).where(column == owner_id).order_by(Review.created_at))
        yield f"market/reviews_{name}.json", json_bytes([fields_of(r, REVIEW_FIELDS) for r in rows])


def _erase_reviews(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    profiles = session.execute(delete(MechanicProfile).where(MechanicProfile.user_id == owner_id))
    written = session.execute(
        update(Review).where(Review.rider_id == owner_id).values(rider_id=None, text=ERASED)
    )
    session.execute(
        update(Review)
        .where(Review.mechanic_id == owner_id)
        .values(mechanic_id=None, reply=None, replied_at=None)
    )
    return {
        "mechanic_profiles_deleted": float(profiles.rowcount),  # type: ignore[attr-defined]
        "reviews_anonymised": float(written.rowcount),  # type: ignore[attr-defined]
    }


def _erase_invoices(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    """Invoices are kept (module docstring) without the person's id, either side."""
    received = session.execute(
        update(Invoice).where(Invoice.rider_id == owner_id).values(rider_id=None)
    )
    issued = session.execute(
        update(Invoice).where(Invoice.owner_id == owner_id).values(owner_id=None)
    )
    session.execute(delete(InvoiceCounter).where(InvoiceCounter.user_id == owner_id))
    kept = received.rowcount + issued.rowcount  # type: ignore[attr-defined]
    return {"invoices_anonymised": float(kept)}


def erase_user_data(session: Session, owner_id: uuid.UUID) -> dict[str, float]:
    """Delete or anonymise the person's market data (above); flushes only. Counts by kind."""
    jobs = select(RepairJob.id).where(RepairJob.owner_id == owner_id)
    paid = set(session.scalars(select(Payment.job_id).where(Payment.job_id.in_(jobs))))
    paid |= set(session.scalars(select(Invoice.job_id).where(Invoice.job_id.in_(jobs))))
    unpaid = [j for j in session.scalars(jobs) if j not in paid]
    threads = select(Quote.id).where(Quote.job_id.in_(jobs))
    counts = {"jobs_deleted": float(len(unpaid)), "jobs_anonymised": float(len(paid))}
    counts |= _erase_reviews(session, owner_id)
    session.execute(
        delete(Message).where((Message.user_id == owner_id) | Message.quote_id.in_(threads))
    )
    # Explicit deletes rather than trusting every database's cascade: nothing may stay.
    session.execute(delete(Quote).where(Quote.job_id.in_(unpaid)))
    session.execute(delete(RepairJob).where(RepairJob.id.in_(unpaid)))
    session.execute(
        update(RepairJob)
        .where(RepairJob.id.in_(paid))
        .values(owner_id=None, bike_id=None, component_ids=[], description=ERASED, review=None)
    )
    session.execute(update(Quote).where(Quote.owner_id == owner_id).values(owner_id=None))
    session.execute(update(Payment).where(Payment.owner_id == owner_id).values(owner_id=None))
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.user_id == owner_id))
    counts |= _erase_invoices(session, owner_id)
    session.flush()
    return counts
