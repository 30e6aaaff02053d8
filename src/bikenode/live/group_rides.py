"""Group rides: organising one, its members, where each member is and the state all see."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bikenode.errors import InvalidInput, NotAuthenticated, NotFound
from bikenode.live import groups, logic, repo
from bikenode.live.models import LiveGroup, LiveGroupMember
from bikenode.live.service import _check_visibility


def create_group(
    session: Session,
    *,
    owner_id: uuid.UUID,
    owner_name: str,
    name: str,
    visibility: str = "private",
    split_distance_m: float = 500.0,
    stale_after_s: float = 60.0,
    route: list[tuple[float, float]] | None = None,
) -> LiveGroup:
    """A new group ride with its organiser as the first member."""
    _check_visibility(visibility)
    if route is not None and len(route) < 2:
        raise InvalidInput(f"expected a route of at least 2 points, got {len(route)}")
    group = LiveGroup(
        owner_id=owner_id,
        name=name.strip(),
        visibility=visibility,
        split_distance_m=split_distance_m,
        stale_after_s=stale_after_s,
        route=json.dumps(route) if route else None,
        cluster_count=0,
    )
    session.add(group)
    session.flush()
    session.add(LiveGroupMember(group_id=group.id, user_id=owner_id, display_name=owner_name))
    session.commit()
    return group


def open_group_ride(
    session: Session, *, owner_id: uuid.UUID, owner_name: str, name: str, visibility: str
) -> uuid.UUID:
    """A new group ride planned from another domain (a club ride), its organiser its first
    member; flushed, not committed: the caller commits it with its own rows."""
    _check_visibility(visibility)
    group = LiveGroup(owner_id=owner_id, name=name.strip(), visibility=visibility, cluster_count=0)
    session.add(group)
    session.flush()
    session.add(LiveGroupMember(group_id=group.id, user_id=owner_id, display_name=owner_name))
    return group.id


def join_group_ride(
    session: Session, *, group_id: uuid.UUID, user_id: uuid.UUID, display_name: str
) -> None:
    """Make a rider a member of a group ride (a club member going on the club ride), so a
    private one opens to them; nothing when it is gone or they are in. The caller commits."""
    if session.get(LiveGroup, group_id) is None:
        return
    if session.get(LiveGroupMember, (group_id, user_id)) is None:
        session.add(LiveGroupMember(group_id=group_id, user_id=user_id, display_name=display_name))


def leave_group_ride(session: Session, *, group_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Take a rider out of a group ride (a club member no longer going, or gone from the
    club), so a private one closes to them; its organiser stays, the ride being theirs.
    Nothing when it is gone or they are out. The caller commits."""
    group = session.get(LiveGroup, group_id)
    if group is None or group.owner_id == user_id:
        return
    member = session.get(LiveGroupMember, (group_id, user_id))
    if member is not None:
        session.delete(member)


def get_own_group(session: Session, *, group_id: uuid.UUID, owner_id: uuid.UUID) -> LiveGroup:
    """A group ride the caller organises; NotFound otherwise."""
    group = session.get(LiveGroup, group_id)
    if group is None or group.owner_id != owner_id:
        raise NotFound("no such group ride")
    return group


def add_member(
    session: Session, *, group: LiveGroup, user_id: uuid.UUID, display_name: str
) -> LiveGroupMember:
    """Add a rider to a group ride (the organiser's, from get_own_group); adding twice is
    harmless."""
    member = session.get(LiveGroupMember, (group.id, user_id))
    if member is None:
        member = LiveGroupMember(group_id=group.id, user_id=user_id, display_name=display_name)
        session.add(member)
    session.commit()
    return member


def get_group(session: Session, *, group_id: uuid.UUID, viewer_id: uuid.UUID | None) -> LiveGroup:
    """A group ride the viewer may see (public, or they are a member); NotFound otherwise."""
    group = session.get(LiveGroup, group_id)
    if group is None:
        raise NotFound("no such group ride")
    visible = group.visibility == "public" or (
        viewer_id is not None and repo.is_member(session, group_id, viewer_id)
    )
    session.commit()
    if not visible:
        if viewer_id is None:
            raise NotAuthenticated("this group ride is private: sign in as a member")
        raise NotFound("no such group ride")  # not 403: others may not learn that it exists
    return group


@dataclass(frozen=True)
class GroupUpdate:
    """A group's state after a member's position, and the split or regroup it caused."""

    group_id: uuid.UUID
    state: dict[str, Any]
    events: list[dict[str, Any]]


def record_member_position(
    session: Session,
    *,
    group_id: uuid.UUID,
    user_id: uuid.UUID,
    columns: dict[str, list[int | None]],
    now_ms: int,
) -> GroupUpdate | None:
    """Keep the member's last visible position; the group's new state and events (once).

    ``columns`` is a batch already cut by the rider's privacy zones: a member inside a zone
    stays where they were last seen outside it. A split or regroup is reported by exactly one
    node: the cluster count changes only if nobody changed it since it was read.
    """
    # The group row first, locked: members' updates on any node take turns, so each state
    # is computed with every earlier member's position committed (PostgreSQL reads committed
    # data only; SQLite writers already take turns).
    group = session.get(LiveGroup, group_id, with_for_update=True)
    member = session.get(LiveGroupMember, (group_id, user_id))
    if member is None or group is None:
        session.commit()
        return None
    position = logic.last_position(columns)
    if position is not None:
        member.last_lat, member.last_lon, member.last_time_ms, member.last_speed_mps = position
    state = _group_state(session, group, now_ms=now_ms)
    clusters = len(state.clusters)
    events: list[dict[str, Any]] = []
    if clusters != group.cluster_count:
        changed = session.execute(
            update(LiveGroup)
            .where(LiveGroup.id == group_id, LiveGroup.cluster_count == group.cluster_count)
            .values(cluster_count=clusters)
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:  # type: ignore[attr-defined]
            events = groups.group_events(group.cluster_count, state)
    session.commit()
    return GroupUpdate(group_id, _state_message(session, group_id, state), events)


def group_snapshot(session: Session, *, group_id: uuid.UUID, now_ms: int) -> dict[str, Any]:
    """The group's current state for a (re)connecting viewer."""
    group = session.get(LiveGroup, group_id)
    if group is None:
        raise NotFound("no such group ride")
    state = _group_state(session, group, now_ms=now_ms)
    message = _state_message(session, group_id, state)
    session.commit()
    return {"group": str(group_id), "name": group.name, **message}


def _group_state(session: Session, group: LiveGroup, *, now_ms: int) -> groups.GroupState:
    positions = [
        groups.MemberPosition(
            str(m.user_id), m.display_name, m.last_lat, m.last_lon, m.last_time_ms, m.last_speed_mps
        )
        for m in repo.members(session, group.id)
        if m.last_lat is not None and m.last_lon is not None and m.last_time_ms is not None
    ]
    route = groups.Route.from_points(json.loads(group.route)) if group.route else None
    return groups.group_state(
        positions,
        now_ms=now_ms,
        split_distance_m=group.split_distance_m,
        stale_after_s=group.stale_after_s,
        route=route,
    )


def _state_message(
    session: Session, group_id: uuid.UUID, state: groups.GroupState
) -> dict[str, Any]:
    """The state with every member's last position (members not yet seen have none)."""
    stale = set(state.stale)
    members = [
        {
            "member": str(m.user_id),
            "name": m.display_name,
            "lat": m.last_lat,
            "lon": m.last_lon,
            "t": m.last_time_ms,
            "speed_mps": m.last_speed_mps,
            "stale": str(m.user_id) in stale,
            "along_m": state.along_m.get(str(m.user_id)),
        }
        for m in repo.members(session, group_id)
    ]
    return {**state.as_message(), "members": members}
