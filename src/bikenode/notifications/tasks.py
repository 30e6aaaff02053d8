"""Queue jobs of notifications: they take a delivery id and open their own sessions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bikenode.config import Settings
from bikenode.db.queue import JobHandler, JobLease
from bikenode.mail import mail_settings
from bikenode.notifications.delivery import MailContext, send_email


def mail_context(settings: Settings) -> MailContext:
    """The SMTP settings, public URL and signing key e-mails are made with."""
    return MailContext(mail_settings(settings), settings.public_url, settings.effective_secret_key)


def send_email_job(sessions: sessionmaker[Session], settings: Settings) -> JobHandler:
    """The `notifications.send_email` handler: try one e-mail delivery if it is due."""
    context = mail_context(settings)

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        send_email(sessions, delivery_id=uuid.UUID(payload["delivery_id"]), context=context)

    return run
