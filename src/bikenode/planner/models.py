"""Tables owned by the planner domain: routes, their collaborators, each route's update log."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class PlannedRoute(Base):
    """A planned route: its document lives in planner_updates; the name is kept for lists."""

    __tablename__ = "planner_routes"
    __table_args__ = (Index("ix_planner_routes_owner_updated", "owner_id", "updated_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RouteCollaborator(Base):
    """A user the owner shared the route with: they may open, edit and export it."""

    __tablename__ = "planner_collaborators"

    route_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("planner_routes.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


class RouteUpdate(Base):
    """One Yjs update of a route's document, in arrival order (seq), or a compacted snapshot.

    The document is the merge of all rows of a route; compaction replaces rows up to a seq
    with one snapshot row carrying that seq.
    """

    __tablename__ = "planner_updates"
    __table_args__ = (UniqueConstraint("route_id", "seq", name="uq_planner_updates_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    route_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("planner_routes.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))  # update, snapshot
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RoomTicket(Base):
    """A single-use, short-lived pass into one route's room for one user.

    Only the ticket's SHA-256 is stored. It lets a browser open the room without putting its
    access token in the URL; a stolen ticket is worth one connection for a few seconds.
    """

    __tablename__ = "planner_room_tickets"

    ticket_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    route_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("planner_routes.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)  # accounts' user id
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
