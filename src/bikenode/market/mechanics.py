"""Mechanic profiles, their search, and reviews of paid jobs with the mechanic's reply.

A profile's place is snapped to the same ~1.1 km cell as a job's (logic/location.py); the
public view and the search show only that cell's distance, rounded to whole km. Ratings are
Bayesian averages (logic/rating.py) over the reviews that name the mechanic.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.accounts import UserView
from bikenode.db.base import utcnow
from bikenode.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bikenode.events import publish
from bikenode.geo import haversine_m
from bikenode.market import repo
from bikenode.market.events import ReviewPosted, ReviewReplied
from bikenode.market.logic import location, rating
from bikenode.market.logic.text import clean_text
from bikenode.market.models import MechanicProfile, RepairJob, Review

SERVICES = (
    "bottom_bracket",
    "brakes",
    "chain",
    "drivetrain",
    "e_bike",
    "fitting",
    "frame",
    "full_service",
    "headset",
    "suspension",
    "tyres",
    "wheels",
)
MAX_TEXT_CHARS = 2000
EDIT_WINDOW = timedelta(days=14)
SEARCH_PAGE = 20
MAX_CANDIDATES = 2000  # rows read from the index box before exact distances
MAX_RADIUS_KM = 200


@dataclass(frozen=True)
class Rated:
    """A profile with its shown (Bayesian) rating, raw review count and distance if asked."""

    profile: MechanicProfile
    rating: float
    review_count: int
    distance_km: int | None = None


def clean_review(text: str) -> str:
    """A review's text, cleaned; InvalidInput past MAX_TEXT_CHARS."""
    return _text(text, "a review")


def _text(value: str, what: str) -> str:
    text = clean_text(value)
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"expected {what} of at most {MAX_TEXT_CHARS} characters")
    return text


def save_profile(
    session: Session,
    *,
    user: UserView,
    display_name: str,
    bio: str,
    services: Sequence[str],
    lat_deg: float,
    lon_deg: float,
    radius_km: int,
    hours: str,
    accepting: bool,
) -> MechanicProfile:
    """The mechanic's profile, created or replaced; its place kept only as a cell's centre."""
    if user.role != "mechanic":
        raise PermissionDenied(f"only mechanics offer repairs; you are a {user.role}")
    unknown = sorted(set(services) - set(SERVICES))
    if unknown:
        raise InvalidInput(f"unknown services {unknown}; expected some of {list(SERVICES)}")
    if not 1 <= radius_km <= MAX_RADIUS_KM:
        raise InvalidInput(f"expected a radius of 1 to {MAX_RADIUS_KM} km, got {radius_km}")
    try:
        lat, lon = location.coarsen(lat_deg, lon_deg)
    except ValueError as error:
        raise InvalidInput(str(error)) from error
    name = clean_text(display_name)
    if not name:
        raise InvalidInput("expected a display name")
    profile = session.get(MechanicProfile, user.id) or MechanicProfile(user_id=user.id)
    profile.display_name, profile.bio = name, _text(bio, "a bio")
    profile.services = sorted(set(services))
    profile.lat_deg, profile.lon_deg, profile.radius_km = lat, lon, radius_km
    profile.hours, profile.accepting = clean_text(hours), accepting
    session.add(profile)
    session.commit()
    return profile


def profile_of(session: Session, *, mechanic_id: uuid.UUID) -> MechanicProfile:
    """The mechanic's profile; NotFound when they have none."""
    profile = session.get(MechanicProfile, mechanic_id)
    if profile is None:
        raise NotFound("no such mechanic")
    return profile


def _prior(session: Session) -> float:
    total, count = session.execute(select(func.sum(Review.stars), func.count(Review.id))).one()
    return rating.site_mean(int(total or 0), int(count))


def _stars_of(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[int, int]]:
    rows = session.execute(
        select(Review.mechanic_id, func.sum(Review.stars), func.count(Review.id))
        .where(Review.mechanic_id.in_(ids))
        .group_by(Review.mechanic_id)
    )
    return {m: (int(s), int(c)) for m, s, c in rows if m is not None}


def rated(session: Session, *, profile: MechanicProfile) -> Rated:
    """The profile with its shown rating and review count."""
    stars, count = _stars_of(session, [profile.user_id]).get(profile.user_id, (0, 0))
    return Rated(profile, rating.bayesian_rating(stars, count, _prior(session)), count)


def search(
    session: Session,
    *,
    lat_deg: float,
    lon_deg: float,
    radius_km: float,
    service: str | None,
    sort: Literal["rating", "distance"],
    page: int,
) -> list[Rated]:
    """Accepting mechanics within the radius of a point (and of their own service area)."""
    if not all(math.isfinite(v) for v in (lat_deg, lon_deg, radius_km)):
        raise InvalidInput("expected finite numbers")
    if service is not None and service not in SERVICES:
        raise InvalidInput(f"unknown service {service!r}; expected one of {list(SERVICES)}")
    box = location.bounding_box(lat_deg, lon_deg, radius_km)
    found: list[tuple[MechanicProfile, int]] = []
    for profile in repo.accepting_mechanics_in(session, box, MAX_CANDIDATES):
        km = float(haversine_m(lat_deg, lon_deg, profile.lat_deg, profile.lon_deg)) / 1000
        if km <= min(radius_km, profile.radius_km) and (
            service is None or service in profile.services
        ):
            found.append((profile, round(km)))
    stars = _stars_of(session, [p.user_id for p, _ in found])
    prior = _prior(session)
    results = []
    for profile, km in found:
        total, count = stars.get(profile.user_id, (0, 0))
        results.append(Rated(profile, rating.bayesian_rating(total, count, prior), count, km))
    if sort == "rating":
        results.sort(key=lambda r: (-r.rating, r.distance_km, str(r.profile.user_id)))
    else:
        results.sort(key=lambda r: (r.distance_km, -r.rating, str(r.profile.user_id)))
    return results[(page - 1) * SEARCH_PAGE : page * SEARCH_PAGE]


def post_review(
    session: Session, *, job: RepairJob, mechanic_id: uuid.UUID, stars: int, text: str
) -> Review:
    """The rider's one review of the job's mechanic (the caller moves the job and commits)."""
    if job.owner_id is None:
        raise NotFound("no such job")
    review = Review(
        id=uuid.uuid4(),
        job_id=job.id,
        mechanic_id=mechanic_id,
        rider_id=job.owner_id,
        stars=stars,
        text=clean_review(text),
    )
    session.add(review)
    session.flush()
    publish(session, ReviewPosted(review.id, job.id, mechanic_id, stars))
    return review


def review_for_rider(session: Session, *, user: UserView, review_id: uuid.UUID) -> Review:
    """A review the caller wrote; NotFound for anyone else (as for no review)."""
    review = session.get(Review, review_id)
    if review is None or review.rider_id != user.id:
        raise NotFound("no such review")
    return review


def review_for_mechanic(session: Session, *, user: UserView, review_id: uuid.UUID) -> Review:
    """A review of the caller's work; NotFound for anyone else (as for no review)."""
    review = session.get(Review, review_id)
    if review is None or review.mechanic_id != user.id:
        raise NotFound("no such review")
    return review


def edit_review(session: Session, *, review: Review, stars: int, text: str) -> Review:
    """The rider's change of their review, within EDIT_WINDOW of posting it."""
    if utcnow() - review.created_at > EDIT_WINDOW:
        raise Conflict(f"a review can be changed only within {EDIT_WINDOW.days} days")
    if not 1 <= stars <= 5:
        raise InvalidInput(f"expected 1 to 5 stars, got {stars}")
    review.stars, review.text, review.edited_at = stars, _text(text, "a review"), utcnow()
    job = session.get(RepairJob, review.job_id)
    if job is not None:  # the job's copy of the rating follows (kept for the job's page)
        job.rating, job.review = review.stars, review.text
    session.commit()
    return review


def reply_to_review(session: Session, *, review: Review, text: str) -> Review:
    """The mechanic's one reply to a review of their work."""
    if review.reply is not None:
        raise Conflict("this review already has your reply")
    body = _text(text, "a reply")
    if not body:
        raise InvalidInput("expected a reply with some text")
    review.reply, review.replied_at = body, utcnow()
    if review.rider_id is not None:
        publish(session, ReviewReplied(review.id, review.rider_id, review.job_id))
    session.commit()
    return review


def reviews_of(session: Session, *, mechanic_id: uuid.UUID, page: int) -> Sequence[Review]:
    """The reviews of the mechanic, newest first, one page."""
    return repo.reviews_of(session, mechanic_id, SEARCH_PAGE, (page - 1) * SEARCH_PAGE)
