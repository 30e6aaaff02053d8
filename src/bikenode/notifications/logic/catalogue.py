"""The kinds of notification, their channels and defaults, and their texts.

A text is made from the type and ids only: it may name the recipient's own kind of thing
("a component of your bike") but never quotes another object's content (a name, a comment),
so a notification cannot leak what its recipient may no longer see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

IN_APP, EMAIL, PUSH = "in_app", "email", "push"
# Push reaches only the devices a rider subscribed; its defaults follow e-mail's.
CHANNELS: tuple[str, ...] = (IN_APP, EMAIL, PUSH)


@dataclass(frozen=True)
class Rendered:
    """What the rider reads: a title, a sentence or two, and where the app shows more."""

    title: str
    text: str
    link: str


@dataclass(frozen=True)
class Kind:
    """A type of notification: its label in settings, defaults per channel, its text."""

    label: str
    defaults: Mapping[str, bool]
    render: Callable[[Mapping[str, Any]], Rendered]


def _component_due(params: Mapping[str, Any]) -> Rendered:
    if params.get("threshold") == "due":
        return Rendered(
            "A component is due for service",
            "A component of one of your bikes has reached its service interval.",
            "/bikes",
        )
    return Rendered(
        "A component is nearly due for service",
        "A component of one of your bikes is close to its service interval.",
        "/bikes",
    )


def _health_alert(params: Mapping[str, Any]) -> Rendered:
    # Health data: the text says that something is unusual, never what or by how much.
    return Rendered(
        "A new health alert",
        "Something in your recent daily health values is unusual. Open Health to see why.",
        "/health",
    )


def _fixed(title: str, text: str, link: str, key: str | None = None) -> Callable[..., Rendered]:
    """A render of a fixed title and text; the link names the object by its id, if any."""

    def render(params: Mapping[str, Any]) -> Rendered:
        return Rendered(title, text, link.format(str(params.get(key, ""))) if key else link)

    return render


_ON = {IN_APP: True, EMAIL: True, PUSH: True}
_APP_ONLY = {IN_APP: True, EMAIL: False, PUSH: False}  # frequent and light: the inbox is spared

# Social: the text never names the rider who acted nor quotes a comment (either may be
# gone or hidden from the recipient by the time they read it), and no rider's id is kept
# (their erasure must leave no row naming them); the link shows what is left.
SOCIAL_KINDS: dict[str, Kind] = {
    "follow_requested": Kind(
        "A rider asks to follow you",
        _ON,
        _fixed("A new follow request", "A rider asked to follow you.", "/follow-requests"),
    ),
    "new_follower": Kind(
        "A rider follows you",
        _APP_ONLY,
        _fixed("A new follower", "A rider now follows you.", "/follow-requests"),
    ),
    "follow_accepted": Kind(
        "A rider accepted your follow request",
        _APP_ONLY,
        _fixed("Follow request accepted", "A rider accepted your request.", "/feed"),
    ),
    "kudos": Kind(
        "Kudos on your ride",
        _APP_ONLY,
        _fixed("New kudos", "A rider gave kudos on one of your rides.", "/rides/{}", "ride_id"),
    ),
    "comment": Kind(
        "A comment on your ride",
        _ON,
        _fixed("A new comment", "A rider commented on one of your rides.", "/rides/{}", "ride_id"),
    ),
    "mention": Kind(
        "A comment mentions you",
        _ON,
        _fixed("You were mentioned", "A rider mentioned you in a comment.", "/rides/{}", "ride_id"),
    ),
}

_APPEAL = "The reason is on your moderation page, where you may appeal once."
_MODERATED = {"ride": "one of your rides", "comment": "one of your comments"}


def _moderation_action(params: Mapping[str, Any]) -> Rendered:
    """What a moderator did and where to appeal; never who reported it, nor the reason
    (it stays on the action, shown to the rider alone)."""
    kind = params.get("kind")
    if kind == "suspend":
        how_long = "for a while" if params.get("timed") else "until a moderator lifts it"
        return Rendered(
            "Your account was suspended",
            f"A moderator suspended your account {how_long}. If you cannot sign in, the "
            "sign-in page shows the reason and lets you appeal once.",
            "/moderation",
        )
    if kind == "hide":
        what = _MODERATED.get(str(params.get("object_kind")), "something of yours")
        return Rendered(
            "A moderator hid something of yours",
            f"A moderator hid {what}: nobody else sees it while the action holds. {_APPEAL}",
            "/moderation",
        )
    return Rendered(
        "A moderator warned you", f"A moderator sent you a warning. {_APPEAL}", "/moderation"
    )


# A rider acted on must hear of it and of the appeal: in the app and by e-mail by default.
MODERATION_KINDS: dict[str, Kind] = {
    "moderation_action": Kind(
        "A moderator acted on your account or content",
        {IN_APP: True, EMAIL: True, PUSH: False},
        _moderation_action,
    ),
}

_CLUB = "/clubs/{}"
# Clubs: a member hears of club life in the app only, unless they ask for more; the text
# names no club, rider or post (the club page shows what the member may still see).
CLUB_KINDS: dict[str, Kind] = {
    "club_ride": Kind(
        "A new ride in one of your clubs",
        _APP_ONLY,
        _fixed(
            "A new club ride", "A member planned a ride in one of your clubs.", _CLUB, "club_id"
        ),
    ),
    "club_post": Kind(
        "A new post in one of your clubs",
        _APP_ONLY,
        _fixed("A new club post", "A member posted in one of your clubs.", _CLUB, "club_id"),
    ),
    "club_join_accepted": Kind(
        "Your request to join a club was accepted",
        _APP_ONLY,
        _fixed(
            "Welcome to the club", "Your request to join a club was accepted.", _CLUB, "club_id"
        ),
    ),
}

_JOB = "/market/jobs/{}"
# Market: what the money and the work on one's bike are doing; no price or title in the text.
MARKET_KINDS: dict[str, Kind] = {
    "quote_received": Kind(
        "A quote on your repair job",
        _ON,
        _fixed("A new quote", "A mechanic sent a quote for your repair job.", _JOB, "job_id"),
    ),
    "quote_accepted": Kind(
        "Your quote was accepted",
        _ON,
        _fixed("Quote accepted", "A rider accepted your quote.", _JOB, "job_id"),
    ),
    "quote_declined": Kind(
        "Your quote was declined",
        _ON,
        _fixed("Quote declined", "The rider chose another quote or cancelled.", _JOB, "job_id"),
    ),
    "job_started": Kind(
        "Work started on your bike",
        _ON,
        _fixed("Work started", "The mechanic started work on your repair job.", _JOB, "job_id"),
    ),
    "job_completed": Kind(
        "Your repair job is done",
        _ON,
        _fixed("Repair done", "The mechanic finished your repair job.", _JOB, "job_id"),
    ),
    "payment_received": Kind(
        "Your payment went through",
        _ON,
        _fixed("Payment received", "Your payment is held until you confirm.", _JOB, "job_id"),
    ),
    "payment_refunded": Kind(
        "Your payment was refunded",
        _ON,
        _fixed("Payment refunded", "Your payment for a repair job was refunded.", _JOB, "job_id"),
    ),
    "job_expired": Kind(
        "Your repair job expired",
        _ON,
        _fixed("Job expired", "Your repair job expired without a quote taken.", _JOB, "job_id"),
    ),
    "review_posted": Kind(
        "A rider reviewed your work",
        _ON,
        _fixed("A new review", "A rider reviewed a repair job you did.", _JOB, "job_id"),
    ),
    "review_replied": Kind(
        "A mechanic replied to your review",
        _ON,
        _fixed("A reply to your review", "The mechanic replied to your review.", _JOB, "job_id"),
    ),
}


def _webhook_disabled(params: Mapping[str, Any]) -> Rendered:
    # The recipient owns the webhook: its host is theirs to read. The path and query (a
    # token may hide there) and the secret never reach a notification.
    host = str(params.get("host") or "your receiver")
    if params.get("reason") == "gone":
        why = "the receiver answered 410 Gone, which asks for no more deliveries"
    else:
        since = str(params.get("failing_since") or "")[:16].replace("T", " ")
        why = (
            f"every delivery failed since {since} UTC "
            f"after {int(params.get('attempts') or 0)} attempts in a row"
        )
    if params.get("app_id"):
        link = f"/settings/apps?app={params['app_id']}"
    else:
        link = f"/settings/webhooks?webhook={params.get('webhook_id', '')}"
    text = (
        f"Your webhook to {host} was disabled: {why}. Its delivery log shows the answers; "
        "fix the receiver, then enable the webhook again."
    )
    return Rendered(f"A webhook to {host} was disabled", text, link)


def _crash_alert(params: Mapping[str, Any]) -> Rendered:
    # Unlike other kinds it names the rider and where they are: they chose this person to be
    # told exactly that, and the same went by e-mail (the map link is the e-mail's).
    rider = str(params.get("rider") or "A BikeNode rider")
    lat, lon = float(params.get("lat", 0.0)), float(params.get("lon", 0.0))
    when = str(params.get("stopped_at", ""))[:16].replace("T", " ")
    text = (
        f"{rider} may have crashed: their phone stopped hard at {when} UTC and has not moved "
        f"since. Last position {lat:.6f}, {lon:.6f}. Try to call them; if you cannot reach "
        "them, call the emergency services."
    )
    link = (
        f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}"
    )
    return Rendered(f"Possible crash: {rider} may need help", text, link)


KINDS: dict[str, Kind] = {
    "component_due": Kind(
        "A component of your bike is due for service",
        _ON,
        _component_due,
    ),
    # Off by e-mail until the rider asks: an inbox is a less private place than the app.
    "health_alert": Kind(
        "A new alert on your daily health values",
        _APP_ONLY,
        _health_alert,
    ),
    # The rider's warning during a live ride: push reaches the phone they ride with.
    "crash_suspected": Kind(
        "A possible crash during your live ride (you may cancel the alert)",
        {IN_APP: True, EMAIL: False, PUSH: True},
        _fixed(
            "Are you all right?",
            "Your ride stopped hard and you have not moved since. Cancel the alert now, or "
            "your emergency contacts will be told where you are.",
            "/live?crash={}",  # the alert id: the app may offer to cancel it
            "alert_id",
        ),
    ),
    # A contact who rides here hears of a rider's crash alert; the e-mail went already.
    "crash_alert": Kind(
        "A rider who chose you as emergency contact may have crashed",
        {IN_APP: True, EMAIL: False, PUSH: True},
        _crash_alert,
    ),
    **SOCIAL_KINDS,
    **MARKET_KINDS,
    **MODERATION_KINDS,
    **CLUB_KINDS,
    # Programs stopped hearing from BikeNode: worth a mail; a phone push would be noise.
    "webhook_disabled": Kind(
        "Your webhook was disabled after failing",
        {IN_APP: True, EMAIL: True, PUSH: False},
        _webhook_disabled,
    ),
}


class UnknownKind(ValueError):
    """A type or channel that is not in the catalogue."""


def render(kind: str, params: Mapping[str, Any]) -> Rendered:
    """The title, text and link of a notification of this kind."""
    if kind not in KINDS:
        raise UnknownKind(f"expected a notification type among {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind].render(params)


def effective(kind: str, channel: str, chosen: Mapping[tuple[str, str], bool]) -> bool:
    """Whether the rider gets this kind on this channel: their choice, else the default."""
    if kind not in KINDS or channel not in CHANNELS:
        raise UnknownKind(
            f"expected a type among {sorted(KINDS)} and a channel among "
            f"{list(CHANNELS)}, got {kind!r} on {channel!r}"
        )
    return chosen.get((kind, channel), KINDS[kind].defaults.get(channel, False))
