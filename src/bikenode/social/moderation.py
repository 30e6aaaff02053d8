"""Reports of users, rides and comments, and the moderators' actions on them (audited)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bikenode import rides
from bikenode.audit import record_event
from bikenode.errors import InvalidInput, NotFound, TooManyRequests
from bikenode.social import reactions, service
from bikenode.social.logic.rules import CommentRejected, clean_reason, within_rate
from bikenode.social.models import Comment, Report

MAX_REPORTS_PER_DAY = 20  # per reporter: more is spam, and each lands in a human queue
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class ReportView:
    id: uuid.UUID
    subject_kind: str
    subject_id: uuid.UUID
    reason: str
    status: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _reason(text: str) -> str:
    try:
        return clean_reason(text)
    except CommentRejected as error:
        raise InvalidInput(str(error)) from None


def _check_subject(
    session: Session, kind: str, subject_id: uuid.UUID, viewer_id: uuid.UUID
) -> None:
    """NotFound unless the reporter may see what they report."""
    if kind == "user":
        if subject_id == viewer_id:
            raise InvalidInput("expected another rider's id, got your own")
        service.visible_rider(session, user_id=subject_id, viewer_id=viewer_id)
    elif kind == "ride":
        rides.visible_ride_owner(session, ride_id=subject_id, viewer_id=viewer_id)
    else:
        reactions.visible_comment(session, comment_id=subject_id, viewer_id=viewer_id)


def file_report(
    session: Session, *, reporter_id: uuid.UUID, kind: str, subject_id: uuid.UUID, reason: str
) -> ReportView:
    """Report something the reporter may see; again while open changes nothing.
    TooManyRequests past MAX_REPORTS_PER_DAY in 24 hours."""
    text = _reason(reason)
    _check_subject(session, kind, subject_id, reporter_id)
    existing = session.scalars(
        select(Report).where(
            Report.user_id == reporter_id,
            Report.subject_id == subject_id,
            Report.status == "open",
        )
    ).first()
    if existing is not None:
        return _view(existing)
    recent = session.scalar(
        select(func.count())
        .select_from(Report)
        .where(Report.user_id == reporter_id, Report.created_at > _now() - timedelta(days=1))
    )
    if not within_rate(recent or 0, limit=MAX_REPORTS_PER_DAY):
        raise TooManyRequests(
            f"expected at most {MAX_REPORTS_PER_DAY} reports a day", retry_after_s=3600
        )
    report = Report(user_id=reporter_id, subject_kind=kind, subject_id=subject_id, reason=text)
    session.add(report)
    session.flush()
    view = _view(report)
    session.commit()
    return view


def _view(report: Report) -> ReportView:
    return ReportView(
        report.id,
        report.subject_kind,
        report.subject_id,
        report.reason,
        report.status,
        report.created_at,
    )


def open_reports(session: Session) -> list[ReportView]:
    """The moderators' queue: open reports, oldest first."""
    rows = session.scalars(
        select(Report)
        .where(Report.status == "open")
        .order_by(Report.created_at, Report.id)
        .limit(QUEUE_LIMIT)
    )
    return [_view(row) for row in rows]


def get_report(session: Session, *, report_id: uuid.UUID) -> Report:
    """A report by id (for moderators); NotFound otherwise."""
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("no such report")
    return report


def get_comment(session: Session, *, comment_id: uuid.UUID) -> Comment:
    """Any comment by id (for moderators); NotFound otherwise."""
    comment = session.get(Comment, comment_id)
    if comment is None:
        raise NotFound("no such comment")
    return comment


def hide_comment(
    session: Session, *, moderator_id: uuid.UUID, comment: Comment, reason: str
) -> None:
    """Hide a comment (kept, shown to its author only), settle its open reports, and record
    the action with its reason in the audit log."""
    text = _reason(reason)
    comment.hidden_at = comment.hidden_at or _now()
    session.execute(
        update(Report)
        .where(Report.subject_id == comment.id, Report.status == "open")
        .values(status="actioned", resolved_at=_now())
    )
    record_event(
        session,
        event_type="social.comment_hidden",
        actor_id=moderator_id,
        subject_id=comment.user_id,
        details={"comment_id": str(comment.id), "reason": text},
    )
    session.commit()


def dismiss_report(
    session: Session, *, moderator_id: uuid.UUID, report: Report, reason: str
) -> None:
    """Dismiss an open report, recorded with its reason in the audit log; InvalidInput if it
    is settled already."""
    text = _reason(reason)
    if report.status != "open":
        raise InvalidInput(f"expected an open report, got a {report.status} one")
    report.status, report.resolved_at = "dismissed", _now()
    record_event(
        session,
        event_type="social.report_dismissed",
        actor_id=moderator_id,
        details={"report_id": str(report.id), "reason": text},
    )
    session.commit()
