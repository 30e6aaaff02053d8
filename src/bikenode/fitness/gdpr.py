"""A rider's fitness data for GDPR requests: everything for an export, or erased for good."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.fitness.logic.power_curve import DURATION_GRID_S
from bikenode.fitness.models import (
    FitnessCoachGrant,
    FitnessCurveMonth,
    FitnessProfile,
    FitnessRecompute,
    FitnessRideFigures,
    FitnessThreshold,
)
from bikenode.fitness.rules import unpack_curve

FIGURE_FIELDS = (
    "ride_id",
    "sport",
    "duration_s",
    "stress",
    "stress_source",
    "stress_reason",
    "stress_override",
    "power_recorded_s",
    "weighted_power_w",
    "avg_hr_bpm",
    "computed_at",
)
PROFILE_FIELDS = ("fitness_days", "fatigue_days", "form_same_day", "seed_fitness", "seed_fatigue")


@dataclass(frozen=True)
class ErasedFitness:
    """What an erasure removed, as counts that identify no one."""

    fitness_thresholds: int
    fitness_ride_figures: int
    fitness_coach_grants: int = 0


def iter_user_export(session: Session, owner_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of the rider's fitness files: thresholds.json (the dated history),
    ride_figures.json (each ride's day, stress and power curve), profile.json and
    coaches.json (whom the rider lets read their data, and who lets them read theirs)."""
    thresholds = session.scalars(
        select(FitnessThreshold)
        .where(FitnessThreshold.owner_id == owner_id)
        .order_by(FitnessThreshold.kind, FitnessThreshold.valid_from)
    ).all()
    yield (
        "fitness/thresholds.json",
        json_bytes(
            [
                {"kind": t.kind, "value": t.value, "valid_from": t.valid_from.isoformat()}
                for t in thresholds
            ]
        ),
    )
    rows = session.scalars(
        select(FitnessRideFigures)
        .where(FitnessRideFigures.owner_id == owner_id)
        .order_by(FitnessRideFigures.day, FitnessRideFigures.ride_id)
    ).all()
    yield "fitness/ride_figures.json", json_bytes([_figures(row) for row in rows])
    profile = session.get(FitnessProfile, owner_id)
    yield "fitness/profile.json", json_bytes(fields_of(profile, PROFILE_FIELDS) if profile else {})
    yield "fitness/coaches.json", json_bytes(_grants(session, owner_id))


def erase_user_data(session: Session, owner_id: uuid.UUID) -> ErasedFitness:
    """Delete every fitness row of the rider; flushes only."""
    thresholds = session.execute(
        delete(FitnessThreshold).where(FitnessThreshold.owner_id == owner_id)
    )
    # Figures also go with their rides (ON DELETE CASCADE); these are any left behind.
    ride_figures = session.execute(
        delete(FitnessRideFigures).where(FitnessRideFigures.owner_id == owner_id)
    )
    session.execute(delete(FitnessCurveMonth).where(FitnessCurveMonth.owner_id == owner_id))
    session.execute(delete(FitnessProfile).where(FitnessProfile.owner_id == owner_id))
    session.execute(delete(FitnessRecompute).where(FitnessRecompute.owner_id == owner_id))
    grants = session.execute(  # both sides: as the athlete and as the coach
        delete(FitnessCoachGrant).where(
            (FitnessCoachGrant.athlete_id == owner_id) | (FitnessCoachGrant.coach_id == owner_id)
        )
    )
    session.flush()
    return ErasedFitness(
        int(thresholds.rowcount or 0),  # type: ignore[attr-defined]
        int(ride_figures.rowcount or 0),  # type: ignore[attr-defined]
        int(grants.rowcount or 0),  # type: ignore[attr-defined]
    )


def _grants(session: Session, owner_id: uuid.UUID) -> dict[str, list[dict[str, str]]]:
    """Both sides of the rider's grants, by user id (the other side's name is theirs)."""
    rows = session.scalars(
        select(FitnessCoachGrant)
        .where(
            (FitnessCoachGrant.athlete_id == owner_id) | (FitnessCoachGrant.coach_id == owner_id)
        )
        .order_by(FitnessCoachGrant.granted_at)
    ).all()
    return {
        "my_coaches": [
            {"user_id": str(r.coach_id), "granted_at": r.granted_at.isoformat()}
            for r in rows
            if r.athlete_id == owner_id
        ],
        "my_athletes": [
            {"user_id": str(r.athlete_id), "granted_at": r.granted_at.isoformat()}
            for r in rows
            if r.coach_id == owner_id
        ],
    }


def _figures(row: FitnessRideFigures) -> dict[str, Any]:
    record = fields_of(row, FIGURE_FIELDS)
    record["day"] = row.day.isoformat()
    if row.power_curve is not None:
        watts = unpack_curve(row.power_curve)
        record["power_curve"] = {
            "durations_s": DURATION_GRID_S[: watts.size].tolist(),
            "watts": [round(float(w), 1) if math.isfinite(w) else None for w in watts],
        }
    return record
