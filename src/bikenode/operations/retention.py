"""`bikenode retention`: delete what the operator's retention settings say has expired.

Each domain decides what of its own data may go (never what a ride needs); this module only
applies the settings, in one transaction, and reports what went (or would go, on a dry run).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bikenode import apps, live, rides
from bikenode.config import Settings

Purge = Callable[..., tuple[int, int]]


@dataclass(frozen=True)
class RetentionRule:
    what: str  # what one counted item is, in words
    setting: str  # the Settings field holding its days (0: keep forever)
    purge: Purge  # (session, *, now, days, dry_run) -> (items, bytes)


RULES = (
    RetentionRule("original files of rides", "retention_originals_days", rides.expired_originals),
    RetentionRule(
        "positions of live sessions kept as rides",
        "retention_live_positions_days",
        live.expired_positions,
    ),
    RetentionRule(
        "duplicate files kept for merging",
        "retention_duplicate_copies_days",
        rides.expired_duplicate_copies,
    ),
    RetentionRule(
        "unfinished resumable uploads",
        "retention_abandoned_uploads_days",
        rides.abandoned_uploads,
    ),
    RetentionRule(
        "dead authorization codes and tokens of apps",
        "retention_app_credentials_days",
        apps.expired_credentials,
    ),
)


@dataclass(frozen=True)
class RetentionLine:
    what: str
    days: int
    items: int
    size_bytes: int


def apply_retention(
    session: Session, settings: Settings, *, now: datetime, dry_run: bool
) -> list[RetentionLine]:
    """Each rule's result; rules set to 0 days are skipped (listed with days 0). Commits
    unless dry_run."""
    lines = []
    for rule in RULES:
        days = int(getattr(settings, rule.setting))
        if days <= 0:
            lines.append(RetentionLine(rule.what, 0, 0, 0))
            continue
        items, size = rule.purge(session, now=now, days=days, dry_run=dry_run)
        lines.append(RetentionLine(rule.what, days, items, size))
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return lines
