"""Tables owned by the fitness domain: dated thresholds, per-ride figures, the rider's settings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class FitnessThreshold(Base):
    """One dated value of a rider's threshold: in force from valid_from until the next one."""

    __tablename__ = "fitness_thresholds"
    __table_args__ = (
        Index(
            "ix_fitness_thresholds_owner_kind_from", "owner_id", "kind", "valid_from", unique=True
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    kind: Mapped[str] = mapped_column(String(24))  # ftp_w, max_hr_bpm, resting_hr_bpm, ...
    value: Mapped[float]
    valid_from: Mapped[date]


class FitnessRideFigures(Base):
    """What one ride adds to its rider's training load and power curve.

    Derived from the ride's streams and the thresholds in force on its day; rewritten when
    either changes. The rider's own stress figure (stress_override) survives the rewrite.
    """

    __tablename__ = "fitness_ride_figures"
    __table_args__ = (
        Index("ix_fitness_ride_figures_owner_day", "owner_id", "day"),
        # Counts a month's curves from the index alone (fitness_curve_months' staleness check).
        Index(
            "ix_fitness_ride_figures_owner_day_curve",
            "owner_id",
            "day",
            sqlite_where=text("power_curve IS NOT NULL"),
            postgresql_where=text("power_curve IS NOT NULL"),
        ),
    )

    ride_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("rides.id", ondelete="CASCADE"), primary_key=True
    )
    owner_id: Mapped[uuid.UUID]
    day: Mapped[date]  # the ride's start in its rider's time zone
    sport: Mapped[str] = mapped_column(String(40))
    duration_s: Mapped[float]
    stress: Mapped[float | None]
    stress_source: Mapped[str] = mapped_column(String(16))  # power, heart_rate, none
    stress_reason: Mapped[str | None] = mapped_column(Text)  # why none
    stress_override: Mapped[float | None]
    # Mean-maximal power by duration, float32 little-endian watts, one per duration of
    # fitness' duration grid (NaN past the ride's length); None without power.
    power_curve: Mapped[bytes | None] = mapped_column(LargeBinary)
    # What the stress is computed from besides thresholds, as rides' signals gave it, so a
    # threshold change reads no streams; power_recorded_s None: not kept yet (older row).
    power_recorded_s: Mapped[int | None]
    weighted_power_w: Mapped[float | None]
    avg_hr_bpm: Mapped[float | None]
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FitnessCurveMonth(Base):
    """The best of a rider's ride power curves over one calendar month (their days), so a
    range's curve combines a few months instead of reading every ride's curve.

    Rebuilt from the month's ride figures whenever fitness writes or deletes one; `rides`
    is how many curves it combines, so a month whose rides went with their ride (ON DELETE
    CASCADE, before the event reaches fitness) is seen as stale and read from its rides.
    """

    __tablename__ = "fitness_curve_months"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # its first day
    last_day: Mapped[date]
    rides: Mapped[int]
    # float32 little-endian watts per grid duration, as a ride's curve is stored
    watts: Mapped[bytes] = mapped_column(LargeBinary)
    # the rides that hold a best, 16 bytes each, and per duration (uint16 little-endian)
    # the index of the one that holds it
    ride_ids: Mapped[bytes] = mapped_column(LargeBinary)
    sources: Mapped[bytes] = mapped_column(LargeBinary)


class FitnessProfile(Base):
    """A rider's load model settings: time constants and the values it starts from."""

    __tablename__ = "fitness_profiles"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    fitness_days: Mapped[int] = mapped_column(default=42)
    fatigue_days: Mapped[int] = mapped_column(default=7)
    # Whether a day's stress counts in that day's form (GoldenCheetah: no, form is the
    # morning's, before the ride).
    form_same_day: Mapped[bool] = mapped_column(default=False, server_default=false())
    seed_fitness: Mapped[float] = mapped_column(default=0.0)
    seed_fatigue: Mapped[float] = mapped_column(default=0.0)


class FitnessRecompute(Base):
    """The progress of recomputing a rider's ride figures after their thresholds changed."""

    __tablename__ = "fitness_recomputes"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # The request's id, new with each request: the job carries it (never the rider's id, so
    # the job queue names no one) and stops once a newer request has replaced it.
    request_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(16))  # queued, running, done
    from_day: Mapped[date]
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class FitnessCoachGrant(Base):
    """A rider's grant to another user (their coach) to read their fitness and health data.

    Fitness holds it for both domains; health asks through fitness' interface. A grant is
    read-only by construction: the rider query parameter exists on GET routes only.
    """

    __tablename__ = "fitness_coach_grants"
    __table_args__ = (Index("ix_fitness_coach_grants_coach", "coach_id"),)

    athlete_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # no foreign key across
    coach_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # domains (accounts' ids)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
