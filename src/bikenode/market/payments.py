"""Paying a job's invoice through a payment provider, into escrow, released on review.

Money moves in three steps, each a ledger transfer with an id derived from the payment, so
a retried request or a duplicated callback never moves it twice:
1. the provider confirms the charge (a callback, possibly late, duplicated or out of order):
   gateway -> escrow, posted; and two holds out of escrow: the mechanic's share and the
   platform's fee (pending);
2. the rider reviews the job: both holds are posted (the work is confirmed);
3. or an admin refunds it: both holds are voided and escrow goes back to the gateway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode.db.base import utcnow
from bikenode.errors import Busy, Conflict, InvalidInput
from bikenode.events import publish
from bikenode.market import invoices, ledger, mechanics, repo
from bikenode.market.events import PaymentRefunded, PaymentSucceeded
from bikenode.market.logic.ledger import fee_split
from bikenode.market.models import Payment, ProviderEvent, RepairJob, Transfer
from bikenode.market.service import JobAccess, _move, accepted_quote

FEE_BASIS_POINTS = 1000  # the platform keeps 10%


class GatewayDeclined(Exception):
    """The provider refused the charge (card declined)."""


class GatewayTimeout(Exception):
    """No answer from the provider: the charge may or may not have happened."""


@dataclass(frozen=True)
class ProviderCallback:
    """What a provider's webhook says: its own event id, the payment, the outcome."""

    event_id: str
    payment_id: uuid.UUID
    outcome: str  # succeeded, failed


class PaymentGateway(Protocol):
    """A payment provider. `charge` must be idempotent by payment id (like Stripe's keys):
    calling it again after a timeout never charges twice. Outcomes arrive as callbacks."""

    name: str

    def charge(self, *, payment_id: uuid.UUID, amount_minor: int, currency: str) -> str: ...


@dataclass
class FakeCardGateway:
    """An in-process card provider that behaves like a real one: asynchronous outcomes,
    and on request declines, timeouts (after charging) and duplicated callbacks."""

    name: str = "fake_card"
    decline_next: int = 0
    timeout_next: int = 0
    duplicate_callbacks: bool = False
    charges: dict[uuid.UUID, str] = field(default_factory=dict)
    outbox: list[ProviderCallback] = field(default_factory=list)

    def charge(self, *, payment_id: uuid.UUID, amount_minor: int, currency: str) -> str:
        if payment_id in self.charges:
            return self.charges[payment_id]  # idempotent by payment id
        if self.decline_next:
            self.decline_next -= 1
            self._callback(payment_id, "failed")
            raise GatewayDeclined("card declined")
        ref = f"ch_{uuid.uuid4().hex[:16]}"
        self.charges[payment_id] = ref
        self._callback(payment_id, "succeeded")
        if self.timeout_next:
            self.timeout_next -= 1
            raise GatewayTimeout("no answer from the provider")  # but the card was charged
        return ref

    def _callback(self, payment_id: uuid.UUID, outcome: str) -> None:
        event = ProviderCallback(f"evt_{uuid.uuid4().hex[:16]}", payment_id, outcome)
        self.outbox.append(event)
        if self.duplicate_callbacks:
            self.outbox.append(event)

    def drain(self) -> list[ProviderCallback]:
        """The callbacks not yet delivered, in the order sent."""
        sent, self.outbox = self.outbox, []
        return sent


def pay_job(session: Session, *, access: JobAccess, gateway: PaymentGateway) -> Payment:
    """The rider's payment of the invoiced job: started once, charged through the gateway.

    A second call while one payment is processing or done returns that payment (and asks the
    gateway again, which is idempotent by payment id, if it never answered).
    """
    job = access.job
    if access.actor != "rider":
        raise Conflict("only the job's rider pays it")
    # Two payment requests at once (two keys, two tabs) queue here: one payment per job.
    session.refresh(job, with_for_update=True)
    if job.state != "invoiced":
        raise Conflict(f"a {job.state} job cannot be paid; allowed when invoiced")
    invoice = invoices.invoice_of(session, job.id)
    if invoice is None or job.owner_id is None:
        raise Conflict("the job has no invoice to pay")
    live = [p for p in repo.payments_of(session, job.id) if p.state in ("processing", "succeeded")]
    payment = live[0] if live else None
    if payment is None:
        payment = Payment(
            id=uuid.uuid4(),
            job_id=job.id,
            owner_id=job.owner_id,
            amount_minor=invoice.total_minor,  # what the rider was invoiced, extras included
            currency=invoice.currency,
            provider=gateway.name,
            state="processing",
        )
        session.add(payment)
    session.commit()  # the payment exists before the provider hears of it
    if payment.state == "processing" and payment.provider_ref is None:
        _charge(session, payment, gateway)
    return payment


def _charge(session: Session, payment: Payment, gateway: PaymentGateway) -> None:
    try:
        ref = gateway.charge(
            payment_id=payment.id, amount_minor=payment.amount_minor, currency=payment.currency
        )
    except GatewayDeclined as error:
        payment.state = "failed"
        session.commit()
        raise InvalidInput(f"the payment was declined: {error}") from error
    except GatewayTimeout as error:
        # The charge may have happened: retrying asks the provider again by payment id.
        raise Busy(
            "the payment provider did not answer; retry with the same key", retry_after_s=2
        ) from error
    payment.provider_ref = ref
    session.commit()


def apply_provider_event(session: Session, *, callback: ProviderCallback) -> bool:
    """Apply a provider's callback once: True if it changed the payment, False for a duplicate,
    a late one for a payment already settled, or an unknown payment. Commits."""
    try:
        session.add(
            ProviderEvent(
                id=callback.event_id,
                payment_id=callback.payment_id,
                outcome=callback.outcome,
                applied=False,
            )
        )
        session.flush()
    except IntegrityError:
        session.rollback()
        return False  # delivered before
    record = session.get(ProviderEvent, callback.event_id)
    payment = session.get(Payment, callback.payment_id, with_for_update=True)
    if payment is None or payment.state != "processing" or record is None:
        session.commit()
        return False
    if callback.outcome == "succeeded":
        _escrow(session, payment)
    elif callback.outcome == "failed":
        payment.state = "failed"
    else:
        raise InvalidInput(f"expected a succeeded or failed outcome, got {callback.outcome!r}")
    record.applied = True
    session.commit()
    return True


def _escrow(session: Session, payment: Payment) -> None:
    job = session.get(RepairJob, payment.job_id)
    if job is None:
        raise Conflict("the paid job is gone")
    accounts = ledger.accounts_of(job.id, payment.currency)
    ledger.lock_accounts(session, accounts, payment.currency)
    amount, currency = payment.amount_minor, payment.currency
    share, fee = fee_split(amount, FEE_BASIS_POINTS)
    ledger.transfer(
        session,
        transfer_id=f"pay:{payment.id}",
        kind="posted",
        debit=accounts.gateway,
        credit=accounts.escrow,
        amount_minor=amount,
        currency=currency,
        job_id=job.id,
    )
    ledger.transfer(
        session,
        transfer_id=f"hold-share:{payment.id}",
        kind="pending",
        debit=accounts.escrow,
        credit=accounts.mechanic,
        amount_minor=share,
        currency=currency,
        job_id=job.id,
    )
    if fee:
        ledger.transfer(
            session,
            transfer_id=f"hold-fee:{payment.id}",
            kind="pending",
            debit=accounts.escrow,
            credit=accounts.platform_fee,
            amount_minor=fee,
            currency=currency,
            job_id=job.id,
        )
    payment.state = "succeeded"
    _move(session, job, "pay", "system")
    if job.owner_id is not None:
        publish(session, PaymentSucceeded(job.id, payment.id, job.owner_id, amount, currency))


def _succeeded(session: Session, job: RepairJob) -> Payment:
    found = [p for p in repo.payments_of(session, job.id) if p.state == "succeeded"]
    if not found:
        raise Conflict("the job has no succeeded payment")
    return found[0]


def review_job(
    session: Session, *, access: JobAccess, rating: int | None, text: str | None
) -> RepairJob:
    """The rider's review of a paid job (1-5): it confirms the work and releases escrow."""
    if access.actor != "rider":
        raise Conflict("only the job's rider reviews it")
    if rating is None or not 1 <= rating <= 5:
        raise InvalidInput(f"expected a rating from 1 to 5, got {rating}")
    review_text = mechanics.clean_review(text or "")  # refused before anything changes
    job = access.job
    _move(session, job, "review", "rider")
    payment = _succeeded(session, job)
    ledger.lock_accounts(session, ledger.accounts_of(job.id, payment.currency), payment.currency)
    for hold in (f"hold-share:{payment.id}", f"hold-fee:{payment.id}"):
        if not ledger.is_resolved(session, hold):
            _resolve(session, hold, "post", job.id)
    quote = accepted_quote(session, job)
    mechanic_id = quote.owner_id if quote is not None else None
    if mechanic_id is not None:  # an erased mechanic's job is reviewed but rates no one
        mechanics.post_review(
            session, job=job, mechanic_id=mechanic_id, stars=rating, text=review_text
        )
    job.rating, job.review = rating, review_text
    session.commit()
    return job


def _resolve(session: Session, hold: str, kind: Literal["post", "void"], job_id: uuid.UUID) -> None:
    if session.scalar(select(Transfer.id).where(Transfer.id == hold)) is None:
        return  # no fee hold on a zero fee
    ledger.transfer(
        session, transfer_id=f"{kind}:{hold}", kind=kind, pending_id=hold, job_id=job_id
    )


def refund_job(session: Session, *, access: JobAccess) -> RepairJob:
    """An admin's full refund of a paid job: holds voided, escrow back to the rider's card."""
    job = access.job
    _move(session, job, "refund", "admin")
    payment = _succeeded(session, job)
    accounts = ledger.accounts_of(job.id, payment.currency)
    ledger.lock_accounts(session, accounts, payment.currency)
    for hold in (f"hold-share:{payment.id}", f"hold-fee:{payment.id}"):
        _resolve(session, hold, "void", job.id)
    ledger.transfer(
        session,
        transfer_id=f"refund:{payment.id}",
        kind="posted",
        debit=accounts.escrow,
        credit=accounts.gateway,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        job_id=job.id,
    )
    payment.state, payment.updated_at = "refunded", utcnow()
    if job.owner_id is not None:
        refunded = PaymentRefunded(
            job.id, payment.id, job.owner_id, payment.amount_minor, payment.currency
        )
        publish(session, refunded)
    session.commit()
    return job
