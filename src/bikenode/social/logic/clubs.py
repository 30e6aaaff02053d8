"""Pure rules of clubs: texts, approximate places, roles, ISO weeks, invite tokens, rankings.

Plain values in, plain values out; the club services call these and store what they return.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from bikenode.social.logic.rules import CommentRejected, clean_comment

MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 2000
MAX_POST_CHARS = 2000
MAX_TITLE_CHARS = 120
MAX_PLACE_CHARS = 120
# Two decimals of a degree: at most ~1.1 km north-south, less east-west. A club or a meeting
# point is told as a neighbourhood, never a doorstep.
PLACE_DECIMALS = 2
LATEST_YEAR = 2100  # an event past this is a typo, not a plan

Role = Literal["owner", "admin", "member"]
Rsvp = Literal["going", "maybe", "no"]
Board = Literal["distance", "time", "elevation"]
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class ClubRuleBroken(ValueError):
    """A club's input breaks a rule; the message says which."""


def clean_text(text: str, *, limit: int, what: str) -> str:
    """The text as stored: the comment rules (NFC, trimmed, no control characters, not
    empty), at most `limit` characters; ClubRuleBroken otherwise."""
    try:
        cleaned = clean_comment(text)
    except CommentRejected as error:
        raise ClubRuleBroken(str(error).replace("a comment", f"a {what}")) from None
    if len(cleaned) > limit:
        raise ClubRuleBroken(f"expected a {what} of at most {limit} characters, got {len(cleaned)}")
    return cleaned


def clean_optional(text: str | None, *, limit: int, what: str) -> str | None:
    """None or blank stays None; other text as clean_text."""
    if text is None or not text.strip():
        return None
    return clean_text(text, limit=limit, what=what)


def approximate(lat_deg: float | None, lon_deg: float | None) -> tuple[float, float] | None:
    """The point rounded to PLACE_DECIMALS (about 1 km), or None when neither is given;
    ClubRuleBroken for one without the other or a point off the globe."""
    if lat_deg is None and lon_deg is None:
        return None
    if lat_deg is None or lon_deg is None:
        raise ClubRuleBroken("expected both lat_deg and lon_deg, or neither")
    if not (-90 <= lat_deg <= 90 and -180 <= lon_deg <= 180):
        raise ClubRuleBroken(f"expected a point on the globe, got ({lat_deg}, {lon_deg})")
    return round(lat_deg, PLACE_DECIMALS), round(lon_deg, PLACE_DECIMALS)


def check_start(starts_at: datetime) -> datetime:
    """The event's start in UTC; ClubRuleBroken for a naive time or a year past 2100."""
    if starts_at.tzinfo is None or starts_at.utcoffset() is None:
        raise ClubRuleBroken("expected a start time with a timezone, got a naive one")
    if starts_at.year > LATEST_YEAR:
        raise ClubRuleBroken(f"expected a start no later than {LATEST_YEAR}, got {starts_at.year}")
    return starts_at.astimezone(UTC)


def can_manage(role: str | None) -> bool:
    """Whether a member of this role edits the club, answers requests and removes members."""
    return role in ("owner", "admin")


def can_remove(actor: str, target: str) -> bool:
    """Whether `actor` may remove a member of role `target`: the owner anyone but themselves,
    an admin plain members only."""
    if target == "owner":
        return False
    return actor == "owner" or (actor == "admin" and target == "member")


def successor(members: Sequence[tuple[uuid.UUID, str, datetime]]) -> uuid.UUID | None:
    """Who takes over a club from a leaving owner: the longest-standing admin, else the
    longest-standing member (by joined time), else None. Members as (id, role, joined_at)."""
    for role in ("admin", "member"):
        found = sorted((joined, str(i), i) for i, r, joined in members if r == role)
        if found:
            return found[0][2]
    return None


def iso_week(text: str | None, *, today: date) -> tuple[datetime, datetime, str]:
    """The ISO week "2026-W49" as [start, end) in UTC and its label; this week for None.
    ClubRuleBroken for another form or a week the year does not have."""
    if text is None:
        year, week, _ = today.isocalendar()
    else:
        match = _WEEK.match(text)
        if match is None:
            raise ClubRuleBroken(f"expected a week like 2026-W49, got {text!r}")
        year, week = int(match[1]), int(match[2])
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ClubRuleBroken(f"expected a week the year {year} has, got week {week}") from None
    start = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return start, start + timedelta(days=7), f"{year}-W{week:02d}"


@dataclass(frozen=True)
class RiderWeek:
    """One member's figures for the week: rides, metres, seconds moving, metres climbed."""

    user_id: uuid.UUID
    rides: int
    distance_m: float
    moving_time_s: float
    elevation_gain_m: float


_BOARD_KEY = {"distance": "distance_m", "time": "moving_time_s", "elevation": "elevation_gain_m"}


def rank(weeks: Sequence[RiderWeek], *, by: Board) -> list[RiderWeek]:
    """Members with at least one ride, best first by the board's figure; ties by more rides,
    then by id so the order is stable."""
    key = _BOARD_KEY[by]
    riders = [w for w in weeks if w.rides > 0]
    return sorted(riders, key=lambda w: (-getattr(w, key), -w.rides, str(w.user_id)))


def totals(weeks: Sequence[RiderWeek]) -> tuple[int, float, float, float]:
    """The club's (rides, metres, seconds, metres climbed) for the week."""
    return (
        sum(w.rides for w in weeks),
        sum(w.distance_m for w in weeks),
        sum(w.moving_time_s for w in weeks),
        sum(w.elevation_gain_m for w in weeks),
    )


class BadInvite(ValueError):
    """An invite token that is malformed, forged or expired."""


def _signature(secret: str, message: str) -> str:
    key = hashlib.sha256(b"bikenode club invite:" + secret.encode()).digest()
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign_invite(secret: str, *, invite_id: uuid.UUID, expires_at: datetime) -> str:
    """The token of an invite: its id and expiry, signed (the row says if it is revoked)."""
    message = f"{invite_id.hex}.{int(expires_at.timestamp())}"
    return f"{message}.{_signature(secret, message)}"


def read_invite(secret: str, token: str, *, now: datetime) -> uuid.UUID:
    """The invite id a token names; BadInvite if it is malformed, forged or expired."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        raise BadInvite("expected an invite token of three parts, got another form")
    id_hex, expiry, signature = parts
    if not hmac.compare_digest(signature, _signature(secret, f"{id_hex}.{expiry}")):
        raise BadInvite("this invite link is not valid")
    if int(expiry) <= now.timestamp():
        raise BadInvite("this invite link has expired")
    try:
        return uuid.UUID(hex=id_hex)
    except ValueError:
        raise BadInvite("this invite link is not valid") from None
