"""The market API: repair jobs, quotes, threads and payments.

Every POST takes an Idempotency-Key header (Stripe's rules, logic/idempotency.py): a retry
with the same key and body gets the first answer, marked `Idempotent-Replayed: true`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from bikenode.accounts import UserView
from bikenode.errors import DomainError
from bikenode.market import idempotency, invoices, payments, render, repo, service
from bikenode.market.access import VisibleJob, VisibleQuote
from bikenode.market.logic import idempotency as key_rules
from bikenode.market.logic import invoice as invoice_rules
from bikenode.market.logic import states
from bikenode.market.models import Invoice, Quote, RepairJob
from bikenode.market.schemas import (
    InvoicePublic,
    JobCreate,
    JobListing,
    JobPage,
    JobPublic,
    LinePublic,
    ListingPage,
    MessageCreate,
    MessagePage,
    MessagePublic,
    PaymentPublic,
    QuoteCreate,
    QuotePublic,
    TransitionTake,
)
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.problems import domain_problem
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/market", tags=["market"], route_class=StrictJSONRoute)

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="a fresh random value per intended change (retries reuse it)",
        examples=["5f0c6a2e-9a61-4c1e-8d8e-2f1d3b7a9c10"],
    ),
]


def _idempotent(
    request: Request,
    session: Session,
    user: UserView,
    key: str,
    body: BaseModel | None,
    status_code: int,
    work: Callable[[], BaseModel],
) -> Response:
    """Run `work` once per key: replay the stored answer for a retry, refuse a reused key."""
    fingerprint = key_rules.fingerprint(
        request.method, request.url.path, body.model_dump(mode="json") if body else None
    )
    replay = idempotency.claim(session, user_id=user.id, key=key, fingerprint=fingerprint)
    if replay is not None:
        headers = {"Idempotent-Replayed": "true"}
        return JSONResponse(replay.answer, status_code=replay.status_code, headers=headers)
    try:
        answer = work().model_dump(mode="json")
    except DomainError as error:
        problem = domain_problem(error)
        if problem.status_code >= 500:  # busy: nothing stored, a retry may run
            idempotency.release(session, user_id=user.id, key=key)
            return problem
        stored: dict[str, Any] = json.loads(bytes(problem.body))
        idempotency.finish(
            session, user_id=user.id, key=key, status_code=problem.status_code, answer=stored
        )
        return problem
    except BaseException:
        idempotency.release(session, user_id=user.id, key=key)
        raise
    idempotency.finish(session, user_id=user.id, key=key, status_code=status_code, answer=answer)
    return JSONResponse(answer, status_code=status_code)


def _job(session: Session, access: service.JobAccess) -> JobPublic:
    job, actor = access.job, access.actor
    quotes = repo.quotes_of_job(session, job.id)
    if actor == "mechanic":
        quotes = [q for q in quotes if access.quote is not None and q.id == access.quote.id]
    paid = [p.state for p in repo.payments_of(session, job.id)] if actor == "rider" else []
    public = JobPublic.model_validate(job, from_attributes=True)
    return public.model_copy(
        update={
            "bike_id": job.bike_id if actor == "rider" else None,
            "you_are": actor,
            "allowed_transitions": list(states.allowed_transitions(job.state, actor)),  # type: ignore[arg-type]
            "quotes": [_quote(q) for q in quotes],
            "payment_state": paid[-1] if paid else None,
        }
    )


def _quote(quote: Quote) -> QuotePublic:
    """The quote with its lines priced (a single-price quote shows as one line)."""
    totals = invoice_rules.totals(invoices.lines_of(quote))
    lines = [LinePublic.model_validate(x) for x in invoices.priced_json(totals, len(totals.lines))]
    return QuotePublic.model_validate(quote).model_copy(
        update={"lines": lines, "net_minor": totals.net_minor, "tax_minor": totals.tax_minor}
    )


def _tax_rates(request: Request) -> dict[str, int]:
    return invoice_rules.tax_rates(request.app.state.settings.market_tax_rates_bp)


def _rider_view(session: Session, job: RepairJob) -> JobPublic:
    return _job(session, service.JobAccess(job, "rider", None))


@router.post("/jobs", status_code=status.HTTP_201_CREATED, response_model=JobPublic)
def post_job(
    body: JobCreate,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Post a repair job about one of your bikes; only an approximate place is kept."""

    def work() -> JobPublic:
        job = service.post_job(
            session,
            owner_id=user.id,
            bike_id=body.bike_id,
            component_ids=body.component_ids,
            title=body.title,
            description=body.description,
            lat_deg=body.lat_deg,
            lon_deg=body.lon_deg,
            currency=body.currency,
            publish_now=body.publish,
        )
        return _rider_view(session, job)

    return _idempotent(request, session, user, key, body, 201, work)


@router.get("/jobs", response_model=JobPage)
def my_jobs(user: CurrentUser, session: SessionDep) -> JobPage:
    """Your repair jobs, newest first."""
    jobs = service.my_jobs(session, owner_id=user.id)
    return JobPage(items=[_rider_view(session, job) for job in jobs])


@router.get("/open-jobs", response_model=ListingPage)
def open_jobs(
    user: CurrentUser,
    session: SessionDep,
    lat_deg: Annotated[float, Query(ge=-90, le=90)],
    lon_deg: Annotated[float, Query(ge=-180, le=180)],
    radius_km: Annotated[float, Query(gt=0, le=200)] = 25.0,
) -> ListingPage:
    """Open jobs near a point, nearest first (mechanics only; approximate places)."""
    found = service.open_jobs_near(
        session, user=user, lat_deg=lat_deg, lon_deg=lon_deg, radius_km=radius_km
    )
    return ListingPage(
        items=[
            JobListing.model_validate(job).model_copy(update={"distance_km": km})
            for job, km in found
        ]
    )


@router.get("/quoted-jobs", response_model=JobPage)
def quoted_jobs(user: CurrentUser, session: SessionDep) -> JobPage:
    """The jobs you quoted on as a mechanic, with your quote, newest first."""
    items = []
    for quote in repo.quotes_by(session, user.id, service.PAGE):
        job = repo.job(session, quote.job_id)
        if job is not None:
            items.append(_job(session, service.JobAccess(job, "mechanic", quote)))
    return JobPage(items=items)


@router.get("/jobs/{job_id}", response_model=JobPublic)
def read_job(access: VisibleJob, session: SessionDep) -> JobPublic:
    """A job of yours, or one you quoted on."""
    return _job(session, access)


@router.post("/jobs/{job_id}/transitions", response_model=JobPublic)
def take_transition(
    body: TransitionTake,
    access: VisibleJob,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Move the job on: 409 with the allowed transitions when this one is not."""

    def work() -> JobPublic:
        if body.transition == "review":
            payments.review_job(session, access=access, rating=body.rating, text=body.text)
        else:
            service.take_transition(
                session,
                access=access,
                name=body.transition,
                extra_lines=[line.model_dump() for line in body.extra_lines],
                tax_rates=_tax_rates(request),
            )
        return _job(session, access)

    return _idempotent(request, session, user, key, body, 200, work)


@router.post(
    "/jobs/{job_id}/payments", status_code=status.HTTP_201_CREATED, response_model=PaymentPublic
)
def pay_job(
    access: VisibleJob,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Pay the invoiced job (held in escrow until you review the work)."""
    gateway = request.app.state.market_gateway

    def work() -> PaymentPublic:
        payment = payments.pay_job(session, access=access, gateway=gateway)
        # The in-process provider's callbacks arrive at once (a real one posts them later).
        for callback in gateway.drain() if hasattr(gateway, "drain") else []:
            payments.apply_provider_event(session, callback=callback)
        session.refresh(payment)
        return PaymentPublic.model_validate(payment)

    return _idempotent(request, session, user, key, None, 201, work)


@router.post("/quotes", status_code=status.HTTP_201_CREATED, response_model=QuotePublic)
def submit_quote(
    body: QuoteCreate, request: Request, user: CurrentUser, session: SessionDep, key: IdempotencyKey
) -> Response:
    """Quote on an open job as a mechanic (again to revise your quote until accepted)."""

    def work() -> QuotePublic:
        quote = service.submit_quote(
            session,
            mechanic=user,
            job_id=body.job_id,
            price_minor=body.price_minor,
            currency=body.currency,
            message=body.message,
            valid_until=body.valid_until,
            lines=[line.model_dump() for line in body.lines] if body.lines else None,
            country=body.country,
            tax_rates=_tax_rates(request),
        )
        return _quote(quote)

    return _idempotent(request, session, user, key, body, 201, work)


@router.post("/quotes/{quote_id}/accept", response_model=JobPublic)
def accept_quote(
    found: VisibleQuote,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Accept a quote on your job; the others are declined."""
    quote, access = found

    def work() -> JobPublic:
        service.accept_quote(session, quote=quote, access=access)
        return _job(session, access)

    return _idempotent(request, session, user, key, None, 200, work)


@router.get("/quotes/{quote_id}/messages", response_model=MessagePage)
def read_thread(found: VisibleQuote, session: SessionDep) -> MessagePage:
    """The thread between the job's rider and the quote's mechanic."""
    rows = service.thread(session, quote=found[0])
    return MessagePage(items=[MessagePublic.model_validate(m) for m in rows])


@router.post(
    "/quotes/{quote_id}/messages",
    status_code=status.HTTP_201_CREATED,
    response_model=MessagePublic,
)
def post_message(
    body: MessageCreate,
    found: VisibleQuote,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Write in the thread of a quote (its rider or its mechanic)."""
    quote, access = found

    def work() -> MessagePublic:
        message = service.post_message(
            session, quote=quote, access=access, author_id=user.id, body=body.body
        )
        return MessagePublic.model_validate(message)

    return _idempotent(request, session, user, key, body, 201, work)


Locale = Annotated[
    str | None, Query(max_length=20, description="how amounts are written", examples=["de_DE"])
]


@router.get("/jobs/{job_id}/invoice", response_model=InvoicePublic)
def read_invoice(access: VisibleJob, session: SessionDep, locale: Locale = None) -> InvoicePublic:
    """The job's invoice (its rider and its mechanic only), amounts also formatted."""
    invoice = invoices.required_invoice(session, access.job)
    return _invoice(invoice, render.locale_of(locale))


@router.get(
    "/jobs/{job_id}/invoice.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the invoice as a PDF"}},
)
def read_invoice_pdf(access: VisibleJob, session: SessionDep) -> Response:
    """The job's invoice as a PDF."""
    invoice = invoices.required_invoice(session, access.job)
    issuer = invoices.issuer_name(session, invoice)
    pdf = render.invoice_pdf(invoice, issuer=issuer, title=access.job.title)
    disposition = f'inline; filename="invoice-{invoice.number}.pdf"'
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": disposition})


def _invoice(invoice: Invoice, locale: render.Locale) -> InvoicePublic:
    def cash(minor: int) -> str:
        return render.money(minor, invoice.currency, locale)

    return InvoicePublic(
        id=invoice.id,
        job_id=invoice.job_id,
        number=invoice.number,
        issued_at=invoice.issued_at,
        currency=invoice.currency,
        country=invoice.country,
        lines=[LinePublic.model_validate(line) for line in invoice.lines],
        net_minor=invoice.net_minor,
        tax_minor=invoice.tax_minor,
        total_minor=invoice.total_minor,
        net_display=cash(invoice.net_minor),
        tax_display=cash(invoice.tax_minor),
        total_display=cash(invoice.total_minor),
        locale=str(locale),
        pdf_url=f"/api/v1/market/jobs/{invoice.job_id}/invoice.pdf",
    )
