"""Outgoing e-mail: SMTP when a host is configured, else an .eml file in DATA_DIR/outbox.

Messages may carry secrets (a password-reset link), so neither path logs a message's body,
only where it went; outbox files are readable by their owner only.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import socket
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from bikenode.config import Settings
from bikenode.db.base import utcnow

__all__ = ["MailSettings", "mail_settings", "send_mail"]

log = logging.getLogger("bikenode.mail")
OUTBOX_DIR = "outbox"
SMTP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class MailSettings:
    """Where mail goes: an SMTP server, or the outbox folder when `host` is empty."""

    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool
    outbox: Path


def mail_settings(settings: Settings) -> MailSettings:
    """The mail settings from BIKENODE_SMTP_* and the data folder."""
    return MailSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        user=settings.smtp_user,
        password=settings.smtp_password,
        sender=settings.smtp_from,
        starttls=settings.smtp_starttls,
        outbox=settings.data_dir / OUTBOX_DIR,
    )


def build_message(
    sender: str,
    *,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """A plain-text message (with an HTML alternative if given) with a date and a message
    id; `headers` adds or replaces headers (a stable Message-ID, List-Unsubscribe)."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Date"] = formatdate(utcnow().timestamp(), usegmt=True)
    message["Message-ID"] = make_msgid(domain="bikenode.invalid")
    for name, value in (headers or {}).items():
        del message[name]
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(
    config: MailSettings,
    *,
    to: str,
    subject: str,
    body: str,
    html: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> str:
    """Send (or write to the outbox) one message; returns where it went, for the log.

    Raises OSError or smtplib.SMTPException when the server cannot be reached or refuses.
    """
    message = build_message(
        config.sender, to=to, subject=subject, body=body, html=html, headers=headers
    )
    if not config.host:
        return _write_to_outbox(config.outbox, message)
    with smtplib.SMTP(
        config.host, config.port, local_hostname=_local_hostname(), timeout=SMTP_TIMEOUT_S
    ) as smtp:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password)
        smtp.send_message(message)
    where = f"smtp://{config.host}:{config.port}"
    log.info("e-mail sent", extra={"subject": subject, "via": where})
    return where


@functools.cache
def _local_hostname() -> str:
    """The name we greet servers with, looked up once: smtplib would look it up (a DNS
    query, tens of ms) for every connection."""
    return socket.getfqdn()


def _write_to_outbox(outbox: Path, message: EmailMessage) -> str:
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = outbox / f"{utcnow():%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:12]}.eml"
    path.touch(mode=0o600)  # before the content: it may hold a reset link
    path.write_bytes(message.as_bytes())
    log.warning(
        "no SMTP server configured (BIKENODE_SMTP_HOST): e-mail written to the outbox",
        extra={"subject": str(message["Subject"]), "path": str(path)},
    )
    return str(path)
