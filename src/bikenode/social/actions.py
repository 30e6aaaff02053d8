"""Moderators' actions (dismiss, hide, warn, suspend), lifting them, and the affected rider's
appeal, each step recorded with its reason in the audit log.

A hidden ride or comment and a suspended rider's rides, comments and profile are kept and
shown to nobody else while the action holds; lifting it (or overturning it on appeal, or a
timed suspension's end) shows them again. Accounts holds the sign-in side of a suspension.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.accounts import lift_account_suspension, rider_profiles, suspend_account
from bikenode.audit import record_event
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.events import publish
from bikenode.social import moderation, service
from bikenode.social.events import ModerationActionTaken
from bikenode.social.logic.rules import (
    MAX_SUSPENSION_DAYS,
    CommentRejected,
    check_action,
    clean_appeal,
    clean_reason,
)
from bikenode.social.models import Comment, ModerationAction, Report

T = TypeVar("T")
QUEUE_LIMIT = 100  # reports and appeals each per queue answer
MY_ACTIONS_LIMIT = 200
SUMMARY_CHARS = 200


@dataclass(frozen=True)
class ActionView:
    id: uuid.UUID
    kind: str
    user_id: uuid.UUID | None
    object_kind: str
    object_id: uuid.UUID
    report_id: uuid.UUID | None
    reason: str
    until: datetime | None
    created_at: datetime
    lifted_at: datetime | None
    active: bool
    appeal_text: str | None
    appealed_at: datetime | None
    appeal_status: str | None


@dataclass(frozen=True)
class QueuedReport:
    """An open report with a short summary of what it names, for the moderator."""

    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    reason: str
    created_at: datetime
    owner_id: uuid.UUID | None  # the rider the object belongs to (None: gone)
    owner_name: str
    summary: str


def _now() -> datetime:
    return datetime.now(UTC)


def _checked(rule: Callable[..., T], *args: Any) -> T:
    """The pure rule's answer; its CommentRejected as InvalidInput (a clear 422)."""
    try:
        return rule(*args)
    except CommentRejected as error:
        raise InvalidInput(str(error)) from None


def _active(action: ModerationAction, now: datetime) -> bool:
    if action.kind == "dismiss" or action.lifted_at is not None:
        return False
    return action.until is None or action.until > now


def _view(action: ModerationAction, now: datetime) -> ActionView:
    return ActionView(
        action.id,
        action.kind,
        action.user_id,
        action.object_kind,
        action.object_id,
        action.report_id,
        action.reason,
        action.until,
        action.created_at,
        action.lifted_at,
        _active(action, now),
        action.appeal_text,
        action.appealed_at,
        action.appeal_status,
    )


def _owner_of(session: Session, object_kind: str, object_id: uuid.UUID) -> uuid.UUID:
    """The rider an object belongs to (the user itself); NotFound when it is gone."""
    if object_kind == "user":
        service.known_rider(session, user_id=object_id)
        return object_id
    if object_kind == "ride":
        access = rides.ride_access(session, object_id)
        if access is None:
            raise NotFound("no such ride")
        return access.owner_id
    return moderation.get_comment(session, comment_id=object_id).user_id


def _until(kind: str, until: datetime | None, now: datetime) -> datetime | None:
    if until is None:
        return None
    if until.tzinfo is None:
        raise InvalidInput("expected an end date with a time zone, got a naive one")
    if until <= now or until > now + timedelta(days=MAX_SUSPENSION_DAYS):
        raise InvalidInput(
            f"expected an end date in the next {MAX_SUSPENSION_DAYS} days, got {until.isoformat()}"
        )
    return until.astimezone(UTC)


def take_action(
    session: Session,
    *,
    moderator_id: uuid.UUID,
    kind: str,
    reason: str,
    report_id: uuid.UUID | None = None,
    object_kind: str | None = None,
    object_id: uuid.UUID | None = None,
    until: datetime | None = None,
) -> ActionView:
    """Act on a report (its object) or directly on a user, ride or comment, audited with the
    reason. A dismissal needs a report; hide takes a ride or comment; suspend lasts `until`
    (None: for good). InvalidInput for a bad combination, Conflict for a settled report."""
    text, now = _checked(clean_reason, reason), _now()
    report = _open_report(session, report_id) if report_id is not None else None
    if report is not None:
        object_kind, object_id = report.subject_kind, report.subject_id
    if object_kind is None or object_id is None:
        raise InvalidInput("expected a report_id, or an object_kind and object_id")
    if kind == "dismiss" and report is None:
        raise InvalidInput("expected a report_id to dismiss, got none")
    _checked(check_action, kind, object_kind, until is not None)
    end = _until(kind, until, now)
    affected = None if kind == "dismiss" else _owner_of(session, object_kind, object_id)
    if affected == moderator_id:
        raise InvalidInput("expected another rider's object, got your own")
    action = ModerationAction(
        kind=kind,
        user_id=affected,
        object_kind=object_kind,
        object_id=object_id,
        report_id=report_id,
        moderator_id=moderator_id,
        reason=text,
        until=end,
        created_at=now,
    )
    _apply(session, action, now)
    session.add(action)
    session.flush()
    _settle_reports(session, action, report, now)
    _audit(session, f"social.moderation_{kind}", moderator_id, action, text)
    if action.user_id is not None:  # the rider hears of it and how to appeal (notifications)
        publish(
            session,
            ModerationActionTaken(
                action_id=action.id,
                user_id=action.user_id,
                kind=kind,
                object_kind=object_kind,
                timed=end is not None,
            ),
        )
    view = _view(action, now)
    session.commit()
    return view


def _open_report(session: Session, report_id: uuid.UUID) -> Report:
    report = moderation.get_report(session, report_id=report_id)
    if report.status != "open":
        raise Conflict(f"expected an open report, got a {report.status} one")
    return report


def _apply(session: Session, action: ModerationAction, now: datetime) -> None:
    """Make the action hold: hide the comment, or suspend the account (ending any earlier
    suspension, so that one holds at a time). A hidden ride needs nothing more: rides asks."""
    if action.kind == "hide" and action.object_kind == "comment":
        comment = session.get(Comment, action.object_id)
        if comment is not None:
            comment.hidden_at = comment.hidden_at or now
    elif action.kind == "suspend" and action.user_id is not None:
        session.execute(
            update(ModerationAction)
            .where(
                ModerationAction.user_id == action.user_id,
                ModerationAction.kind == "suspend",
                ModerationAction.lifted_at.is_(None),
            )
            .values(lifted_at=now)
        )
        suspend_account(session, user_id=action.user_id, until=action.until)


def _undo(session: Session, action: ModerationAction, now: datetime) -> None:
    """End the action's hold: show the comment again, lift the suspension."""
    action.lifted_at = action.lifted_at or now
    if action.kind == "hide" and action.object_kind == "comment":
        comment = session.get(Comment, action.object_id)
        if comment is not None:
            comment.hidden_at = None
    elif action.kind == "suspend" and action.user_id is not None:
        lift_account_suspension(session, user_id=action.user_id)


def _settle_reports(
    session: Session, action: ModerationAction, report: Report | None, now: datetime
) -> None:
    """A dismissal settles its report; any other action every open report of its object."""
    if action.kind == "dismiss" and report is not None:
        report.status, report.resolved_at = "dismissed", now
        return
    session.execute(
        update(Report)
        .where(Report.subject_id == action.object_id, Report.status == "open")
        .values(status="actioned", resolved_at=now)
    )


def _audit(
    session: Session, event_type: str, actor_id: uuid.UUID, action: ModerationAction, reason: str
) -> None:
    record_event(
        session,
        event_type=event_type,
        actor_id=actor_id,
        subject_id=action.user_id,
        details={
            "action_id": str(action.id),
            "kind": action.kind,
            "object_kind": action.object_kind,
            "object_id": str(action.object_id),
            "until": action.until.isoformat() if action.until else None,
            "reason": reason,
        },
    )


def get_action(session: Session, *, action_id: uuid.UUID) -> ModerationAction:
    """Any action by id (for moderators); NotFound otherwise."""
    action = session.get(ModerationAction, action_id)
    if action is None:
        raise NotFound("no such moderation action")
    return action


def lift_action(
    session: Session, *, moderator_id: uuid.UUID, action: ModerationAction, reason: str
) -> ActionView:
    """Lift a hide, warning or suspension (shows the object or account again), audited;
    Conflict for a dismissal or one lifted already."""
    text, now = _checked(clean_reason, reason), _now()
    if action.kind == "dismiss" or action.lifted_at is not None:
        raise Conflict(f"expected an action in force, got a {_state(action)} {action.kind}")
    _undo(session, action, now)
    _audit(session, "social.moderation_lifted", moderator_id, action, text)
    view = _view(action, now)
    session.commit()
    return view


def _state(action: ModerationAction) -> str:
    return "lifted" if action.lifted_at is not None else "settled"


def my_actions(session: Session, *, user_id: uuid.UUID) -> list[ActionView]:
    """The actions taken against the rider, newest first (dismissals name nobody)."""
    rows = session.scalars(
        select(ModerationAction)
        .where(ModerationAction.user_id == user_id)
        .order_by(ModerationAction.created_at.desc(), ModerationAction.id)
        .limit(MY_ACTIONS_LIMIT)
    )
    now = _now()
    return [_view(row, now) for row in rows]


def action_view(action: ModerationAction) -> ActionView:
    """The action as its rider sees it now (active or not, the appeal and its decision)."""
    return _view(action, _now())


def own_action(session: Session, *, action_id: uuid.UUID, user_id: uuid.UUID) -> ModerationAction:
    """An action against this rider; NotFound for another's, as for a missing one."""
    action = session.get(ModerationAction, action_id)
    if action is None or action.user_id != user_id:
        raise NotFound("no such moderation action")
    return action


def appeal(
    session: Session, *, user_id: uuid.UUID, action: ModerationAction, text: str
) -> ActionView:
    """Appeal an action against oneself (see own_action), once, audited; Conflict for a
    second appeal."""
    body, now = _checked(clean_appeal, text), _now()
    if action.appealed_at is not None:
        raise Conflict(
            f"an action may be appealed once; this one was appealed at "
            f"{action.appealed_at.isoformat()}"
        )
    action.appeal_text, action.appealed_at, action.appeal_status = body, now, "pending"
    record_event(
        session,
        event_type="social.moderation_appealed",
        actor_id=user_id,
        subject_id=user_id,
        details={"action_id": str(action.id)},
    )
    view = _view(action, now)
    session.commit()
    return view


def decide_appeal(
    session: Session,
    *,
    moderator_id: uuid.UUID,
    action: ModerationAction,
    overturn: bool,
    reason: str,
) -> ActionView:
    """Uphold or overturn a pending appeal (overturning lifts the action), audited;
    Conflict when there is no pending appeal."""
    text, now = _checked(clean_reason, reason), _now()
    if action.appeal_status != "pending":
        raise Conflict(f"expected a pending appeal, got {action.appeal_status or 'none'}")
    action.appeal_status, action.appeal_decided_at = (
        "overturned" if overturn else "upheld",
        now,
    )
    if overturn:
        _undo(session, action, now)
    event = "social.appeal_overturned" if overturn else "social.appeal_upheld"
    _audit(session, event, moderator_id, action, text)
    view = _view(action, now)
    session.commit()
    return view


def pending_appeals(session: Session) -> list[ActionView]:
    """Appeals waiting for a moderator, oldest first."""
    rows = session.scalars(
        select(ModerationAction)
        .where(ModerationAction.appeal_status == "pending")
        .order_by(ModerationAction.appealed_at, ModerationAction.id)
        .limit(QUEUE_LIMIT)
    )
    now = _now()
    return [_view(row, now) for row in rows]


def queued_reports(session: Session) -> list[QueuedReport]:
    """Open reports, oldest first, each with its object's owner and a short summary; one
    query per kind of object, plus one per ride (at most QUEUE_LIMIT)."""
    reports = moderation.open_reports(session)[:QUEUE_LIMIT]
    comment_ids = [r.subject_id for r in reports if r.subject_kind == "comment"]
    comments = {
        c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(comment_ids)))
    }
    summaries = [_summary(session, report, comments) for report in reports]
    owners = {owner for owner, _ in summaries if owner is not None}
    names = rider_profiles(session, owners) if owners else {}
    return [
        QueuedReport(
            r.id,
            r.subject_kind,
            r.subject_id,
            r.reason,
            r.created_at,
            owner,
            names[owner].display_name if owner is not None and owner in names else "",
            text,
        )
        for r, (owner, text) in zip(reports, summaries, strict=True)
    ]


def _summary(
    session: Session, report: moderation.ReportView, comments: dict[uuid.UUID, Comment]
) -> tuple[uuid.UUID | None, str]:
    if report.subject_kind == "user":
        return report.subject_id, "a rider's profile"
    if report.subject_kind == "comment":
        comment = comments.get(report.subject_id)
        if comment is None:
            return None, "(deleted comment)"
        return comment.user_id, comment.body[:SUMMARY_CHARS]
    totals = rides.ride_totals(session, report.subject_id)
    if totals is None:
        return None, "(deleted ride)"
    km = f"{totals.distance_m / 1000:.1f} km" if totals.distance_m is not None else "no distance"
    day = totals.started_at.date().isoformat() if totals.started_at else "untimed"
    return totals.owner_id, f"{totals.sport} ride, {km}, {day}"
