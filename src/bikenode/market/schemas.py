"""Wire formats of the market API (kept apart from the tables). Money is integer minor units
with an ISO 4217 currency; never floats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Id = Annotated[uuid.UUID, Field(strict=False)]
When = Annotated[AwareDatetime, Field(strict=False, examples=["2030-05-04T07:00:00Z"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Minor = Annotated[int, Field(gt=0, le=10**10, description="integer minor units (cents)")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
# The transitions a caller takes by name; "cancel" first, as the schema's example.
TransitionName = Literal[
    "cancel", "publish", "start", "finish", "invoice", "withdraw", "dispute", "review"
]


class StrictModel(BaseModel):
    """Request bodies: strict types, no unknown fields, finite numbers."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)


class JobCreate(StrictModel):
    bike_id: Id
    component_ids: list[Id] = Field(default_factory=list, max_length=20)
    title: Annotated[str, Field(min_length=1, max_length=120, examples=["Creaking bottom bracket"])]
    description: Text
    lat_deg: Annotated[float, Field(ge=-90, le=90, description="exact; only a ~1 km cell is kept")]
    lon_deg: Annotated[float, Field(ge=-180, le=180)]
    currency: Currency = "EUR"
    publish: bool = True


class TransitionTake(StrictModel):
    transition: TransitionName
    extra_lines: Annotated[
        list[LineCreate],
        Field(max_length=50, description="with invoice: lines agreed since the quote"),
    ] = Field(default_factory=list)
    rating: Annotated[int | None, Field(default=None, ge=1, le=5)] = None
    text: Annotated[str | None, Field(default=None, max_length=2000)] = None


class LineCreate(StrictModel):
    """A quote's or invoice's line: a part or labour, a quantity, a unit price before tax."""

    kind: Literal["part", "labour"]
    description: Annotated[str, Field(min_length=1, max_length=200, examples=["BB replacement"])]
    quantity: Annotated[
        int | Annotated[str, Field(pattern=r"^\d{1,6}(\.\d{1,3})?$")],
        Field(description="a whole number or a decimal string of up to 3 places", examples=["1.5"]),
    ]
    unit_minor: Annotated[int, Field(ge=0, le=10**10, description="before tax, minor units")]
    tax_rate_bp: Annotated[
        int | None,
        Field(ge=0, le=5000, description="basis points; default: the quote country's rate"),
    ] = None


class QuoteCreate(StrictModel):
    job_id: Id
    price_minor: Annotated[
        Minor | None, Field(description="a single price with tax; or give lines")
    ] = None
    lines: Annotated[list[LineCreate] | None, Field(max_length=50)] = None
    country: Annotated[
        str | None,
        Field(pattern=r"^[A-Z]{2}$", description="ISO 3166: whose tax rates apply by default"),
    ] = None
    currency: Currency
    message: Annotated[str, Field(default="", max_length=4000)] = ""
    valid_until: When


class MessageCreate(StrictModel):
    body: Text


class JobListing(BaseModel):
    """What any mechanic sees of an open job: no rider, no bike, an approximate place."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str
    lat_deg: float
    lon_deg: float
    currency: str
    state: str
    created_at: datetime
    distance_km: float | None = None


class LinePublic(BaseModel):
    kind: str
    description: str
    quantity: str
    unit_minor: int
    tax_bp: int
    net_minor: int
    tax_minor: int
    total_minor: int
    extra: bool = False


class QuotePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    mechanic_id: uuid.UUID | None = Field(validation_alias="owner_id")
    price_minor: int = Field(description="the total with tax")
    currency: str
    message: str
    country: str | None = None
    # Priced by the route (the table keeps the bare lines): not read from the row
    lines: list[LinePublic] = Field(default_factory=list, validation_alias="priced_lines")
    net_minor: int = 0
    tax_minor: int = 0
    valid_until: datetime
    state: str
    created_at: datetime


class JobPublic(JobListing):
    """The job as its rider (or a mechanic who quoted) sees it."""

    bike_id: uuid.UUID | None
    component_ids: list[str]
    accepted_quote_id: uuid.UUID | None
    rating: int | None
    review: str | None
    expires_at: datetime
    done_at: datetime | None
    you_are: str = "rider"
    allowed_transitions: list[str] = Field(default_factory=list)
    quotes: list[QuotePublic] = Field(default_factory=list)
    payment_state: str | None = None


class JobPage(BaseModel):
    items: list[JobPublic]


class ListingPage(BaseModel):
    items: list[JobListing]


class MessagePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    quote_id: uuid.UUID
    author_id: uuid.UUID | None = Field(validation_alias="user_id")
    body: str
    created_at: datetime


class MessagePage(BaseModel):
    items: list[MessagePublic]


class PaymentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    amount_minor: int
    currency: str
    provider: str
    state: str


ServiceName = Annotated[str, Field(max_length=40, examples=["brakes"])]


class MechanicProfileSave(StrictModel):
    display_name: Annotated[str, Field(min_length=1, max_length=80, examples=["Spoke & Chain"])]
    bio: Annotated[str, Field(max_length=2000)] = ""
    services: list[ServiceName] = Field(default_factory=list, max_length=20)
    lat_deg: Annotated[float, Field(ge=-90, le=90, description="exact; only a ~1 km cell is kept")]
    lon_deg: Annotated[float, Field(ge=-180, le=180)]
    radius_km: Annotated[int, Field(ge=1, le=200)]
    hours: Annotated[str, Field(max_length=200, examples=["Mon-Fri 9-18"])] = ""
    accepting: bool = True


class MechanicPublic(BaseModel):
    """What anyone sees of a mechanic: no precise place, only a rounded distance if asked."""

    id: uuid.UUID
    display_name: str
    bio: str
    services: list[str]
    radius_km: int
    hours: str
    accepting: bool
    rating: float = Field(description="Bayesian average (docs/market.md), 2 decimals")
    review_count: int
    distance_km: int | None = None


class MechanicOwn(MechanicPublic):
    """The mechanic's own profile, with the cell it is kept at."""

    lat_deg: float
    lon_deg: float


class MechanicPage(BaseModel):
    items: list[MechanicPublic]
    page: int


class ReviewEdit(StrictModel):
    stars: Annotated[int, Field(ge=1, le=5)]
    text: Annotated[str, Field(max_length=2000)] = ""


class ReplyCreate(StrictModel):
    text: Annotated[str, Field(min_length=1, max_length=2000)]


class ReviewPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    mechanic_id: uuid.UUID | None
    stars: int
    text: str
    reply: str | None
    replied_at: datetime | None
    created_at: datetime
    edited_at: datetime | None


class ReviewPage(BaseModel):
    items: list[ReviewPublic]
    page: int


class InvoicePublic(BaseModel):
    """A job's invoice as its rider and its mechanic see it; *_display: Babel's formatting."""

    id: uuid.UUID
    job_id: uuid.UUID
    number: str = Field(examples=["2026-000001"])
    issued_at: datetime
    currency: str
    country: str | None
    lines: list[LinePublic]
    net_minor: int
    tax_minor: int
    total_minor: int
    net_display: str
    tax_display: str
    total_display: str = Field(examples=["€54.74"])
    locale: str
    pdf_url: str
