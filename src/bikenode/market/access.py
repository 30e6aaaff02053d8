"""The jobs and quotes a market request may act on: the rider's own, or those a mechanic
quoted on. Anyone else's answers the same 404 as a missing one, so an id reveals nothing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from bikenode.market import mechanics, service
from bikenode.market.models import MechanicProfile, Quote, Review
from bikenode.web.dependencies import CurrentUser, SessionDep


def visible_job(job_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> service.JobAccess:
    return service.job_access(session, user=user, job_id=job_id)


def visible_quote(
    quote_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> tuple[Quote, service.JobAccess]:
    return service.quote_access(session, user=user, quote_id=quote_id)


VisibleJob = Annotated[service.JobAccess, Depends(visible_job)]
VisibleQuote = Annotated[tuple[Quote, service.JobAccess], Depends(visible_quote)]


def written_review(review_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Review:
    return mechanics.review_for_rider(session, user=user, review_id=review_id)


def review_of_mine(review_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Review:
    return mechanics.review_for_mechanic(session, user=user, review_id=review_id)


def public_mechanic(
    mechanic_id: uuid.UUID, _user: CurrentUser, session: SessionDep
) -> MechanicProfile:
    """Any mechanic's profile, to anyone signed in (never its precise place); none: 404."""
    return mechanics.profile_of(session, mechanic_id=mechanic_id)


WrittenReview = Annotated[Review, Depends(written_review)]
ReviewOfMine = Annotated[Review, Depends(review_of_mine)]
PublicMechanic = Annotated[MechanicProfile, Depends(public_mechanic)]
