"""GDPR use cases: export all of a user's data as a zip, erase it for good; key rotation."""

from __future__ import annotations

import json
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy.orm import Session

from bikenode import accounts, events, health, live, rides, webhooks
from bikenode.audit import list_events, record_event
from bikenode.db.base import utcnow
from bikenode.db.engine import begin_write
from bikenode.db.queue import enqueue
from bikenode.governance.events import UserErased
from bikenode.governance.models import Erasure
from bikenode.governance.personal_data import PERSONAL_DATA

REENCRYPT_JOB = "governance.reencrypt_health"
MAX_EXPORTED_EVENTS = 100_000
EXPORT_README = """\
Your BikeNode data, as of {exported_at}.

profile.json          your account: e-mail, name, preferences, sessions
rides/<id>.json       each ride: its details, summary and every stream (time, position,
                      elevation, heart rate, power...), one array per stream, null = missing
originals/<id>/<name> the file each ride was imported from, as you uploaded it
uploads.json          your uploads and what became of each file
privacy_zones.json    the places you hide from others
security_events.json  sign-ins, password and MFA changes, exports: the audit log about you

fitness/thresholds.json   your FTP and heart-rate thresholds, each with the day it applies from
fitness/ride_figures.json each ride's day, training stress (and your own figure, if you set
                          one) and power curve (best average watts per duration)
fitness/profile.json      your training load settings: time constants and starting values
live/sessions/<id>.json   each live session: its details and every position you sent, one
                          array per stream as in rides/<id>.json
live/shares.json          the share links of your live sessions (never their tokens)
live/devices.json         the devices (tracking apps) you let send positions (never their tokens)
live/groups.json          the group rides you organise, and your place in every group ride
planner/routes/<id>.json  each planned route you own or share: name, notes, waypoints (as
                          its document holds them), your role, collaborators
planner/routes/<id>.gpx   the same route as GPX
sync/records.json         what your devices synced: each record's fields, values and clocks
sync/conflicts.json       edits from two devices no rule could merge, and how you settled them
sync/devices.json         your devices and the answers kept for their pushes
bikes/bikes.json          your bikes, each with the rides ridden on it and why
bikes/components.json     your components, each with where and when it was fitted
bikes/service_log.json    the services and replacements you logged
bikes/reminders.json      each time a part reached 80% or 100% of its service interval
bikes/sensor_readings.json  your sensors' battery readings (status, volts) from your rides
health/metrics.json       your daily values (resting heart rate, HRV, weight, sleep, scores)
                          with the device or app each came from
health/alerts.json        your resting heart rate and HRV alerts, each with its explanation
health/ride_hrv.json      the rides whose beat-to-beat intervals gave a day's HRV
market/jobs.json          your repair jobs with their quotes, state and review
market/quotes.json        the quotes you gave as a mechanic
market/messages.json      the messages you wrote in job threads
market/payments.json      your payments (paid jobs are kept anonymised after erasure)
market/mechanic_profile.json  your mechanic profile (its place: a ~1 km cell), or null
market/reviews_written.json   your reviews of mechanics (erasure keeps only their stars)
market/reviews_received.json  reviews of your work as a mechanic, with your replies
webhooks/webhooks.json    your webhooks (never their secrets) and their latest deliveries
notifications/notifications.json  what you were told (in the app and by e-mail), each
                          e-mail's delivery state and attempts
notifications/preferences.json    your notification choices per type and channel, quiet hours
social/follows.json       whether you approve followers, whom you follow, who follows you
social/blocks.json        the riders you block
social/kudos.json         the rides you gave kudos on
social/comments.json      the comments you wrote (erasure removes them, not anonymises)
social/reports.json       the reports you made to the moderators
social/clubs.json         your club memberships and requests, the clubs you own, your club
                          posts, the club rides you planned and your RSVPs (erasure hands a
                          club you own to its longest-standing admin, else member, or
                          deletes it when nobody else is in it)
segments/segments.json    the segments you made, each with its simplified shape
segments/efforts.json     every effort your rides hold on a segment, with its times
segments/heatmap.json     what the heatmap keeps of your tracks (rides, chunks, points),
                          tiles cached for you, and whether you left the community heatmap

Units are in the field names: _m metres, _s seconds, _deg degrees, _bpm beats per minute,
_w watts. Times are ISO 8601 in UTC; time_s streams are seconds since 1970-01-01 UTC.
"""


def export_user_data(
    session: Session,
    *,
    user_id: uuid.UUID,
    out: IO[bytes],
    actor_id: uuid.UUID | None,
    client_ip: str | None = None,
) -> int:
    """Write a zip of everything stored about the user to `out`; return the file count.

    The export is audited (who asked, for whom); NotFound if there is no such user.
    """
    profile = accounts.export_user_profile(session, user_id)
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", EXPORT_README.format(exported_at=utcnow().isoformat()))
        archive.writestr("profile.json", json.dumps(profile, ensure_ascii=False, indent=1))
        archive.writestr("security_events.json", _security_events(session, user_id))
        for domain in PERSONAL_DATA:
            for path, data in domain.export(session, user_id):
                archive.writestr(path, data)
                count += 1
    session.rollback()  # the export read in one transaction; the audit entry gets its own
    begin_write(session)
    record_event(
        session,
        event_type="governance.data_exported",
        actor_id=actor_id,
        subject_id=user_id,
        client_ip=client_ip,
        details={"files": count + 3},
    )
    session.commit()
    return count + 3


def _security_events(session: Session, user_id: uuid.UUID) -> str:
    events = list_events(session, subject_id=user_id, limit=MAX_EXPORTED_EVENTS)
    return json.dumps(
        [
            {
                "occurred_at": event.occurred_at.isoformat(),
                "event_type": event.event_type,
                "by_you": event.actor_id == user_id,
                "client_ip": event.client_ip,
                "details": event.details,
            }
            for event in events
        ],
        ensure_ascii=False,
        indent=1,
    )


@dataclass(frozen=True)
class ErasureReport:
    """What an erasure removed."""

    user_id: uuid.UUID
    rides: int
    distance_m: float
    erased_at: datetime


def erase_user(
    session: Session,
    *,
    user_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    client_ip: str | None = None,
) -> ErasureReport:
    """Delete the user and all their data in one transaction, keeping anonymous totals.

    What stays: an audit entry (the user's id, who asked, when; no e-mail or name) and one
    row of totals with no link to the person. NotFound if there is no such user.
    """
    erased: dict[str, float] = {}
    for domain in PERSONAL_DATA:
        erased.update(domain.erase(session, user_id))
    accounts.erase_user(session, user_id)
    erased["events"] = events.erase_user_events(session, user_id)  # no replay brings them back
    events.publish(session, UserErased(user_id=user_id))
    totals = Erasure(
        rides=int(erased["rides"]),
        distance_m=erased["distance_m"],
        moving_time_s=erased["moving_time_s"],
    )
    session.add(totals)
    record_event(
        session,
        event_type="governance.user_erased",
        actor_id=actor_id,
        subject_id=user_id,
        client_ip=client_ip,
        # Counts only: the distance and time stay in the anonymous totals row.
        details={k: v for k, v in erased.items() if k not in ("distance_m", "moving_time_s")},
    )
    session.commit()
    return ErasureReport(user_id, int(erased["rides"]), erased["distance_m"], utcnow())


@dataclass(frozen=True)
class AdminRead:
    """What an admin sees of another account: its profile and its rides (no tracks)."""

    profile: dict[str, Any]
    rides: list[rides.RideRow]


ADMIN_READ_PROFILE = ("id", "email", "display_name", "role", "created_at", "mfa_enabled")


def read_user_as_admin(
    session: Session, *, admin: accounts.UserView, user_id: uuid.UUID, client_ip: str | None
) -> AdminRead:
    """Another user's profile and ride list for an admin with MFA on; the read is audited.

    PermissionDenied for anyone else; NotFound if there is no such user.
    """
    accounts.require_admin(session, user=admin)
    profile = accounts.export_user_profile(session, user_id)
    listed = rides.list_user_rides(session, user_id)
    begin_write(session)  # a GET: the audit entry is the one write
    record_event(
        session,
        event_type="governance.admin_read",
        actor_id=admin.id,
        subject_id=user_id,
        client_ip=client_ip,
        details={"read": ["profile", "rides"], "rides": len(listed)},
    )
    session.commit()
    return AdminRead({k: profile[k] for k in ADMIN_READ_PROFILE}, listed)


def start_reencryption(session: Session, *, actor: str) -> int:
    """Queue the background job that re-seals all sealed data (health, secrets) under the
    current key."""
    job = enqueue(session, REENCRYPT_JOB, {"after": None}, max_attempts=10)
    record_event(session, event_type="governance.keys_rotated", details={"by": actor})
    session.commit()
    return job.id


def key_ids_in_use(session: Session) -> set[str]:
    """Every key id some stored value is sealed under: health streams, live heart rate,
    TOTP secrets, body metrics, daily health values and alerts, webhook signing secrets. A
    key ring without one of them cannot read that data."""
    counts = [
        health.key_counts(session),
        rides.health_key_counts(session),
        live.health_key_counts(session),
        accounts.totp_key_counts(session),
        accounts.body_metrics_key_counts(session),
        webhooks.secret_key_counts(session),
    ]
    return {key_id for count in counts for key_id in count if key_id}
