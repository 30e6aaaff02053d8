"""Crash alerts: a rider's opt-in and contacts, the check after each stored batch, the
rider's cancel window and the alert to the contacts (a durable job, so a restart loses none).

The alert carries the last position as it is, inside the rider's privacy zones too: a
rescuer needs it. It carries nothing else of the ride.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bikenode import accounts
from bikenode.db.base import utcnow
from bikenode.db.queue import enqueue
from bikenode.errors import Conflict, InvalidInput, NotFound
from bikenode.events import publish
from bikenode.live import crash, storage
from bikenode.live.events import CrashAlertSent, CrashSuspected
from bikenode.live.models import (
    LiveBatch,
    LiveCrashAlert,
    LiveCrashContact,
    LiveCrashSettings,
    LiveSession,
)
from bikenode.mail import MailSettings, send_mail

ALERT_JOB: Final = "live.crash_alert"
CONTACT_ADDED_JOB: Final = "live.crash_contact_added"
MAX_CONTACTS: Final = 5  # enough for family and a friend; a short list nobody abuses as a mailer
DEFAULT_CANCEL_S: Final = 60.0
# One warned alert per session at most, and a rider rides few sessions at once.
MAX_OPEN_LISTED: Final = 10
MIN_CANCEL_S: Final = 30.0  # time to find the phone after a fall
MAX_CANCEL_S: Final = 300.0  # help must not wait longer than this
# How much track the check reads: the stillness time plus the run-up before the stop.
RUN_UP_S: Final = crash.MOVING_WINDOW_S + crash.HARD_STOP_S + crash.MAX_GAP_S


@dataclass(frozen=True)
class Mailer:
    """What the alert e-mails need: the mail settings and the address of this server."""

    mail: MailSettings
    public_url: str


def get_settings(session: Session, *, owner_id: uuid.UUID) -> LiveCrashSettings:
    """The rider's crash-detection settings (off with the defaults if never set; not stored)."""
    row = session.get(LiveCrashSettings, owner_id)
    session.commit()
    if row is None:
        return LiveCrashSettings(
            owner_id=owner_id,
            enabled=False,
            still_s=crash.DEFAULT_STILL_S,
            cancel_s=DEFAULT_CANCEL_S,
            updated_at=utcnow(),
        )
    return row


def set_settings(
    session: Session, *, owner_id: uuid.UUID, enabled: bool, still_s: float, cancel_s: float
) -> LiveCrashSettings:
    """Store the rider's choice; InvalidInput for times outside their ranges."""
    _check_range("still_s", still_s, crash.MIN_STILL_S, crash.MAX_STILL_S)
    _check_range("cancel_s", cancel_s, MIN_CANCEL_S, MAX_CANCEL_S)
    row = session.get(LiveCrashSettings, owner_id) or LiveCrashSettings(owner_id=owner_id)
    row.enabled, row.still_s, row.cancel_s, row.updated_at = enabled, still_s, cancel_s, utcnow()
    session.add(row)
    session.commit()
    return row


def list_contacts(session: Session, *, owner_id: uuid.UUID) -> list[LiveCrashContact]:
    """The rider's emergency contacts, oldest first."""
    rows = list(
        session.scalars(
            select(LiveCrashContact)
            .where(LiveCrashContact.owner_id == owner_id)
            .order_by(LiveCrashContact.created_at, LiveCrashContact.id)
        )
    )
    session.commit()
    return rows


def add_contact(session: Session, *, owner_id: uuid.UUID, email: str) -> LiveCrashContact:
    """Add an e-mail contact, who is told once (with an opt-out link); InvalidInput past
    MAX_CONTACTS, Conflict if the address is already a contact."""
    email = email.strip()
    existing = list_contacts(session, owner_id=owner_id)
    if len(existing) >= MAX_CONTACTS:
        raise InvalidInput(f"expected at most {MAX_CONTACTS} emergency contacts")
    if any((c.email or "").lower() == email.lower() for c in existing):
        raise Conflict("that address is already one of your emergency contacts")
    contact = LiveCrashContact(owner_id=owner_id, email=email)
    session.add(contact)
    session.flush()
    enqueue(session, CONTACT_ADDED_JOB, {"contact_id": str(contact.id)})
    session.commit()
    return contact


def own_contact(
    session: Session, *, contact_id: uuid.UUID, owner_id: uuid.UUID
) -> LiveCrashContact:
    """One of the rider's contacts; NotFound otherwise."""
    contact = session.get(LiveCrashContact, contact_id)
    if contact is None or contact.owner_id != owner_id:
        raise NotFound("no such emergency contact")
    return contact


def remove_contact(session: Session, *, owner_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    """Remove one of the rider's contacts; NotFound if it is not theirs."""
    session.delete(own_contact(session, contact_id=contact_id, owner_id=owner_id))
    session.commit()


def opt_out(session: Session, *, token: str) -> None:
    """The contact holding this token is never mailed by that rider again; NotFound if none."""
    contact = session.scalar(
        select(LiveCrashContact).where(LiveCrashContact.optout_hash == _hash(token))
    )
    if contact is None:
        raise NotFound("this opt-out link is not valid (the rider may have removed you)")
    contact.opted_out_at = contact.opted_out_at or utcnow()
    session.commit()


def tell_contact(sessions: sessionmaker[Session], *, contact_id: uuid.UUID, mailer: Mailer) -> None:
    """Mail a new contact, once, that they were added, with a link to opt out."""
    with sessions() as session:
        contact = session.get(LiveCrashContact, contact_id, with_for_update=True)
        if contact is None or contact.told_at is not None or contact.email is None:
            return
        token = secrets.token_urlsafe(24)
        contact.optout_hash, contact.told_at = _hash(token), utcnow()
        names = accounts.display_names(session, {contact.owner_id})
        rider, email = names.get(contact.owner_id) or "A BikeNode rider", contact.email
        session.commit()
    url = f"{mailer.public_url.rstrip('/')}/api/v1/live/crash-contacts/opt-out?token={token}"
    body = ADDED_BODY.format(rider=rider, url=url)
    send_mail(mailer.mail, to=email, subject=ADDED_SUBJECT, body=body)


def check_session(
    session: Session, *, session_id: uuid.UUID, owner_id: uuid.UUID, now: datetime | None = None
) -> LiveCrashAlert | None:
    """After a stored batch: a new warned alert if the rider's track shows a crash now."""
    settings = session.get(LiveCrashSettings, owner_id)
    if settings is None or not settings.enabled:
        session.commit()
        return None
    points = _recent_points(session, session_id, settings.still_s + RUN_UP_S)
    found = crash.detect(points, still_s=settings.still_s)
    if not found:
        session.commit()
        return None
    suspected = found[-1]
    stopped_ms = int(suspected.stopped_at_s * 1000)
    exists = session.scalar(
        select(LiveCrashAlert.id).where(
            LiveCrashAlert.session_id == session_id, LiveCrashAlert.stopped_at_ms == stopped_ms
        )
    )
    if exists is not None:
        session.commit()
        return None
    return _warn(session, session_id, owner_id, suspected, settings, now or utcnow())


def _warn(
    session: Session,
    session_id: uuid.UUID,
    owner_id: uuid.UUID,
    suspected: crash.SuspectedCrash,
    settings: LiveCrashSettings,
    now: datetime,
) -> LiveCrashAlert:
    alert = LiveCrashAlert(
        session_id=session_id,
        owner_id=owner_id,
        stopped_at_ms=int(suspected.stopped_at_s * 1000),
        lat=suspected.lat,
        lon=suspected.lon,
        cancel_by=now + timedelta(seconds=settings.cancel_s),
    )
    session.add(alert)
    session.flush()
    publish(session, CrashSuspected(alert_id=alert.id, owner_id=owner_id))
    job = enqueue(session, ALERT_JOB, {"alert_id": str(alert.id)})
    job.run_after = alert.cancel_by  # the contacts hear only once the rider's window is over
    session.commit()
    return alert


def open_alerts(session: Session, *, owner_id: uuid.UUID) -> list[LiveCrashAlert]:
    """The rider's alerts still in their cancel window (warned), newest first."""
    rows = list(
        session.scalars(
            select(LiveCrashAlert)
            .where(LiveCrashAlert.owner_id == owner_id, LiveCrashAlert.status == "warned")
            .order_by(LiveCrashAlert.created_at.desc(), LiveCrashAlert.id)
            .limit(MAX_OPEN_LISTED)
        )
    )
    session.commit()
    return rows


def own_alert(session: Session, *, alert_id: uuid.UUID, owner_id: uuid.UUID) -> LiveCrashAlert:
    """One of the rider's alerts; NotFound otherwise."""
    alert = session.get(LiveCrashAlert, alert_id)
    session.commit()
    if alert is None or alert.owner_id != owner_id:
        raise NotFound("no such crash alert")
    return alert


def cancel_alert(session: Session, *, alert_id: uuid.UUID, owner_id: uuid.UUID) -> LiveCrashAlert:
    """The rider is fine: the alert is cancelled; Conflict if the contacts were already told."""
    alert = session.get(LiveCrashAlert, alert_id, with_for_update=True)
    if alert is None or alert.owner_id != owner_id:
        raise NotFound("no such crash alert")
    if alert.status == "sent":
        raise Conflict("too late: your emergency contacts were already alerted")
    if alert.status == "warned":
        alert.status, alert.finished_at = "cancelled", utcnow()
    session.commit()
    return alert


def send_alert(sessions: sessionmaker[Session], *, alert_id: uuid.UUID, mailer: Mailer) -> str:
    """Alert the contacts unless the rider cancelled, moved on or ended the session; returns
    the alert's final status.

    It is marked sent only once every e-mail went out: a refused one fails the job, which the
    queue runs again, so a contact may get the alert twice but none misses it.
    """
    with sessions() as session:
        alert = session.get(LiveCrashAlert, alert_id, with_for_update=True)
        if alert is None or alert.status != "warned":
            return alert.status if alert else "gone"
        status = _still_lying(session, alert)
        if status != "sent":
            alert.status, alert.finished_at = status, utcnow()
            session.commit()
            return status
        recipients = _addresses(session, alert.owner_id)
        rider = accounts.display_names(session, {alert.owner_id}).get(alert.owner_id)
        sent = CrashAlertSent(
            alert_id=alert.id,
            owner_id=alert.owner_id,
            contacts=tuple(recipients),
            stopped_at=datetime.fromtimestamp(alert.stopped_at_ms / 1000, tz=UTC),
            lat=alert.lat,
            lon=alert.lon,
        )
        subject = ALERT_SUBJECT.format(rider=rider or "A BikeNode rider")
        body = ALERT_BODY.format(
            rider=rider or "A BikeNode rider", when=sent.stopped_at, lat=sent.lat, lon=sent.lon
        )
        session.commit()
    for email in recipients:
        send_mail(mailer.mail, to=email, subject=subject, body=body)
    with sessions() as session:
        alert = session.get(LiveCrashAlert, alert_id, with_for_update=True)
        if alert is not None and alert.status == "warned":
            alert.status, alert.finished_at = "sent", utcnow()
            # With the status, once: contacts who ride here are told in the app and by push.
            publish(session, sent)
        session.commit()
    return "sent"


def _still_lying(session: Session, alert: LiveCrashAlert) -> str:
    live = session.get(LiveSession, alert.session_id)
    if live is None or live.status != "live":
        return "cleared"  # ending the session says the rider is up
    since_s = alert.stopped_at_ms / 1000
    points = _recent_points(session, alert.session_id, 0, since_s=since_s)
    if crash.moved_away(points, lat=alert.lat, lon=alert.lon):
        return "cleared"
    return "sent"


def _addresses(session: Session, owner_id: uuid.UUID) -> list[str]:
    rows = session.scalars(
        select(LiveCrashContact.email).where(
            LiveCrashContact.owner_id == owner_id,
            LiveCrashContact.email.is_not(None),
            LiveCrashContact.opted_out_at.is_(None),
        )
    )
    return [email for email in rows if email]


def _recent_points(
    session: Session, session_id: uuid.UUID, span_s: float, *, since_s: float | None = None
) -> list[tuple[float, float, float, float | None]]:
    """The session's positions of the last span_s seconds (or since since_s), in order."""
    last = session.scalar(
        select(LiveBatch.last_time_ms)
        .where(LiveBatch.session_id == session_id)
        .order_by(LiveBatch.batch_no.desc())
        .limit(1)
    )
    if last is None:
        return []
    cutoff_ms = int(since_s * 1000) if since_s is not None else last - int(span_s * 1000)
    batches = session.scalars(
        select(LiveBatch)
        .where(LiveBatch.session_id == session_id, LiveBatch.last_time_ms >= cutoff_ms)
        .order_by(LiveBatch.batch_no)
    )
    points: list[tuple[float, float, float, float | None]] = []
    for batch in batches:
        columns = storage.plain_columns(batch)
        if "lat" not in columns:
            continue  # a batch of sensor readings only
        for t, lat, lon in zip(columns["t"], columns["lat"], columns["lon"], strict=True):
            if t is not None and lat is not None and lon is not None and t >= cutoff_ms:
                points.append((t / 1000, lat * 1e-7, lon * 1e-7, None))
    points.sort(key=lambda p: p[0])
    return points


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InvalidInput(f"expected {name} between {low:g} and {high:g} seconds, got {value:g}")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


ADDED_SUBJECT = "You were added as an emergency contact on BikeNode"
ADDED_BODY = """\
{rider} added this address as an emergency contact on BikeNode.

If their phone sees what looks like a crash during a live ride (a hard stop, then no
movement) and they do not cancel in time, you will get an e-mail with their last position.
Nothing else about their rides is sent to you.

Do not want this? Opt out here and you will get no more e-mails from this rider:
{url}
"""
ALERT_SUBJECT = "Possible crash: {rider} may need help"
ALERT_BODY = """\
{rider} may have crashed during a live ride: their phone stopped hard and has not moved
since {when:%Y-%m-%d %H:%M} UTC, and they did not answer the warning on their phone.

Last position: {lat:.6f}, {lon:.6f}
Map: https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}

This is an automatic alert from GPS alone; it may be a false alarm. Try to call them; if you
cannot reach them, call the emergency services and give them this position.
"""
