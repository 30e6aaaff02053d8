"""Pure rules of follows, comments and mentions: plain values in, plain values out."""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

MAX_COMMENT_CHARS = 2000
MAX_MENTIONS = 10  # per comment: more is spam, and each one notifies someone
# A mention is @ then a name without spaces, not glued to a word before it (an e-mail).
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_.\-]{1,50})")

FollowStatus = Literal["pending", "accepted"]


class CommentRejected(ValueError):
    """A comment's text breaks a rule; the message says which."""


def follow_status(*, approve_followers: bool) -> FollowStatus:
    """A new follow's status: "pending" when the rider approves followers, else "accepted"."""
    return "pending" if approve_followers else "accepted"


def clean_comment(text: str) -> str:
    """The comment text as stored: NFC, trimmed, control characters refused (newlines and
    tabs kept); CommentRejected when empty or over MAX_COMMENT_CHARS characters."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    if not cleaned:
        raise CommentRejected("expected a comment of at least 1 character, got an empty one")
    if len(cleaned) > MAX_COMMENT_CHARS:
        raise CommentRejected(
            f"expected a comment of at most {MAX_COMMENT_CHARS} characters, got {len(cleaned)}"
        )
    bad = [c for c in cleaned if unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\t"]
    if bad:
        raise CommentRejected(f"expected printable text, got control character {ord(bad[0]):#x}")
    return cleaned


def mention_key(name: str) -> str:
    """How a display name is written after @: spaces dropped, case folded ("Anna Li" ->
    "annali")."""
    return "".join(unicodedata.normalize("NFC", name).split()).casefold()


def parse_mentions(text: str) -> list[str]:
    """The distinct @names in the text as mention keys, in order of first use, at most
    MAX_MENTIONS ("hi @Anna and @anna, @bob." -> ["anna", "bob"]). A trailing dot ends
    the name."""
    found: list[str] = []
    for match in _MENTION.finditer(text):
        key = mention_key(match.group(1).rstrip(".-"))
        if key and key not in found:
            found.append(key)
        if len(found) == MAX_MENTIONS:
            break
    return found


MAX_REASON_CHARS = 500
REPORT_KINDS = ("user", "ride", "comment")


def clean_reason(text: str) -> str:
    """A report's or a moderator's reason as stored: the comment rules, at most
    MAX_REASON_CHARS characters; CommentRejected otherwise."""
    cleaned = clean_comment(text)
    if len(cleaned) > MAX_REASON_CHARS:
        raise CommentRejected(
            f"expected a reason of at most {MAX_REASON_CHARS} characters, got {len(cleaned)}"
        )
    return cleaned


def within_rate(recent: int, *, limit: int) -> bool:
    """True while a rider's recent count (comments, reports) leaves room for one more."""
    return recent < limit


MAX_APPEAL_CHARS = 2000
ACTION_KINDS = ("dismiss", "hide", "warn", "suspend")
MAX_SUSPENSION_DAYS = 3650  # longer than ten years is "for good": say so with no end


def check_action(kind: str, object_kind: str, timed: bool) -> None:
    """CommentRejected unless the action fits its object: hide takes a ride or a comment,
    and only a suspension may carry an end date."""
    if kind == "hide" and object_kind not in ("ride", "comment"):
        raise CommentRejected(f"expected a ride or a comment to hide, got a {object_kind}")
    if timed and kind != "suspend":
        raise CommentRejected(f"expected no end date for a {kind}, got one")


def clean_appeal(text: str) -> str:
    """An appeal's text as stored: the comment rules, at most MAX_APPEAL_CHARS characters."""
    return clean_comment(text)  # MAX_COMMENT_CHARS is the same 2,000
