"""What the market announces (through the outbox, see bikenode.events). Notifications will
tell the people named here; bikes adds a finished job to the bike's service log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from bikenode.events import Event


@dataclass(frozen=True)
class QuoteReceived(Event):
    """A mechanic quoted on the rider's job (owner_id: the rider, to be told)."""

    type = "market.quote_received"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    quote_id: uuid.UUID
    owner_id: uuid.UUID
    price_minor: int
    currency: str


@dataclass(frozen=True)
class QuoteAccepted(Event):
    """The rider accepted a quote (mechanic_id: the mechanic, to be told)."""

    type = "market.quote_accepted"
    aggregate = "job_id"
    user = "mechanic_id"

    job_id: uuid.UUID
    quote_id: uuid.UUID
    mechanic_id: uuid.UUID


@dataclass(frozen=True)
class MessagePosted(Event):
    """A message in a job's thread (recipient_id: the other side, to be told)."""

    type = "market.message_posted"
    aggregate = "quote_id"
    user = "recipient_id"

    quote_id: uuid.UUID
    message_id: uuid.UUID
    recipient_id: uuid.UUID


@dataclass(frozen=True)
class PaymentSucceeded(Event):
    """The provider confirmed the rider's payment; the money is held in escrow."""

    type = "market.payment_succeeded"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    payment_id: uuid.UUID
    owner_id: uuid.UUID
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class JobCompleted(Event):
    """The mechanic finished the work on the rider's bike and these of its components."""

    type = "market.job_completed"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    owner_id: uuid.UUID
    bike_id: uuid.UUID
    component_ids: tuple[uuid.UUID, ...]
    title: str
    price_minor: int
    currency: str
    done_at: datetime


@dataclass(frozen=True)
class QuoteDeclined(Event):
    """The rider took another quote or cancelled the job (mechanic_id: to be told)."""

    type = "market.quote_declined"
    aggregate = "job_id"
    user = "mechanic_id"

    job_id: uuid.UUID
    quote_id: uuid.UUID
    mechanic_id: uuid.UUID


@dataclass(frozen=True)
class JobStarted(Event):
    """The accepted mechanic started work on the rider's bike (owner_id: to be told)."""

    type = "market.job_started"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    owner_id: uuid.UUID


@dataclass(frozen=True)
class PaymentRefunded(Event):
    """An admin refunded the rider's payment out of escrow (owner_id: to be told)."""

    type = "market.payment_refunded"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    payment_id: uuid.UUID
    owner_id: uuid.UUID
    amount_minor: int
    currency: str


@dataclass(frozen=True)
class JobExpired(Event):
    """An open job passed its expiry with no quote taken (owner_id: to be told)."""

    type = "market.job_expired"
    aggregate = "job_id"
    user = "owner_id"

    job_id: uuid.UUID
    owner_id: uuid.UUID


@dataclass(frozen=True)
class ReviewPosted(Event):
    """A rider reviewed the mechanic's work on a paid job (mechanic_id: to be told)."""

    type = "market.review_posted"
    aggregate = "review_id"
    user = "mechanic_id"

    review_id: uuid.UUID
    job_id: uuid.UUID
    mechanic_id: uuid.UUID
    stars: int


@dataclass(frozen=True)
class ReviewReplied(Event):
    """The mechanic replied to a review (rider_id: the review's author, to be told)."""

    type = "market.review_replied"
    aggregate = "review_id"
    user = "rider_id"

    review_id: uuid.UUID
    rider_id: uuid.UUID
    # The job reviewed, for the link the rider follows; absent in events stored before it.
    job_id: uuid.UUID | None = None
