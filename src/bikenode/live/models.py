"""Tables owned by the live domain: live sessions, their position batches, share links, groups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bikenode.db.base import Base, utcnow


class LiveSession(Base):
    """One rider's live ride, from start until it is ended and becomes a ride."""

    __tablename__ = "live_sessions"
    __table_args__ = (Index("ix_live_sessions_owner_status", "owner_id", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]  # accounts' user id; no foreign key across domains
    name: Mapped[str] = mapped_column(String(200), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    status: Mapped[str] = mapped_column(String(16), default="live")  # live, ended
    group_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("live_groups.id", ondelete="SET NULL")
    )
    ride_id: Mapped[uuid.UUID | None]  # the rides domain's ride once ended
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class LiveBatch(Base):
    """One batch of positions as the rider sent it (absolute values, columnar JSON).

    (session_id, batch_no) is unique: a batch sent twice is stored once. Heart rate is not in
    ``points``: it is sealed apart in ``health_sealed`` (see ``bikenode.live.storage``).
    """

    __tablename__ = "live_batches"
    __table_args__ = (UniqueConstraint("session_id", "batch_no", name="uq_live_batches_batch"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE")
    )
    batch_no: Mapped[int]
    first_time_ms: Mapped[int] = mapped_column(BigInteger)
    last_time_ms: Mapped[int] = mapped_column(BigInteger)
    point_count: Mapped[int]
    points: Mapped[bytes] = mapped_column(LargeBinary)  # JSON of the plain decoded columns
    # The heart-rate column, sealed under the data key ring; NULL when the batch has none.
    health_sealed: Mapped[bytes | None] = mapped_column(LargeBinary)
    health_key_id: Mapped[str | None] = mapped_column(String(40), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveShare(Base):
    """A share link: whoever holds the token may watch the session until it is revoked."""

    __tablename__ = "live_shares"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LiveGroup(Base):
    """A group ride: members ride together; the server tracks centre, spread and splits."""

    __tablename__ = "live_groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    split_distance_m: Mapped[float] = mapped_column(default=500.0)
    stale_after_s: Mapped[float] = mapped_column(default=60.0)
    route: Mapped[str | None] = mapped_column(Text)  # JSON [[lat, lon], ...] the group follows
    # How many clusters the riders were in at the last update: a change is a split or regroup.
    cluster_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveGroupMember(Base):
    """A rider in a group ride and their latest position shown to the group (none yet: null)."""

    __tablename__ = "live_group_members"

    group_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("live_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_lat: Mapped[float | None]
    last_lon: Mapped[float | None]
    last_time_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_speed_mps: Mapped[float | None]


class LiveDevice(Base):
    """A tracker or tracking app (OsmAnd, Traccar Client) that sends positions for a rider.

    Its token is shown once and kept hashed. ``last_fix_ms`` is the newest position time
    stored from it: a position at or before it is a repeat (a retry, a resent buffer) and is
    stored once. ``session_id`` is the live session its positions go to while it is live.
    """

    __tablename__ = "live_devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The token as mosquitto's password file holds it (live.mqtt_config); None: made before MQTT.
    mqtt_password_hash: Mapped[str | None] = mapped_column(String(200))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="SET NULL")
    )
    last_fix_ms: Mapped[int | None] = mapped_column(BigInteger)
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LiveCrashSettings(Base):
    """A rider's crash-detection choice: off unless they turn it on, and its times."""

    __tablename__ = "live_crash_settings"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    still_s: Mapped[float] = mapped_column(default=75.0)  # stillness before a suspicion
    cancel_s: Mapped[float] = mapped_column(default=60.0)  # the rider's window to cancel
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveCrashContact(Base):
    """Someone a rider's crash alert goes to: an e-mail address or a BikeNode user.

    An address is told once that it was added, with a link to opt out (``optout_hash``, the
    token's hash); an opted-out address is never mailed again by this rider.
    """

    __tablename__ = "live_crash_contacts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # a user the rider follows
    optout_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    told_at: Mapped[datetime | None]  # the "you were added" e-mail went out
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LiveCrashAlert(Base):
    """One suspected crash in a live session, from the rider's warning to its end.

    status: ``warned`` (the rider may cancel until ``cancel_by``), ``cancelled``, ``cleared``
    (the rider moved on or ended the session) or ``sent`` (the contacts were alerted).
    """

    __tablename__ = "live_crash_alerts"
    __table_args__ = (UniqueConstraint("session_id", "stopped_at_ms", name="uq_live_crash_stop"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    stopped_at_ms: Mapped[int] = mapped_column(BigInteger)
    lat: Mapped[float]
    lon: Mapped[float]
    status: Mapped[str] = mapped_column(String(16), default="warned")
    cancel_by: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
