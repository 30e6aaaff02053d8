"""A rider's social data for GDPR requests.

Export: their follow setting, whom they follow and who follows them, whom they block, their
kudos, their comments and their clubs (social/clubs/gdpr.py). Erasure deletes every row naming them on either side: their
follows and followers, blocks both ways, the kudos and comments they gave, and the kudos and
comments others left on their rides (those rides are erased too). Comments by an erased
rider are removed, not anonymised: a comment's text can name its author as well as any id.
Mutes go both ways; moderation actions against the rider go with their appeals, and an
erased moderator's actions stay without their name (who did what stays in the audit log,
which keeps ids only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.social.clubs import gdpr as clubs_gdpr
from bikenode.social.models import (
    Block,
    Comment,
    Follow,
    Kudos,
    ModerationAction,
    Mute,
    Report,
    SocialProfile,
)

ACTION_FIELDS = (
    "id",
    "kind",
    "object_kind",
    "object_id",
    "reason",
    "until",
    "created_at",
    "lifted_at",
    "appeal_text",
    "appealed_at",
    "appeal_status",
    "appeal_decided_at",
)


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): social/follows.json, social/blocks.json, social/kudos.json,
    social/comments.json, social/reports.json (the reports they made), social/mutes.json and
    social/moderation_actions.json (actions against them, with their appeals)."""
    profile = session.get(SocialProfile, user_id)
    follows = session.scalars(
        select(Follow).where(or_(Follow.user_id == user_id, Follow.followee_id == user_id))
    ).all()
    fields = ("user_id", "followee_id", "status", "created_at", "accepted_at")
    yield (
        "social/follows.json",
        json_bytes(
            {
                "approve_followers": bool(profile and profile.approve_followers),
                "following": [fields_of(f, fields) for f in follows if f.user_id == user_id],
                "followers": [fields_of(f, fields) for f in follows if f.followee_id == user_id],
            }
        ),
    )
    blocks = session.scalars(select(Block).where(Block.user_id == user_id)).all()
    yield (
        "social/blocks.json",
        json_bytes([fields_of(b, ("blocked_id", "created_at")) for b in blocks]),
    )
    kudos = session.scalars(select(Kudos).where(Kudos.user_id == user_id)).all()
    yield "social/kudos.json", json_bytes([fields_of(k, ("ride_id", "created_at")) for k in kudos])
    comments = session.scalars(select(Comment).where(Comment.user_id == user_id)).all()
    comment_fields = ("id", "ride_id", "body", "created_at", "hidden_at")
    yield "social/comments.json", json_bytes([fields_of(c, comment_fields) for c in comments])
    reports = session.scalars(select(Report).where(Report.user_id == user_id)).all()
    report_fields = ("id", "subject_kind", "subject_id", "reason", "status", "created_at")
    yield "social/reports.json", json_bytes([fields_of(r, report_fields) for r in reports])
    mutes = session.scalars(select(Mute).where(Mute.user_id == user_id)).all()
    yield "social/mutes.json", json_bytes([fields_of(m, ("muted_id", "created_at")) for m in mutes])
    # Actions against them with their appeals (the moderator's id stays the moderators').
    actions = session.scalars(select(ModerationAction).where(ModerationAction.user_id == user_id))
    yield (
        "social/moderation_actions.json",
        json_bytes([fields_of(a, ACTION_FIELDS) for a in actions]),
    )
    yield from clubs_gdpr.iter_user_export(session, user_id)
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_data(session: Session, user_id: uuid.UUID) -> dict[str, float]:
    """Delete every social row naming the rider; flushes only. Counts of what went."""
    counts = {
        "follows": _count(
            session, Follow, or_(Follow.user_id == user_id, Follow.followee_id == user_id)
        ),
        "kudos": _count(
            session, Kudos, or_(Kudos.user_id == user_id, Kudos.ride_owner_id == user_id)
        ),
        "comments": _count(
            session, Comment, or_(Comment.user_id == user_id, Comment.ride_owner_id == user_id)
        ),
    }
    session.execute(
        delete(Follow).where(or_(Follow.user_id == user_id, Follow.followee_id == user_id))
    )
    session.execute(delete(Block).where(or_(Block.user_id == user_id, Block.blocked_id == user_id)))
    session.execute(
        delete(Kudos).where(or_(Kudos.user_id == user_id, Kudos.ride_owner_id == user_id))
    )
    session.execute(
        delete(Comment).where(or_(Comment.user_id == user_id, Comment.ride_owner_id == user_id))
    )
    session.execute(delete(SocialProfile).where(SocialProfile.user_id == user_id))
    counts |= clubs_gdpr.erase_user_data(session, user_id)
    # Reports they made, and reports about them (a report names its subject).
    session.execute(
        delete(Report).where(
            or_(
                Report.user_id == user_id,
                (Report.subject_kind == "user") & (Report.subject_id == user_id),
            )
        )
    )
    session.execute(delete(Mute).where(or_(Mute.user_id == user_id, Mute.muted_id == user_id)))
    session.execute(
        delete(ModerationAction).where(
            or_(ModerationAction.user_id == user_id, ModerationAction.object_id == user_id)
        )
    )
    session.execute(
        update(ModerationAction)
        .where(ModerationAction.moderator_id == user_id)
        .values(moderator_id=None)
    )
    session.flush()
    return counts


def _count(session: Session, table: type[Follow | Kudos | Comment], where: object) -> float:
    return float(session.scalar(select(func.count()).select_from(table).where(where)) or 0)  # type: ignore[arg-type]
