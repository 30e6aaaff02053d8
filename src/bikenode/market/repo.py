"""Queries on the market's tables; never commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bikenode.market.models import MechanicProfile, Message, Payment, Quote, RepairJob, Review

OPEN_STATES = ("open", "quoted")


def job(session: Session, job_id: uuid.UUID) -> RepairJob | None:
    return session.get(RepairJob, job_id)


def jobs_of(session: Session, owner_id: uuid.UUID, limit: int) -> Sequence[RepairJob]:
    return session.scalars(
        select(RepairJob)
        .where(RepairJob.owner_id == owner_id)
        .order_by(RepairJob.created_at.desc(), RepairJob.id)
        .limit(limit)
    ).all()


def open_jobs_in(
    session: Session, box: tuple[float, float, float, float], limit: int
) -> Sequence[RepairJob]:
    """Open or quoted jobs whose approximate point lies in (south, north, west, east)."""
    south, north, west, east = box
    return session.scalars(
        select(RepairJob)
        .where(
            RepairJob.state.in_(OPEN_STATES),
            RepairJob.lat_deg.between(south, north),
            RepairJob.lon_deg.between(west, east),
        )
        .order_by(RepairJob.created_at.desc(), RepairJob.id)
        .limit(limit)
    ).all()


def quote(session: Session, quote_id: uuid.UUID) -> Quote | None:
    return session.get(Quote, quote_id)


def quotes_of_job(session: Session, job_id: uuid.UUID) -> Sequence[Quote]:
    return session.scalars(
        select(Quote).where(Quote.job_id == job_id).order_by(Quote.created_at, Quote.id)
    ).all()


def quote_by(session: Session, job_id: uuid.UUID, mechanic_id: uuid.UUID) -> Quote | None:
    return session.scalar(
        select(Quote).where(Quote.job_id == job_id, Quote.owner_id == mechanic_id)
    )


def quotes_by(session: Session, mechanic_id: uuid.UUID, limit: int) -> Sequence[Quote]:
    return session.scalars(
        select(Quote)
        .where(Quote.owner_id == mechanic_id)
        .order_by(Quote.created_at.desc(), Quote.id)
        .limit(limit)
    ).all()


def messages_of(session: Session, quote_id: uuid.UUID, limit: int) -> Sequence[Message]:
    return session.scalars(
        select(Message)
        .where(Message.quote_id == quote_id)
        .order_by(Message.created_at, Message.id)
        .limit(limit)
    ).all()


def payments_of(session: Session, job_id: uuid.UUID) -> Sequence[Payment]:
    return session.scalars(
        select(Payment).where(Payment.job_id == job_id).order_by(Payment.created_at)
    ).all()


def lock_job(session: Session, job_id: uuid.UUID, version: int) -> bool:
    """Bump the job's version if it is still `version`: the one writer of a race wins."""
    result = session.execute(
        update(RepairJob)
        .where(RepairJob.id == job_id, RepairJob.version == version)
        .values(version=version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def due_job_ids(session: Session, now: datetime, auto_invoice_before: datetime) -> list[uuid.UUID]:
    """Jobs with a time-based transition due: expired open jobs, lapsed quotes, old done jobs."""
    expiring = select(RepairJob.id).where(RepairJob.state == "open", RepairJob.expires_at <= now)
    quoted = select(Quote.job_id).where(Quote.state == "open", Quote.valid_until <= now)
    old_done = select(RepairJob.id).where(
        RepairJob.state == "done", RepairJob.done_at <= auto_invoice_before
    )
    ids = set(session.scalars(expiring)) | set(session.scalars(quoted))
    return sorted(ids | set(session.scalars(old_done)))


def accepting_mechanics_in(
    session: Session, box: tuple[float, float, float, float], limit: int
) -> Sequence[MechanicProfile]:
    """Profiles accepting jobs whose approximate point lies in (south, north, west, east)."""
    south, north, west, east = box
    return session.scalars(
        select(MechanicProfile)
        .where(
            MechanicProfile.accepting.is_(True),
            MechanicProfile.lat_deg.between(south, north),
            MechanicProfile.lon_deg.between(west, east),
        )
        .order_by(MechanicProfile.user_id)
        .limit(limit)
    ).all()


def reviews_of(
    session: Session, mechanic_id: uuid.UUID, limit: int, offset: int
) -> Sequence[Review]:
    return session.scalars(
        select(Review)
        .where(Review.mechanic_id == mechanic_id)
        .order_by(Review.created_at.desc(), Review.id)
        .limit(limit)
        .offset(offset)
    ).all()
