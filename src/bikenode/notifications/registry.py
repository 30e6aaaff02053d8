"""Which events become notifications, for whom: one small pure function per event type.

A domain that wants its riders told about something adds one entry to ROUTES (social:
follow, kudos, comment, mention; market: quote, accepted, message, payment): a function
from its event to the (recipient, type, params) it means, and, when the recipient is not
the object's owner, `may_see` to ask the owning domain's interface at delivery time whether
the recipient may still see the object (a comment on a ride made private since).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bikenode import accounts, live, market, rides, social, webhooks
from bikenode.bikes import ComponentDue
from bikenode.events import Event
from bikenode.health import AlertRaised

# An alert about a day this long before its event is history being imported, not news.
RECENT_ALERT = timedelta(days=3)
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Intent:
    """Someone to tell something: the recipient, the notification type, ids and enums only."""

    recipient_id: uuid.UUID
    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    # The rider who acted, when one did: nobody hears of a rider they block or are blocked by.
    actor_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Route:
    """How one event type becomes notifications."""

    event: type[Event]
    intents: Callable[[Event, datetime], list[Intent]]  # (event, when it happened)
    # None: every recipient is the object's owner, who may always see it.
    may_see: Callable[[Session, Intent], bool] | None = None
    # Set when the recipients are read from the owning domain (a club's members): then it
    # makes the intents, with a session, instead of `intents`.
    audience: Callable[[Session, Event], list[Intent]] | None = None


def _component_due(event: Event, occurred_at: datetime) -> list[Intent]:
    """The bike's owner hears that a component crossed its warn or due threshold."""
    if not isinstance(event, ComponentDue):
        raise TypeError(f"expected ComponentDue, got {type(event).__name__}")
    params = {"component_id": str(event.component_id), "threshold": event.threshold}
    return [Intent(event.owner_id, "component_due", params)]


def _alert_raised(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider hears of a new health alert about a recent day; its kind is kept for the
    link, and no value or explanation ever leaves health."""
    if not isinstance(event, AlertRaised):
        raise TypeError(f"expected AlertRaised, got {type(event).__name__}")
    if event.day < (occurred_at - RECENT_ALERT).date():
        return []
    return [Intent(event.owner_id, "health_alert", {"alert_id": str(event.alert_id)})]


def _expect(event: Event, kind: type[E]) -> E:
    """The event as the type its route was registered for; TypeError for another."""
    if not isinstance(event, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(event).__name__}")
    return event


def _to(recipient: uuid.UUID, kind: str, params: dict[str, Any], actor: uuid.UUID) -> list[Intent]:
    """One intent, or none when the actor would be told of their own act."""
    return [] if recipient == actor else [Intent(recipient, kind, params, actor)]


def _follow_requested(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider asked to be followed hears of the request (to approve or refuse it)."""
    fact = _expect(event, social.FollowRequested)
    return _to(fact.followee_id, "follow_requested", {}, fact.follower_id)


def _follow_accepted(event: Event, occurred_at: datetime) -> list[Intent]:
    """An approved request is told to the follower; a follow accepted at once, to the
    followed rider as a new follower. Each time the one told is not the one who acted.
    No rider's id is stored with it: their erasure must leave nothing naming them."""
    fact = _expect(event, social.FollowAccepted)
    if fact.by_followee:
        return _to(fact.follower_id, "follow_accepted", {}, fact.followee_id)
    return _to(fact.followee_id, "new_follower", {}, fact.follower_id)


def _kudos_given(event: Event, occurred_at: datetime) -> list[Intent]:
    """The ride's owner hears of a kudos (never their own)."""
    fact = _expect(event, social.KudosGiven)
    params = {"ride_id": str(fact.ride_id)}
    return _to(fact.ride_owner_id, "kudos", params, fact.user_id)


def _comment_added(event: Event, occurred_at: datetime) -> list[Intent]:
    """The ride's owner hears that someone commented; the text stays on the ride."""
    fact = _expect(event, social.CommentAdded)
    params = {"ride_id": str(fact.ride_id), "comment_id": str(fact.comment_id)}
    return _to(fact.ride_owner_id, "comment", params, fact.user_id)


def _mentioned(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider named in a comment hears of it, while they may still see the ride."""
    fact = _expect(event, social.Mentioned)
    params = {"ride_id": str(fact.ride_id), "comment_id": str(fact.comment_id)}
    return _to(fact.mentioned_id, "mention", params, fact.user_id)


def _moderation_action(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider acted on hears what was done and how to appeal. No actor is set: a rider
    who blocks the moderator still hears of it, and nobody who reported is named."""
    fact = _expect(event, social.ModerationActionTaken)
    params = {
        "action_id": str(fact.action_id),
        "kind": fact.kind,
        "object_kind": fact.object_kind,
        "timed": fact.timed,
    }
    return [Intent(fact.user_id, "moderation_action", params)]


def _ride_still_visible(session: Session, intent: Intent) -> bool:
    """Whether the recipient may still see the ride (made private, or a block, since)."""
    ride_id = uuid.UUID(str(intent.params["ride_id"]))
    return rides.ride_visible_to(session, ride_id=ride_id, viewer_id=intent.recipient_id)


def _job_event(kind: str, event_type: type[Event], recipient: str) -> Route:
    """A market event about a job, told to the side it names; only ids leave the market."""

    def intents(event: Event, occurred_at: datetime) -> list[Intent]:
        _expect(event, event_type)
        # Each of these events is ordered by its job: the aggregate field is the job's id.
        params = {"job_id": str(getattr(event, event_type.aggregate))}
        return [Intent(getattr(event, recipient), kind, params)]

    return Route(event_type, intents)


def _crash_suspected(event: Event, occurred_at: datetime) -> list[Intent]:
    """The rider is warned of their own suspected crash; the position stays in live."""
    suspected = _expect(event, live.CrashSuspected)
    params = {"alert_id": str(suspected.alert_id)}
    return [Intent(suspected.owner_id, "crash_suspected", params)]


def _crash_contacts(session: Session, event: Event) -> list[Intent]:
    """Emergency contacts who ride here hear of the alert in the app and by push: the
    accounts whose verified address was mailed (at most live's few contacts), never the
    rider. A contact who blocks the rider is not told here (the e-mail went, by the rider's
    choice, with its opt-out link); a rider's own block of a contact does not stop it, as
    the rider kept them as a contact. No actor: notify() must not drop that pair."""
    fact = _expect(event, live.CrashAlertSent)
    found = accounts.verified_user_ids_by_email(session, set(fact.contacts))
    riders = set(found.values()) - {fact.owner_id}
    riders -= social.blockers_among(session, blocked_id=fact.owner_id, user_ids=riders)
    name = accounts.display_names(session, {fact.owner_id}).get(fact.owner_id)
    params = {
        "alert_id": str(fact.alert_id),
        "rider": name or "A BikeNode rider",
        "stopped_at": fact.stopped_at.isoformat(),
        "lat": fact.lat,
        "lon": fact.lon,
    }
    return [Intent(r, "crash_alert", params) for r in sorted(riders)]


ROUTES: dict[str, Route] = {
    ComponentDue.type: Route(ComponentDue, _component_due),
    AlertRaised.type: Route(AlertRaised, _alert_raised),
    live.CrashSuspected.type: Route(live.CrashSuspected, _crash_suspected),
    social.FollowRequested.type: Route(social.FollowRequested, _follow_requested),
    social.FollowAccepted.type: Route(social.FollowAccepted, _follow_accepted),
    social.KudosGiven.type: Route(social.KudosGiven, _kudos_given),
    social.CommentAdded.type: Route(social.CommentAdded, _comment_added),
    social.Mentioned.type: Route(social.Mentioned, _mentioned, _ride_still_visible),
    social.ModerationActionTaken.type: Route(social.ModerationActionTaken, _moderation_action),
}
# The market's events each name the one person to tell: the rider or the mechanic.
for _kind, _event, _recipient in (
    ("quote_received", market.QuoteReceived, "owner_id"),
    ("quote_accepted", market.QuoteAccepted, "mechanic_id"),
    ("quote_declined", market.QuoteDeclined, "mechanic_id"),
    ("job_started", market.JobStarted, "owner_id"),
    ("job_completed", market.JobCompleted, "owner_id"),
    ("payment_received", market.PaymentSucceeded, "owner_id"),
    ("payment_refunded", market.PaymentRefunded, "owner_id"),
    ("job_expired", market.JobExpired, "owner_id"),
):
    ROUTES[_event.type] = _job_event(_kind, _event, _recipient)


def _review_posted(event: Event, occurred_at: datetime) -> list[Intent]:
    """The reviewed mechanic hears of a review of their work; the stars and text stay on
    their profile."""
    fact = _expect(event, market.ReviewPosted)
    return [Intent(fact.mechanic_id, "review_posted", {"job_id": str(fact.job_id)})]


def _review_replied(event: Event, occurred_at: datetime) -> list[Intent]:
    """The review's author hears that the mechanic replied."""
    fact = _expect(event, market.ReviewReplied)
    params = {"job_id": str(fact.job_id)} if fact.job_id is not None else {}
    return [Intent(fact.rider_id, "review_replied", params)]


ROUTES[market.ReviewPosted.type] = Route(market.ReviewPosted, _review_posted)
ROUTES[market.ReviewReplied.type] = Route(market.ReviewReplied, _review_replied)


def _club_members(
    session: Session,
    event: social.ClubEventCreated | social.ClubPostAdded,
    kind: str,
    object_key: str,
) -> list[Intent]:
    """Every active member but the one who acted (at most the club's member limit);
    removed or departed members are not members, and notify() drops blocked pairs."""
    club_id, actor = event.club_id, event.user_id
    members = social.club_member_ids(session, club_id=club_id, viewer_id=actor) or set()
    params = {"club_id": str(club_id), object_key: str(getattr(event, object_key))}
    return [Intent(m, kind, params, actor) for m in sorted(members) if m != actor]


def _club_ride(session: Session, event: Event) -> list[Intent]:
    """Members hear of a new club ride."""
    return _club_members(session, _expect(event, social.ClubEventCreated), "club_ride", "event_id")


def _club_post(session: Session, event: Event) -> list[Intent]:
    """Members hear of a new post in the club's feed; its text stays in the club."""
    return _club_members(session, _expect(event, social.ClubPostAdded), "club_post", "post_id")


def _club_join_accepted(event: Event, occurred_at: datetime) -> list[Intent]:
    """A rider whose request to join was approved hears of it (not one who joined alone)."""
    fact = _expect(event, social.ClubMemberJoined)
    if fact.via != "approval":
        return []
    return [Intent(fact.user_id, "club_join_accepted", {"club_id": str(fact.club_id)})]


def _still_a_member(session: Session, intent: Intent) -> bool:
    """Whether the recipient is still an active member of the club (not removed, not left)."""
    club_id = uuid.UUID(str(intent.params["club_id"]))
    found = social.club_member_ids(session, club_id=club_id, viewer_id=intent.recipient_id)
    return found is not None


def _by_audience(event: Event, occurred_at: datetime) -> list[Intent]:
    return []  # the route's audience makes them, with a session


for _route in (
    Route(social.ClubEventCreated, _by_audience, _still_a_member, _club_ride),
    Route(social.ClubPostAdded, _by_audience, _still_a_member, _club_post),
    Route(social.ClubMemberJoined, _club_join_accepted, _still_a_member),
):
    ROUTES[_route.event.type] = _route
ROUTES[live.CrashAlertSent.type] = Route(
    live.CrashAlertSent, _by_audience, audience=_crash_contacts
)


def _webhook_disabled(event: Event, occurred_at: datetime) -> list[Intent]:
    """The subscription's owner (the rider, or the app's developer) hears that it was
    switched off and why; the host is theirs to see, the URL's path and the secret stay."""
    fact = _expect(event, webhooks.WebhookDisabled)
    params: dict[str, Any] = {
        "webhook_id": str(fact.subscription_id),
        "app_id": str(fact.app_id) if fact.app_id is not None else None,
        "host": fact.host,
        "reason": fact.reason,
        "failing_since": fact.failing_since.isoformat() if fact.failing_since else None,
        "attempts": fact.attempts,
    }
    return [Intent(fact.owner_id, "webhook_disabled", params)]


ROUTES[webhooks.WebhookDisabled.type] = Route(webhooks.WebhookDisabled, _webhook_disabled)


def intents_of(event: Event, occurred_at: datetime, session: Session | None = None) -> list[Intent]:
    """The notifications an event means; none for a type no route names (nor, without a
    session, for a route whose recipients are read from their domain)."""
    route = ROUTES.get(event.type)
    if route is None:
        return []
    if route.audience is not None:
        return route.audience(session, event) if session is not None else []
    return route.intents(event, occurred_at)


def may_see(session: Session, event_type: str, intent: Intent) -> bool:
    """Whether the recipient may still see the object the notification is about."""
    route = ROUTES.get(event_type)
    if route is None:
        return False
    return route.may_see is None or route.may_see(session, intent)
