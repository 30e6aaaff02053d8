"""What segment boards may know of riders for age and weight classes: only of riders who
share them (share_board_classes), their birth year and current weight (unsealed here;
segments takes weights on effort days from health, and this one before any weighing)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode.accounts.body_metrics import read_body_metrics
from bikenode.accounts.models import User

_IN_BATCH = 500  # ids per IN (...): far below the bound-parameter limits


@dataclass(frozen=True)
class BoardClasses:
    """A sharing rider's birth year and weight (kg); None where not set."""

    birth_year: int | None
    weight_kg: float | None


def board_classes(
    session: Session, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, BoardClasses]:
    """The classes of those riders among user_ids who share them; others are absent."""
    ids = sorted(set(user_ids), key=str)
    found: dict[uuid.UUID, BoardClasses] = {}
    for first in range(0, len(ids), _IN_BATCH):
        users = session.scalars(
            select(User).where(
                User.id.in_(ids[first : first + _IN_BATCH]), User.share_board_classes.is_(True)
            )
        )
        for user in users:
            found[user.id] = BoardClasses(user.birth_year, read_body_metrics(user).weight_kg)
    return found
