"""Repair jobs and quotes: the rider's and the mechanic's use cases.

Every change of a job's state goes through `_move`, which asks the state machine
(logic/states.py) and bumps the job's version with a compare-and-set, so two racing changes
(two quotes accepted at once, an accept racing expiry) end with exactly one winner; the loser
gets Conflict naming the transitions still allowed.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bikenode import bikes
from bikenode.accounts import UserView
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bikenode.events import publish
from bikenode.geo import haversine_m
from bikenode.market import invoices, repo
from bikenode.market.events import (
    JobCompleted,
    JobExpired,
    JobStarted,
    MessagePosted,
    QuoteAccepted,
    QuoteDeclined,
    QuoteReceived,
)
from bikenode.market.logic import location, states
from bikenode.market.logic.invoice import DEFAULT_TAX_RATES_BP, Line, line_to_json, totals
from bikenode.market.logic.text import clean_text
from bikenode.market.models import Message, Quote, RepairJob

TIMERS_JOB = "market.timers"
JOB_LIFETIME = timedelta(days=30)
MAX_QUOTE_VALIDITY = timedelta(days=90)
AUTO_INVOICE_AFTER = timedelta(days=7)
MAX_COMPONENTS = 20
PAGE = 100


@dataclass(frozen=True)
class JobAccess:
    """A job and who the caller is to it: its rider, a mechanic who quoted, or the admin."""

    job: RepairJob
    actor: states.Actor
    quote: Quote | None  # the caller's own quote when they are a quoting mechanic


def post_job(
    session: Session,
    *,
    owner_id: uuid.UUID,
    bike_id: uuid.UUID,
    component_ids: Sequence[uuid.UUID],
    title: str,
    description: str,
    lat_deg: float,
    lon_deg: float,
    currency: str,
    publish_now: bool,
) -> RepairJob:
    """A new job about one of the rider's bikes, at its approximate place; open if asked."""
    parts = bikes.owned_bike_parts(session, owner_id=owner_id, bike_id=bike_id)
    if parts is None:
        raise NotFound("no such bike")
    if len(set(component_ids)) > MAX_COMPONENTS:
        raise InvalidInput(
            f"expected at most {MAX_COMPONENTS} components, got {len(component_ids)}"
        )
    strangers = set(component_ids) - parts
    if strangers:
        raise NotFound("no such component")
    try:
        lat, lon = location.coarsen(lat_deg, lon_deg)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    now = utcnow()
    job = RepairJob(
        id=uuid.uuid4(),
        owner_id=owner_id,
        bike_id=bike_id,
        component_ids=[str(c) for c in dict.fromkeys(component_ids)],
        title=clean_text(title),
        description=clean_text(description),
        lat_deg=lat,
        lon_deg=lon,
        currency=currency,
        state="draft",
        version=1,
        expires_at=now + JOB_LIFETIME,
        created_at=now,
    )
    session.add(job)
    session.flush()
    if publish_now:
        _move(session, job, "publish", "rider")
        _schedule(session, job.id, job.expires_at)
    session.commit()
    return job


def _schedule(session: Session, job_id: uuid.UUID, at: datetime) -> None:
    """Run the job's time-based transitions at `at` (the queue's job holds the job's id)."""
    queued = enqueue(session, TIMERS_JOB, {"job_id": str(job_id)})
    queued.run_after = at


def _move(session: Session, job: RepairJob, name: str, actor: states.Actor) -> None:
    """Take the transition or raise Conflict with the allowed ones (in the caller's unit)."""
    outcome = states.apply_transition(job.state, name, actor)  # type: ignore[arg-type]
    if isinstance(outcome, states.Refusal):
        raise Conflict(f"{outcome.reason}; allowed now: {list(outcome.allowed) or 'none'}")
    if not repo.lock_job(session, job.id, job.version):
        session.rollback()
        raise Conflict("the job changed meanwhile; load it again")
    job.version += 1
    job.state = outcome


def my_jobs(session: Session, *, owner_id: uuid.UUID) -> Sequence[RepairJob]:
    """The rider's jobs, newest first."""
    return repo.jobs_of(session, owner_id, PAGE)


def open_jobs_near(
    session: Session, *, user: UserView, lat_deg: float, lon_deg: float, radius_km: float
) -> list[tuple[RepairJob, float]]:
    """Open jobs within the radius of a mechanic's point, nearest first, with distances in km."""
    _require_mechanic(user)
    for value in (lat_deg, lon_deg, radius_km):
        if not math.isfinite(value):
            raise InvalidInput(f"expected finite numbers, got {value!r}")
    rows = repo.open_jobs_in(session, location.bounding_box(lat_deg, lon_deg, radius_km), 10 * PAGE)
    found = []
    for job in rows:
        km = float(haversine_m(lat_deg, lon_deg, job.lat_deg, job.lon_deg)) / 1000
        if km <= radius_km:
            found.append((job, round(km, 1)))
    return sorted(found, key=lambda pair: pair[1])[:PAGE]


def _require_mechanic(user: UserView) -> None:
    if user.role != "mechanic":
        raise PermissionDenied(f"only mechanics may do this; you are a {user.role}")


def job_access(session: Session, *, user: UserView, job_id: uuid.UUID) -> JobAccess:
    """The job and the caller's part in it; NotFound for anyone with none (as for no job)."""
    job = repo.job(session, job_id)
    if job is None:
        raise NotFound("no such job")
    if job.owner_id == user.id:
        return JobAccess(job, "rider", None)
    own = repo.quote_by(session, job.id, user.id) if user.role == "mechanic" else None
    if own is not None and job.state != "draft":
        return JobAccess(job, "mechanic", own)
    raise NotFound("no such job")


def quote_access(
    session: Session, *, user: UserView, quote_id: uuid.UUID
) -> tuple[Quote, JobAccess]:
    """A quote the caller is party to: on their own job, or their own quote."""
    quote = repo.quote(session, quote_id)
    if quote is None:
        raise NotFound("no such quote")
    access = job_access(session, user=user, job_id=quote.job_id)
    if access.actor == "mechanic" and quote.owner_id != user.id:
        raise NotFound("no such quote")
    return quote, access


def submit_quote(
    session: Session,
    *,
    mechanic: UserView,
    job_id: uuid.UUID,
    price_minor: int | None,
    currency: str,
    message: str,
    valid_until: datetime,
    lines: Sequence[Mapping[str, object]] | None = None,
    country: str | None = None,
    tax_rates: Mapping[str, int] = DEFAULT_TAX_RATES_BP,
) -> Quote:
    """The mechanic's quote on an open job, new or revised (one per mechanic per job): a
    single price, or line items whose total with tax becomes the price."""
    _require_mechanic(mechanic)
    items = invoices.build_lines(lines, country=country, tax_rates=tax_rates) if lines else None
    price_minor = _quoted_price(price_minor, items)
    job = repo.job(session, job_id)
    if job is None or job.state not in repo.OPEN_STATES or job.owner_id == mechanic.id:
        raise NotFound("no such open job")
    if currency != job.currency:
        raise InvalidInput(f"expected a quote in the job's currency {job.currency}, got {currency}")
    now = utcnow()
    if not now < valid_until <= now + MAX_QUOTE_VALIDITY:
        raise InvalidInput(f"expected valid_until in the next {MAX_QUOTE_VALIDITY.days} days")
    quote = repo.quote_by(session, job.id, mechanic.id)
    if quote is not None and quote.state not in ("open", "expired"):
        raise Conflict(f"your quote is {quote.state}; it can no longer be revised")
    if quote is None:
        quote = Quote(id=uuid.uuid4(), job_id=job.id, owner_id=mechanic.id, created_at=now)
        session.add(quote)
    quote.price_minor, quote.currency, quote.message = price_minor, currency, clean_text(message)
    quote.lines = [line_to_json(line) for line in items] if items else None
    quote.country = country.upper() if country else None
    quote.valid_until, quote.state = valid_until, "open"
    session.flush()
    _move(session, job, "receive_quote", "mechanic")
    _schedule(session, job.id, valid_until)
    publish(session, QuoteReceived(job.id, quote.id, _owner(job), price_minor, currency))
    session.commit()
    return quote


def _quoted_price(price_minor: int | None, items: Sequence[Line] | None) -> int:
    """The quote's price: the lines' total with tax, or the single price given."""
    if items is None:
        if price_minor is None:
            raise InvalidInput("expected a price_minor or line items")
        return price_minor
    total = totals(items).total_minor
    if total <= 0:
        raise InvalidInput(f"expected line items totalling above 0, got {total}")
    if price_minor is not None and price_minor != total:
        raise InvalidInput(
            f"expected price_minor to equal the lines' total {total}, got {price_minor}"
        )
    return total


def _owner(job: RepairJob) -> uuid.UUID:
    if job.owner_id is None:
        raise NotFound("no such job")
    return job.owner_id


def accept_quote(session: Session, *, quote: Quote, access: JobAccess) -> RepairJob:
    """The rider accepts one open, still valid quote; every other quote is declined."""
    job = access.job
    if access.actor != "rider":
        raise NotFound("no such quote")
    if quote.state != "open" or quote.valid_until <= utcnow():
        raise Conflict(f"expected an open quote, this one is {quote.state} or past its validity")
    _move(session, job, "accept", "rider")
    for other in repo.quotes_of_job(session, job.id):
        if other.id == quote.id:
            other.state = "accepted"
        elif other.state == "open":  # only a live quote's mechanic is still waiting
            _decline(session, job, other)
        else:
            other.state = "declined"
    job.accepted_quote_id = quote.id
    if quote.owner_id is not None:
        publish(session, QuoteAccepted(job.id, quote.id, quote.owner_id))
    session.commit()
    return job


def _decline(session: Session, job: RepairJob, quote: Quote) -> None:
    """Decline the quote and tell its mechanic (an erased one is told nothing)."""
    quote.state = "declined"
    if quote.owner_id is not None:
        publish(session, QuoteDeclined(job.id, quote.id, quote.owner_id))


def accepted_quote(session: Session, job: RepairJob) -> Quote | None:
    return repo.quote(session, job.accepted_quote_id) if job.accepted_quote_id else None


def post_message(
    session: Session, *, quote: Quote, access: JobAccess, author_id: uuid.UUID, body: str
) -> Message:
    """A message in the thread of the quote, from its rider or its mechanic."""
    text = clean_text(body)
    if not text:
        raise InvalidInput("expected a message with some text")
    message = Message(id=uuid.uuid4(), quote_id=quote.id, user_id=author_id, body=text)
    session.add(message)
    session.flush()
    recipient = quote.owner_id if access.actor == "rider" else access.job.owner_id
    if recipient is not None:
        publish(session, MessagePosted(quote.id, message.id, recipient))
    session.commit()
    return message


def thread(session: Session, *, quote: Quote) -> Sequence[Message]:
    return repo.messages_of(session, quote.id, 10 * PAGE)


def take_transition(
    session: Session,
    *,
    access: JobAccess,
    name: str,
    extra_lines: Sequence[Mapping[str, object]] = (),
    tax_rates: Mapping[str, int] = DEFAULT_TAX_RATES_BP,
) -> RepairJob:
    """A plain transition by the caller (publish, start, finish, invoice, cancel...); the
    invoice transition issues the invoice, with the extra lines agreed since the quote."""
    job, actor = access.job, access.actor
    if actor == "mechanic" and (access.quote is None or access.quote.id != job.accepted_quote_id):
        # A mechanic whose quote was not accepted may only read the job.
        raise Conflict(f"only the accepted mechanic may {name} this job")
    if extra_lines and name != "invoice":
        raise InvalidInput(f"expected extra_lines only with the invoice transition, not {name}")
    country = access.quote.country if access.quote else None
    extra = invoices.build_lines(extra_lines, country=country, tax_rates=tax_rates)
    _move(session, job, name, actor)
    if name == "invoice":
        _issue(session, job, extra)
    if name == "publish":
        _schedule(session, job.id, job.expires_at)
    elif name == "start":
        publish(session, JobStarted(job.id, _owner(job)))
    elif name == "finish":
        job.done_at = utcnow()
        _announce_done(session, job)
        _schedule(session, job.id, job.done_at + AUTO_INVOICE_AFTER)
    elif name in ("cancel", "withdraw"):
        for quote in repo.quotes_of_job(session, job.id):
            if quote.state in ("open", "accepted") and not (
                name == "withdraw" and quote.id == job.accepted_quote_id
            ):  # a mechanic who withdraws needs no word of it
                _decline(session, job, quote)
            elif quote.state in ("open", "accepted"):
                quote.state = "declined"
    session.commit()
    return job


def _issue(session: Session, job: RepairJob, extra: Sequence[Line]) -> None:
    quote = accepted_quote(session, job)
    if quote is None:
        raise Conflict("the job has no accepted quote to invoice")
    invoices.issue_invoice(session, job=job, quote=quote, extra=extra)


def _announce_done(session: Session, job: RepairJob) -> None:
    quote = accepted_quote(session, job)
    if job.bike_id is None or quote is None or job.done_at is None:
        return
    publish(
        session,
        JobCompleted(
            job_id=job.id,
            owner_id=_owner(job),
            bike_id=job.bike_id,
            component_ids=tuple(uuid.UUID(c) for c in job.component_ids),
            title=job.title,
            price_minor=quote.price_minor,
            currency=quote.currency,
            done_at=job.done_at,
        ),
    )


def run_timers(session: Session, *, job_id: uuid.UUID, now: datetime | None = None) -> str:
    """Apply the job's due time-based transitions (the system's); the job's state after."""
    now = now or utcnow()
    job = repo.job(session, job_id)
    if job is None:
        return "gone"
    for quote in repo.quotes_of_job(session, job.id):
        if quote.state == "open" and quote.valid_until <= now:
            quote.state = "expired"
    quotes = repo.quotes_of_job(session, job.id)
    if job.state == "quoted" and not any(q.state == "open" for q in quotes):
        _move(session, job, "lapse_quotes", "system")
    if job.state == "open" and job.expires_at <= now:
        _move(session, job, "expire", "system")
        if job.owner_id is not None:
            publish(session, JobExpired(job.id, job.owner_id))
    if job.state == "done" and job.done_at and job.done_at + AUTO_INVOICE_AFTER <= now:
        accepted = accepted_quote(session, job)
        if (
            accepted is not None and accepted.owner_id is not None
        ):  # an erased mechanic bills no one
            _move(session, job, "auto_invoice", "system")
            _issue(session, job, [])
    session.commit()
    return job.state


def run_due_timers(session: Session, *, now: datetime | None = None) -> int:
    """Run every job's due timers (the CLI's sweep); how many jobs were looked at."""
    now = now or utcnow()
    ids = repo.due_job_ids(session, now, now - AUTO_INVOICE_AFTER)
    for job_id in ids:
        run_timers(session, job_id=job_id, now=now)
    return len(ids)
