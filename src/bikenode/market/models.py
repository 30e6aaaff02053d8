"""Tables owned by the market: repair jobs, quotes, messages, payments, the ledger and
idempotency keys. People are named by id only (no foreign key across domains); a job keeps
only its approximate location (logic/location.py), never the rider's exact point."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class RepairJob(Base):
    __tablename__ = "market_jobs"
    __table_args__ = (Index("ix_market_jobs_state_lat_lon", "state", "lat_deg", "lon_deg"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None once erased
    bike_id: Mapped[uuid.UUID | None]
    component_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    lat_deg: Mapped[float]  # the grid cell's centre, never the exact point
    lon_deg: Mapped[float]
    currency: Mapped[str] = mapped_column(String(3))
    state: Mapped[str] = mapped_column(String(16))
    accepted_quote_id: Mapped[uuid.UUID | None]
    rating: Mapped[int | None]
    review: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)  # bumped on every transition
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Quote(Base):
    """One mechanic's offer on one job (owner_id: the mechanic)."""

    __tablename__ = "market_quotes"
    __table_args__ = (
        UniqueConstraint("job_id", "owner_id", name="uq_market_quotes_job_mechanic"),
        CheckConstraint("price_minor > 0", name="price_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("market_jobs.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    price_minor: Mapped[int] = mapped_column(BigInteger)  # the total with tax
    currency: Mapped[str] = mapped_column(String(3))
    message: Mapped[str] = mapped_column(Text, default="")
    # Line items (logic/invoice.py line_to_json); None: a single-price quote from before them
    lines: Mapped[list[dict[str, object]] | None] = mapped_column(JSON)
    country: Mapped[str | None] = mapped_column(String(2))  # whose default tax rates apply
    valid_until: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))  # open accepted declined expired
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """A message in the thread between a job's rider and one quoting mechanic."""

    __tablename__ = "market_messages"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    quote_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("market_quotes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the author
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payment(Base):
    """The rider's payment of a job's invoice through a provider; applied to the ledger once."""

    __tablename__ = "market_payments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("market_jobs.id"), index=True)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the rider
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))  # processing succeeded failed refunded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProviderEvent(Base):
    """A provider's callback, by its own id: a duplicate delivery is recognised and ignored."""

    __tablename__ = "market_provider_events"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    applied: Mapped[bool]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerAccount(Base):
    """Balances kept beside the transfers under a row lock; `ledger verify` replays them."""

    __tablename__ = "market_ledger_accounts"

    # kind:ref:currency, ref a job's id (never a person's): escrow, the mechanic's payable
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3))
    debits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(BigInteger, default=0)


class Transfer(Base):
    """An immutable transfer; `seq` orders replay. A hold is resolved once (unique pending_id)."""

    __tablename__ = "market_transfers"
    __table_args__ = (
        UniqueConstraint("pending_id", name="uq_market_transfers_pending_id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # posted pending post void
    debit_account: Mapped[str] = mapped_column(String(80), index=True)
    credit_account: Mapped[str] = mapped_column(String(80), index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    pending_id: Mapped[str | None] = mapped_column(String(100))
    job_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """A request's key and, once it finished, its answer (replayed for 24 h)."""

    __tablename__ = "market_idempotency_keys"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None]
    answer: Mapped[dict[str, object] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class MechanicProfile(Base):
    """A mechanic's public offer (user_id: the mechanic); its place is a ~1.1 km cell's centre."""

    __tablename__ = "market_mechanic_profiles"
    __table_args__ = (
        Index("ix_market_mechanic_profiles_accepting_lat_lon", "accepting", "lat_deg", "lon_deg"),
        CheckConstraint("radius_km > 0", name="radius_positive"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(80))
    bio: Mapped[str] = mapped_column(Text, default="")
    services: Mapped[list[str]] = mapped_column(JSON, default=list)
    lat_deg: Mapped[float]  # the grid cell's centre, never the exact point
    lon_deg: Mapped[float]
    radius_km: Mapped[int]
    hours: Mapped[str] = mapped_column(String(200), default="")
    accepting: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Review(Base):
    """The rider's review of the mechanic who did a paid job: one per job, one reply."""

    __tablename__ = "market_reviews"
    __table_args__ = (
        UniqueConstraint("job_id", name="uq_market_reviews_job"),
        CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
        Index("ix_market_reviews_mechanic_created", "mechanic_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("market_jobs.id", ondelete="CASCADE"))
    mechanic_id: Mapped[uuid.UUID | None]  # None once the mechanic is erased
    rider_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None once erased
    stars: Mapped[int]
    text: Mapped[str] = mapped_column(Text, default="")
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]


class Invoice(Base):
    """The invoice of a job, issued once from the accepted quote (and the extra lines the
    mechanic added): owner_id is the issuing mechanic. Kept, anonymised, after erasure."""

    __tablename__ = "market_invoices"
    __table_args__ = (
        UniqueConstraint("job_id", name="uq_market_invoices_job"),
        UniqueConstraint("owner_id", "year", "seq", name="uq_market_invoices_owner_year_seq"),
        CheckConstraint("total_minor > 0", name="total_positive"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("market_jobs.id"))
    owner_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None once erased
    rider_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # None once erased
    number: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    seq: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    country: Mapped[str | None] = mapped_column(String(2))
    lines: Mapped[list[dict[str, object]]] = mapped_column(JSON)  # priced, with `extra` marks
    net_minor: Mapped[int] = mapped_column(BigInteger)
    tax_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceCounter(Base):
    """A mechanic's last invoice number of a year, taken in the issuing transaction (no gaps)."""

    __tablename__ = "market_invoice_counters"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the mechanic
    year: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int]
