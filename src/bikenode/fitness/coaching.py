"""Coaches: a rider grants another user read access to their fitness and health data, and
revokes it. Fitness keeps the grants for both domains; health asks `may_read_rider`.

A block between the two (social, either way, seen through rides' registered audience) voids
a grant: the coach reads nothing and neither side lists the other while it lasts. Social
publishes no event for a block, so the row itself stays until one of them revokes it or is
erased. Whoever may not read a rider gets the answer of a missing rider (no existence leak).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bikenode import accounts, audit, rides
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.fitness.models import FitnessCoachGrant

MAX_COACHES = 20  # per rider: a club's staff fits; more is a mistake or abuse
NO_SUCH_USER = "no such user"


@dataclass(frozen=True)
class CoachGrantView:
    """One side of a grant as its other side sees it: who, and since when."""

    user_id: uuid.UUID
    display_name: str
    granted_at: datetime


def may_read_rider(session: Session, *, viewer_id: uuid.UUID, rider_id: uuid.UUID) -> bool:
    """True when the viewer may read the rider's fitness and health data: the rider
    themselves, or a coach they granted and with no block between the two."""
    if viewer_id == rider_id:
        return True
    grant = session.get(FitnessCoachGrant, (rider_id, viewer_id))
    return grant is not None and not _blocked(session, rider_id, viewer_id)


def has_coach(session: Session, *, athlete_id: uuid.UUID, coach_id: uuid.UUID) -> bool:
    """True when the athlete granted this user coach access (a block aside)."""
    return session.get(FitnessCoachGrant, (athlete_id, coach_id)) is not None


def grant_coach(
    session: Session,
    *,
    athlete_id: uuid.UUID,
    coach_id: uuid.UUID | None = None,
    email: str | None = None,
    client_ip: str | None = None,
) -> CoachGrantView:
    """Let the user (by id or e-mail address) read the athlete's fitness and health data;
    the same grant again changes nothing. NotFound for an unknown or blocked user,
    InvalidInput for oneself, Conflict past MAX_COACHES."""
    if coach_id is None and email is not None:
        coach_id = accounts.find_user_id_by_email(session, email)
    if coach_id == athlete_id:
        raise InvalidInput("expected another user as your coach, got yourself")
    name = _names(session, {coach_id}).get(coach_id) if coach_id else None
    if coach_id is None or name is None or _blocked(session, athlete_id, coach_id):
        raise NotFound(NO_SUCH_USER)
    row = session.get(FitnessCoachGrant, (athlete_id, coach_id))
    if row is None:
        if _count(session, athlete_id) >= MAX_COACHES:
            raise Conflict(f"expected at most {MAX_COACHES} coaches; revoke one first")
        row = FitnessCoachGrant(athlete_id=athlete_id, coach_id=coach_id)
        session.add(row)
        audit.record_event(
            session,
            event_type="fitness.coach_granted",
            actor_id=athlete_id,
            subject_id=coach_id,
            client_ip=client_ip,
        )
        try:
            session.commit()
        except IntegrityError:  # the same grant, sent twice at once: the other one won
            session.rollback()
            row = session.get(FitnessCoachGrant, (athlete_id, coach_id))
            if row is None:
                raise
    return CoachGrantView(coach_id, name, row.granted_at)


def revoke_coach(
    session: Session, *, athlete_id: uuid.UUID, coach_id: uuid.UUID, client_ip: str | None = None
) -> None:
    """End the coach's read access to the athlete's data; NotFound if there was none."""
    found = session.execute(
        delete(FitnessCoachGrant).where(
            FitnessCoachGrant.athlete_id == athlete_id, FitnessCoachGrant.coach_id == coach_id
        )
    )
    if not found.rowcount:  # type: ignore[attr-defined]
        raise NotFound("no such coach")
    audit.record_event(
        session,
        event_type="fitness.coach_revoked",
        actor_id=athlete_id,
        subject_id=coach_id,
        client_ip=client_ip,
    )
    session.commit()


def list_coaches(session: Session, *, athlete_id: uuid.UUID) -> list[CoachGrantView]:
    """The users the athlete lets read their data, oldest grant first."""
    rows = session.execute(
        select(FitnessCoachGrant.coach_id, FitnessCoachGrant.granted_at)
        .where(FitnessCoachGrant.athlete_id == athlete_id)
        .order_by(FitnessCoachGrant.granted_at, FitnessCoachGrant.coach_id)
    ).all()
    return _views(session, athlete_id, [(coach, at) for coach, at in rows])


def list_athletes(session: Session, *, coach_id: uuid.UUID) -> list[CoachGrantView]:
    """The riders who let the user read their data (whom they coach), oldest grant first."""
    rows = session.execute(
        select(FitnessCoachGrant.athlete_id, FitnessCoachGrant.granted_at)
        .where(FitnessCoachGrant.coach_id == coach_id)
        .order_by(FitnessCoachGrant.granted_at, FitnessCoachGrant.athlete_id)
    ).all()
    return _views(session, coach_id, [(athlete, at) for athlete, at in rows])


def _views(
    session: Session, me: uuid.UUID, others: list[tuple[uuid.UUID, datetime]]
) -> list[CoachGrantView]:
    """The other sides that still exist and are not blocked, named (one query for names)."""
    names = _names(session, {other for other, _ in others})
    return [
        CoachGrantView(other, names[other], at)
        for other, at in others
        if other in names and not _blocked(session, me, other)
    ]


def _names(session: Session, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    return accounts.display_names(session, user_ids)


def _blocked(session: Session, one: uuid.UUID, other: uuid.UUID) -> bool:
    relation = rides.current_audience().relation(session, owner_id=one, viewer_id=other)
    return relation == "blocked"


def _count(session: Session, athlete_id: uuid.UUID) -> int:
    rows = session.scalars(
        select(FitnessCoachGrant.coach_id).where(FitnessCoachGrant.athlete_id == athlete_id)
    )
    return len(rows.all())
