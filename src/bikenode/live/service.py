"""Live use cases: start and end sessions, store batches, grant viewers, share links, groups."""

from __future__ import annotations

import hashlib
import secrets
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.db.base import utcnow
from bikenode.db.pagination import newest_first, page
from bikenode.encryption import current_key_ring
from bikenode.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from bikenode.live import logic, repo, storage
from bikenode.live.models import LiveSession, LiveShare

VISIBILITIES = ("private", "public")


@dataclass(frozen=True)
class RiderState:
    """Where a rider's session stands: the last stored batch number and point time (ms)."""

    last_batch_no: int
    last_time_ms: int | None


@dataclass(frozen=True)
class ViewerGrant:
    """Why a viewer may watch: as the owner, a member, the public, or through a share link."""

    reason: str
    share_id: uuid.UUID | None = None


def ride_channel(session_id: uuid.UUID) -> str:
    """The broker channel of a live session."""
    return f"ride:{session_id}"


def group_channel(group_id: uuid.UUID) -> str:
    """The broker channel of a group ride."""
    return f"group:{group_id}"


def start_session(
    session: Session,
    *,
    owner_id: uuid.UUID,
    name: str = "",
    visibility: str = "private",
    group_id: uuid.UUID | None = None,
) -> LiveSession:
    """Open a live session for the rider (in a group ride if they are a member of it)."""
    _check_visibility(visibility)
    if group_id is not None and not repo.is_member(session, group_id, owner_id):
        raise NotFound("no such group ride")
    live = LiveSession(
        owner_id=owner_id, name=name.strip(), visibility=visibility, group_id=group_id
    )
    session.add(live)
    session.commit()
    return live


def list_sessions(
    session: Session, *, owner_id: uuid.UUID, limit: int, cursor: str | None
) -> tuple[list[LiveSession], str | None]:
    """A page of the owner's live sessions, newest first, and the next page's cursor."""
    statement = newest_first(
        select(LiveSession).where(LiveSession.owner_id == owner_id),
        at=LiveSession.started_at,
        key=LiveSession.id,
        limit=limit,
        cursor=cursor,
    )
    rows = list(session.scalars(statement))
    return page(rows, limit=limit, at=lambda s: s.started_at, key=lambda s: s.id)


def get_session(session: Session, *, session_id: uuid.UUID) -> LiveSession:
    """A live session by id; NotFound otherwise."""
    live = session.get(LiveSession, session_id)
    if live is None:
        raise NotFound("no such live session")
    return live


def get_own_session(session: Session, *, session_id: uuid.UUID, owner_id: uuid.UUID) -> LiveSession:
    """A live session the caller owns; NotFound otherwise."""
    live = session.get(LiveSession, session_id)
    if live is None or live.owner_id != owner_id:
        raise NotFound("no such live session")
    return live


def rider_state(session: Session, *, session_id: uuid.UUID, owner_id: uuid.UUID) -> RiderState:
    """What a (re)connecting rider's connection starts from; Conflict if the session ended."""
    live = get_own_session(session, session_id=session_id, owner_id=owner_id)
    if live.status != "live":
        raise Conflict("the live session has ended")
    last = repo.last_batch(session, session_id)
    session.commit()
    return RiderState(last[0], last[1]) if last else RiderState(0, None)


@dataclass(frozen=True)
class RefusedBatches:
    """Sessions whose batches were not stored: erased (``gone``) or already ``ended``."""

    gone: set[uuid.UUID]
    ended: set[uuid.UUID]


def store_batches(session: Session, *, rows: list[dict[str, object]]) -> RefusedBatches:
    """Store several sessions' batches in one transaction (each once, retries ignored).

    Only batches of sessions still live are stored: a batch that arrives after its session
    ended (on any node) or was erased is refused, never added to the ride's leftovers.
    The sessions are locked first, so an end or erasure running meanwhile waits for this
    transaction, or this one sees what it committed.
    """
    wanted = {row["session_id"] for row in rows if isinstance(row["session_id"], uuid.UUID)}
    status = repo.lock_sessions(session, wanted)
    live = {session_id for session_id, value in status.items() if value == "live"}
    kept = [row for row in rows if row["session_id"] in live]
    if kept:
        repo.insert_batches(session, kept)
    session.commit()
    return RefusedBatches(gone=wanted - status.keys(), ended=status.keys() - live)


def batch_row(session_id: uuid.UUID, batch: logic.Batch) -> dict[str, object]:
    """The stored form of a batch: absolute columns as compact JSON, heart rate sealed."""
    packed = storage.pack_columns(session_id, batch.batch_no, batch.columns, current_key_ring())
    return {
        "session_id": session_id,
        "batch_no": batch.batch_no,
        "first_time_ms": batch.first_time_ms,
        "last_time_ms": batch.last_time_ms,
        "point_count": batch.point_count,
        "points": packed.points,
        "health_sealed": packed.health_sealed,
        "health_key_id": packed.health_key_id,
        "received_at": utcnow(),
    }


def authorize_viewer(
    session: Session,
    *,
    session_id: uuid.UUID,
    viewer_id: uuid.UUID | None,
    share_token: str | None,
) -> ViewerGrant:
    """Whether a viewer may watch the session: NotFound, NotAuthenticated or PermissionDenied."""
    live = get_session(session, session_id=session_id)
    session.commit()
    if viewer_id is not None and viewer_id == live.owner_id:
        return ViewerGrant("owner")
    if live.visibility == "public":
        return ViewerGrant("public")
    if (
        live.group_id is not None
        and viewer_id is not None
        and repo.is_member(session, live.group_id, viewer_id)
    ):
        return ViewerGrant("member")
    if share_token:
        share = repo.share_by_hash(session, _hash(share_token))
        if share is None or share.session_id != session_id or share.revoked_at is not None:
            raise PermissionDenied("the share link is not valid or was revoked")
        return ViewerGrant("share", share.id)
    if viewer_id is None:
        raise NotAuthenticated("this live ride is private: sign in or use a share link")
    raise NotFound("no such live session")  # not 403: others may not learn that it exists


def end_session(
    session: Session, *, session_id: uuid.UUID, owner_id: uuid.UUID, now: datetime | None = None
) -> LiveSession:
    """End the session and store its track as a ride (once: ending twice returns the same).

    The session row is locked first: a batch being stored meanwhile is committed before the
    track is read (so it is in the ride), and any later one sees the session ended.
    """
    live = session.get(LiveSession, session_id, with_for_update=True)
    if live is None or live.owner_id != owner_id:
        raise NotFound("no such live session")
    if live.status == "ended":
        return live
    columns = [storage.batch_columns(b) for b in repo.batches(session, session_id)]
    if columns:
        result = rides.import_live_track(
            session,
            owner_id=owner_id,
            streams=logic.streams_from_batches(columns),
            name=live.name or None,
            visibility=live.visibility,
            now=now,
        )
        live.ride_id = result.ride_id or result.duplicate_of
    live.status = "ended"
    live.ended_at = now or utcnow()
    session.commit()
    return live


class TrailCache:
    """Each session's track so far (time and position), loaded from the database once and
    then only its new batches: a viewer joining a long ride does not decode it whole again."""

    def __init__(self, max_sessions: int = 512) -> None:
        self.max_sessions = max_sessions
        self._lock = threading.Lock()  # snapshots run in the thread pool
        self._trails: OrderedDict[uuid.UUID, tuple[int, dict[str, list[int | None]]]] = (
            OrderedDict()
        )

    def forget(self, session_id: uuid.UUID) -> None:
        """Drop a session's cached track (the session was erased)."""
        with self._lock:
            self._trails.pop(session_id, None)

    def load(self, session: Session, session_id: uuid.UUID) -> dict[str, list[int | None]]:
        """The session's merged t/lat/lon columns up to its last stored batch (a copy)."""
        with self._lock:
            last_batch, merged = self._trails.get(session_id, (0, {}))
            merged = {key: list(values) for key, values in merged.items()}
        for batch in repo.batches(session, session_id, after_batch_no=last_batch):
            columns = storage.plain_columns(batch)  # the trail needs no heart rate
            for key in ("t", "lat", "lon"):
                if key in columns:
                    merged.setdefault(key, []).extend(columns[key])
            last_batch = batch.batch_no
        with self._lock:
            cached = self._trails.get(session_id)
            if cached is None or cached[0] < last_batch:
                self._trails[session_id] = (last_batch, merged)
                self._trails.move_to_end(session_id)
                while len(self._trails) > self.max_sessions:
                    self._trails.popitem(last=False)
        return merged


def session_snapshot(
    session: Session,
    *,
    session_id: uuid.UUID,
    max_points: int = 2000,
    trails: TrailCache | None = None,
) -> dict[str, Any]:
    """The session's current state for a viewer: status, the trail so far and the last batch."""
    live = get_session(session, session_id=session_id)
    circles = rides.privacy_circles(session, owner_id=live.owner_id)
    merged = (trails or TrailCache()).load(session, session_id)
    if "lat" in merged and len(merged["lat"]) != len(merged["t"]):
        merged = {"t": merged["t"]}  # some batches had no positions: no trail to draw
    last = repo.last_batch(session, session_id)
    session.commit()
    return {
        "session": str(live.id),
        "name": live.name,
        "status": live.status,
        "ride_id": str(live.ride_id) if live.ride_id else None,
        "last_batch": last[0] if last else 0,
        "trail": logic.trail([visible_columns(merged, circles)], max_points=max_points)
        if merged
        else {},
    }


def create_share(session: Session, *, live: LiveSession) -> tuple[LiveShare, str]:
    """A new share link for the session (the owner's, from get_own_session) and its token
    (shown once; only its hash is kept)."""
    token = secrets.token_urlsafe(24)
    share = LiveShare(session_id=live.id, token_hash=_hash(token))
    session.add(share)
    session.commit()
    return share, token


def revoke_share(
    session: Session, *, session_id: uuid.UUID, share_id: uuid.UUID, owner_id: uuid.UUID
) -> LiveShare:
    """Revoke a share link; viewers holding it are disconnected."""
    get_own_session(session, session_id=session_id, owner_id=owner_id)
    share = session.get(LiveShare, share_id)
    if share is None or share.session_id != session_id:
        raise NotFound("no such share link")
    if share.revoked_at is None:
        share.revoked_at = utcnow()
    session.commit()
    return share


def rider_circles(session: Session, *, owner_id: uuid.UUID) -> list[rides.HiddenCircle]:
    """The rider's privacy zones as the circles cut from live outputs."""
    circles = rides.privacy_circles(session, owner_id=owner_id)
    session.commit()
    return circles


def visible_columns(
    columns: dict[str, list[int | None]], circles: list[rides.HiddenCircle]
) -> dict[str, list[int | None]]:
    """The batch columns without the points inside the rider's privacy zones (live outputs)."""
    if not circles or "lat" not in columns:
        return columns
    lat = np.array([np.nan if v is None else v * 1e-7 for v in columns["lat"]])
    lon = np.array([np.nan if v is None else v * 1e-7 for v in columns["lon"]])
    hidden = rides.hidden_mask(circles, lat, lon)
    if not hidden.any():
        return columns
    keep = np.flatnonzero(~hidden).tolist()
    return {key: [values[i] for i in keep] for key, values in columns.items()}


def _check_visibility(visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise InvalidInput(f"expected visibility {' or '.join(VISIBILITIES)}, got {visibility!r}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
