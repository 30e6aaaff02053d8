"""The market API of mechanic profiles, their search and reviews (replies, edits)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput
from bikenode.market import mechanics
from bikenode.market.access import PublicMechanic, ReviewOfMine, WrittenReview
from bikenode.market.routes import IdempotencyKey, _idempotent
from bikenode.market.schemas import (
    MechanicOwn,
    MechanicPage,
    MechanicProfileSave,
    MechanicPublic,
    ReplyCreate,
    ReviewEdit,
    ReviewPage,
    ReviewPublic,
)
from bikenode.web.dependencies import CurrentUser, SessionDep
from bikenode.web.strict_json import StrictJSONRoute

router = APIRouter(prefix="/api/v1/market", tags=["market"], route_class=StrictJSONRoute)
Page = Annotated[int, Query(ge=1, le=1000)]


def _public(found: mechanics.Rated) -> MechanicPublic:
    p = found.profile
    return MechanicPublic(
        id=p.user_id,
        display_name=p.display_name,
        bio=p.bio,
        services=p.services,
        radius_km=p.radius_km,
        hours=p.hours,
        accepting=p.accepting,
        rating=round(found.rating, 2),
        review_count=found.review_count,
        distance_km=found.distance_km,
    )


def _own(session: Session, user_id: uuid.UUID) -> MechanicOwn:
    profile = mechanics.profile_of(session, mechanic_id=user_id)
    public = _public(mechanics.rated(session, profile=profile))
    return MechanicOwn(**public.model_dump(), lat_deg=profile.lat_deg, lon_deg=profile.lon_deg)


@router.get("/me/mechanic", response_model=MechanicOwn)
def read_my_profile(user: CurrentUser, session: SessionDep) -> MechanicOwn:
    """Your mechanic profile (404 until you made one)."""
    return _own(session, user.id)


@router.put("/me/mechanic", response_model=MechanicOwn)
def save_my_profile(
    body: MechanicProfileSave, user: CurrentUser, session: SessionDep
) -> MechanicOwn:
    """Create or replace your mechanic profile (mechanics only)."""
    mechanics.save_profile(session, user=user, **body.model_dump())
    return _own(session, user.id)


def _point(near: str) -> tuple[float, float]:
    try:
        lat, lon = (float(part) for part in near.split(","))
    except ValueError as error:
        raise InvalidInput(f"expected near=lat,lon in degrees, got {near!r}") from error
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("expected latitude in [-90, 90] and longitude in [-180, 180]")
    return lat, lon


@router.get("/mechanics", response_model=MechanicPage)
def search_mechanics(
    user: CurrentUser,
    session: SessionDep,
    near: Annotated[str, Query(max_length=60, examples=["51.5074,-0.1278"])],
    radius_km: Annotated[float, Query(gt=0, le=mechanics.MAX_RADIUS_KM)] = 10,
    service: Annotated[str | None, Query(max_length=40)] = None,
    sort: Literal["rating", "distance"] = "rating",
    page: Page = 1,
) -> MechanicPage:
    """Mechanics accepting jobs near a point, by rating or distance (whole km)."""
    lat, lon = _point(near)
    found = mechanics.search(
        session,
        lat_deg=lat,
        lon_deg=lon,
        radius_km=radius_km,
        service=service,
        sort=sort,
        page=page,
    )
    return MechanicPage(items=[_public(r) for r in found], page=page)


@router.get("/mechanics/{mechanic_id}", response_model=MechanicPublic)
def read_mechanic(profile: PublicMechanic, session: SessionDep) -> MechanicPublic:
    """A mechanic's public profile with their rating (no precise place)."""
    return _public(mechanics.rated(session, profile=profile))


@router.get("/mechanics/{mechanic_id}/reviews", response_model=ReviewPage)
def read_reviews(profile: PublicMechanic, session: SessionDep, page: Page = 1) -> ReviewPage:
    """Reviews of a mechanic's work, newest first."""
    rows = mechanics.reviews_of(session, mechanic_id=profile.user_id, page=page)
    return ReviewPage(items=[ReviewPublic.model_validate(r) for r in rows], page=page)


@router.patch("/reviews/{review_id}", response_model=ReviewPublic)
def edit_review(body: ReviewEdit, review: WrittenReview, session: SessionDep) -> ReviewPublic:
    """Change your review (within 14 days of posting it)."""
    changed = mechanics.edit_review(session, review=review, stars=body.stars, text=body.text)
    return ReviewPublic.model_validate(changed)


@router.post("/reviews/{review_id}/reply", response_model=ReviewPublic)
def reply_to_review(
    body: ReplyCreate,
    review: ReviewOfMine,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    key: IdempotencyKey,
) -> Response:
    """Reply once to a review of your work."""

    def work() -> ReviewPublic:
        return ReviewPublic.model_validate(
            mechanics.reply_to_review(session, review=review, text=body.text)
        )

    return _idempotent(request, session, user, key, body, 200, work)
