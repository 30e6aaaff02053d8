"""A rider's notifications for GDPR requests: exported, or erased for good."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlalchemy import delete
from sqlalchemy.orm import Session

from bikenode.export_json import fields_of, json_bytes
from bikenode.notifications import repo
from bikenode.notifications.models import (
    DigestChoice,
    DigestSchedule,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    PushSubscription,
    QuietHours,
)

NOTIFICATION_FIELDS = ("id", "type", "title", "text", "link", "in_app", "created_at", "read_at")
DELIVERY_FIELDS = (
    "id",
    "notification_id",
    "channel",
    "state",
    "attempts",
    "last_error",
    "sent_at",
    "created_at",
)


# The keys are the browser's to encrypt to, not the rider's data: the endpoint names the device.
PUSH_FIELDS = ("id", "endpoint", "created_at")


def iter_user_export(session: Session, user_id: uuid.UUID) -> Iterator[tuple[str, bytes]]:
    """(path, bytes): notifications/notifications.json (notifications and their e-mail
    deliveries), notifications/preferences.json (choices, quiet hours, digests) and
    notifications/push_subscriptions.json (the browsers push goes to)."""
    notifications = [fields_of(n, NOTIFICATION_FIELDS) for n in repo.all_of_user(session, user_id)]
    deliveries = [fields_of(d, DELIVERY_FIELDS) for d in repo.deliveries_of_user(session, user_id)]
    yield (
        "notifications/notifications.json",
        json_bytes({"notifications": notifications, "deliveries": deliveries}),
    )
    quiet = repo.quiet_hours_of(session, user_id)
    choices = [
        {"type": p.type, "channel": p.channel, "enabled": p.enabled}
        for p in repo.preference_rows(session, user_id)
    ]
    hours = {"start_min": quiet.start_min, "end_min": quiet.end_min} if quiet else None
    digests = [
        {"type": d.type, "period": d.period} for d in repo.digest_choice_rows(session, user_id)
    ]
    schedule = repo.digest_schedule_of(session, user_id)
    when = {"hour": schedule.hour, "weekday": schedule.weekday} if schedule else None
    yield (
        "notifications/preferences.json",
        json_bytes(
            {
                "preferences": choices,
                "quiet_hours": hours,
                "digests": digests,
                "digest_schedule": when,
            }
        ),
    )
    pushes = [fields_of(p, PUSH_FIELDS) for p in repo.pushes_of_user(session, user_id)]
    yield "notifications/push_subscriptions.json", json_bytes({"push_subscriptions": pushes})
    session.rollback()  # end the read: writers are not held up (SQLite)


def erase_user_data(session: Session, user_id: uuid.UUID) -> dict[str, float]:
    """Delete the rider's notifications, deliveries, choices, quiet hours, push
    subscriptions and digest settings; flushes only."""
    counts = {}
    for name, table in (
        ("notification_deliveries", NotificationDelivery),
        ("notifications", Notification),
        ("notification_preferences", NotificationPreference),
        ("notification_quiet_hours", QuietHours),
        ("notification_push_subscriptions", PushSubscription),
        ("notification_digest_choices", DigestChoice),
        ("notification_digest_schedules", DigestSchedule),
    ):
        done = session.execute(delete(table).where(table.user_id == user_id))
        counts[name] = float(done.rowcount)  # type: ignore[attr-defined]
    session.flush()
    return counts
