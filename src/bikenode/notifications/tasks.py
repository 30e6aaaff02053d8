"""Queue jobs of notifications: they take a delivery id and open their own sessions."""

from __future__ import annotations

import uuid
from email.utils import parseaddr
from typing import Any

from py_vapid import Vapid02
from sqlalchemy.orm import Session, sessionmaker

from bikenode.addresses import allowed_hosts
from bikenode.config import Settings
from bikenode.db.queue import JobHandler, JobLease
from bikenode.mail import mail_settings
from bikenode.notifications.delivery import MailContext, send_email
from bikenode.notifications.digest import send_digest
from bikenode.notifications.push import PushContext, send_push
from bikenode.notifications.vapid import load_or_create


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


def vapid_key(settings: Settings) -> Vapid02:
    """This server's web push key pair, made in data_dir on first start and kept."""
    return load_or_create(settings.data_dir)


def push_context(settings: Settings) -> PushContext:
    """This server's VAPID key (made on first use) and the contact push services see: the
    mail sender's address, as RFC 8292 suggests a mailto: URI."""
    address = parseaddr(settings.smtp_from)[1]
    subject = f"mailto:{address}" if "@" in address else "mailto:admin@localhost"
    return PushContext(vapid_key(settings), subject, allowed_hosts(settings.push_allowed_hosts))


def send_push_job(sessions: sessionmaker[Session], settings: Settings) -> JobHandler:
    """The `notifications.send_push` handler: try one push delivery if it is due."""
    context = push_context(settings)

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        send_push(sessions, delivery_id=uuid.UUID(payload["delivery_id"]), context=context)

    return run


def send_digest_job(sessions: sessionmaker[Session], settings: Settings) -> JobHandler:
    """The `notifications.send_digest` handler: send one rider's due digest, if any."""
    context = mail_context(settings)

    def run(payload: dict[str, Any], lease: JobLease) -> None:
        lease()
        send_digest(sessions, user_id=uuid.UUID(payload["user_id"]), context=context)

    return run
