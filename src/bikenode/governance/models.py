"""Tables owned by governance: what is kept of an erased account (nothing that identifies)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class Erasure(Base):
    """Anonymous totals of an erased account, so platform-wide volume stays right.

    No user id, e-mail, name, date of birth or place: only when it was erased and how much
    riding went with it. The audit log holds the fact of the erasure and who asked.
    """

    __tablename__ = "governance_erasures"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    rides: Mapped[int]
    distance_m: Mapped[float]
    moving_time_s: Mapped[float]
