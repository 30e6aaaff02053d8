"""fitness: each rider's best power curve per calendar month, so range curves read months;
an index of the rides with a curve by day, to count a month's curves from the index alone

Revision ID: 0016_fitness_curve_months
Revises: 0015_fitness_coach_grants
Create Date: 2026-12-07

Filled here from the stored ride curves; from then on fitness rebuilds a month whenever it
writes or drops a ride's figures. The combining is written out here (not imported) so the
migration keeps working when the code moves on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import groupby

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0016_fitness_curve_months"
down_revision = "0015_fitness_coach_grants"
branch_labels = None
depends_on = None

FIGURES = sa.table(
    "fitness_ride_figures",
    sa.column("ride_id", sa.Uuid()),
    sa.column("owner_id", sa.Uuid()),
    sa.column("day", sa.Date()),
    sa.column("power_curve", sa.LargeBinary()),
)


def upgrade() -> None:
    months = op.create_table(
        "fitness_curve_months",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("rides", sa.Integer(), nullable=False),
        sa.Column("watts", sa.LargeBinary(), nullable=False),
        sa.Column("ride_ids", sa.LargeBinary(), nullable=False),
        sa.Column("sources", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id", "month", name=op.f("pk_fitness_curve_months")),
    )
    op.create_index(
        "ix_fitness_ride_figures_owner_day_curve",
        "fitness_ride_figures",
        ["owner_id", "day"],
        sqlite_where=sa.text("power_curve IS NOT NULL"),
        postgresql_where=sa.text("power_curve IS NOT NULL"),
    )
    for row in _month_curves():
        op.get_bind().execute(sa.insert(months).values(**row))


def downgrade() -> None:
    op.drop_index("ix_fitness_ride_figures_owner_day_curve", table_name="fitness_ride_figures")
    op.drop_table("fitness_curve_months")


def _month_curves() -> Iterator[dict[str, object]]:
    rows = op.get_bind().execute(
        sa.select(FIGURES.c.owner_id, FIGURES.c.day, FIGURES.c.ride_id, FIGURES.c.power_curve)
        .where(FIGURES.c.power_curve.is_not(None))
        .order_by(FIGURES.c.owner_id, FIGURES.c.day, FIGURES.c.ride_id)
    )
    for (owner_id, month), group in groupby(rows, key=lambda r: (r[0], r[1].replace(day=1))):
        yield _combined(owner_id, month, [(ride_id, curve) for _, _, ride_id, curve in group])


def _combined(
    owner_id: uuid.UUID, month: date, curves: list[tuple[uuid.UUID, bytes]]
) -> dict[str, object]:
    """The month's best watts per duration; on a tie the earliest ride (day, id) keeps it."""
    watts = [np.frombuffer(curve, dtype="<f4") for _, curve in curves]
    best = np.full(max(w.size for w in watts), -np.inf, dtype=np.float32)
    source = np.full(best.size, -1, dtype=np.int64)
    for n, ride in enumerate(watts):
        better = ride > best[: ride.size]
        best[: ride.size][better] = ride[better]
        source[: ride.size][better] = n
    winners, index = np.unique(source, return_inverse=True)
    return {
        "owner_id": owner_id,
        "month": month,
        "last_day": (month + timedelta(days=31)).replace(day=1) - timedelta(days=1),
        "rides": len(curves),
        "watts": best.astype("<f4").tobytes(),
        "ride_ids": b"".join(curves[int(i)][0].bytes for i in winners),
        "sources": index.astype("<u2").tobytes(),
    }
