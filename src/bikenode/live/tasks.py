"""Queue jobs of live: crash alerts and the e-mail telling a new emergency contact. They take
ids and open their own sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.config import Settings
from bikenode.db.queue import JobHandler, JobLease
from bikenode.live import crash_alerts
from bikenode.mail import mail_settings


def crash_jobs(sessions: sessionmaker[Session], settings: Settings) -> dict[str, JobHandler]:
    """The handlers of the crash-alert jobs, by job kind."""
    mailer = crash_alerts.Mailer(mail_settings(settings), settings.public_url)

    def alert(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        crash_alerts.send_alert(sessions, alert_id=uuid.UUID(payload["alert_id"]), mailer=mailer)

    def tell(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        contact_id = uuid.UUID(payload["contact_id"])
        crash_alerts.tell_contact(sessions, contact_id=contact_id, mailer=mailer)

    return {crash_alerts.ALERT_JOB: alert, crash_alerts.CONTACT_ADDED_JOB: tell}
