"""The registry's social and market entries: who is told what, never the actor, texts that
quote nothing, and a wire enum that lists every type of the catalogue."""

from __future__ import annotations

import typing
import uuid
from datetime import UTC, datetime

import pytest

from bikenode import market, social
from bikenode.events import Event
from bikenode.notifications.logic.catalogue import EMAIL, IN_APP, KINDS, effective, render
from bikenode.notifications.registry import ROUTES, Intent, intents_of
from bikenode.notifications.schemas import Kind

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
# Fixed ids: they name parametrised cases, which must be the same in every test worker.
A, B, RIDE, JOB, OTHER = (uuid.UUID(int=n) for n in range(1, 6))


def test_the_wire_enum_names_every_catalogue_type_and_every_route_kind_is_in_it() -> None:
    assert set(typing.get_args(Kind)) == set(KINDS)


@pytest.mark.parametrize(
    ("event", "told", "kind", "link"),
    [
        (
            social.FollowRequested(follower_id=A, followee_id=B),
            B,
            "follow_requested",
            "/follow-requests",
        ),
        (
            social.FollowAccepted(follower_id=A, followee_id=B),
            B,
            "new_follower",
            "/follow-requests",
        ),
        (
            social.FollowAccepted(follower_id=A, followee_id=B, by_followee=True),
            A,
            "follow_accepted",
            "/feed",
        ),
        (social.KudosGiven(ride_id=RIDE, user_id=A, ride_owner_id=B), B, "kudos", f"/rides/{RIDE}"),
        (
            social.CommentAdded(comment_id=OTHER, ride_id=RIDE, user_id=A, ride_owner_id=B),
            B,
            "comment",
            f"/rides/{RIDE}",
        ),
        (
            social.Mentioned(comment_id=OTHER, ride_id=RIDE, user_id=A, mentioned_id=B),
            B,
            "mention",
            f"/rides/{RIDE}",
        ),
        (market.QuoteReceived(JOB, OTHER, B, 4500, "EUR"), B, "quote_received", None),
        (market.QuoteAccepted(JOB, OTHER, B), B, "quote_accepted", None),
        (market.QuoteDeclined(JOB, OTHER, B), B, "quote_declined", None),
        (market.JobStarted(JOB, B), B, "job_started", None),
        (market.PaymentSucceeded(JOB, OTHER, B, 4500, "EUR"), B, "payment_received", None),
        (market.PaymentRefunded(JOB, OTHER, B, 4500, "EUR"), B, "payment_refunded", None),
        (market.JobExpired(JOB, B), B, "job_expired", None),
    ],
)
def test_each_event_tells_one_person_with_a_link_and_no_content(
    event: Event, told: uuid.UUID, kind: str, link: str | None
) -> None:
    [intent] = intents_of(event, NOW)
    assert (intent.recipient_id, intent.kind) == (told, kind)
    shown = render(intent.kind, intent.params)
    expected = link or (f"/market/jobs/{JOB}" if event.type.startswith("market.") else "/")
    assert shown.link == expected
    assert "4500" not in shown.text and "45" not in shown.text
    stored = str(intent.params) + shown.link + shown.text
    assert str(A) not in stored and str(B) not in stored  # no rider's id is ever kept
    assert event.type in ROUTES


@pytest.mark.parametrize(
    "event",
    [
        social.KudosGiven(ride_id=RIDE, user_id=A, ride_owner_id=A),
        social.CommentAdded(comment_id=OTHER, ride_id=RIDE, user_id=A, ride_owner_id=A),
        social.Mentioned(comment_id=OTHER, ride_id=RIDE, user_id=A, mentioned_id=A),
    ],
)
def test_nobody_is_told_of_their_own_act(event: Event) -> None:
    assert intents_of(event, NOW) == []


def test_social_intents_name_their_actor_for_the_block_check() -> None:
    [intent] = intents_of(social.KudosGiven(ride_id=RIDE, user_id=A, ride_owner_id=B), NOW)
    assert intent == Intent(B, "kudos", {"ride_id": str(RIDE)}, A)


def test_kudos_and_follows_spare_the_inbox_by_default_money_and_comments_do_not() -> None:
    for kind in ("kudos", "new_follower", "follow_accepted"):
        assert effective(kind, IN_APP, {}) and not effective(kind, EMAIL, {})
    for kind in ("comment", "mention", "quote_received", "payment_refunded", "job_expired"):
        assert effective(kind, IN_APP, {}) and effective(kind, EMAIL, {})
    assert not effective("kudos", IN_APP, {("kudos", IN_APP): False})


def test_a_route_refuses_an_event_of_another_type() -> None:
    with pytest.raises(TypeError, match="expected KudosGiven"):
        ROUTES[social.KudosGiven.type].intents(market.JobStarted(JOB, B), NOW)


@pytest.mark.parametrize(
    ("kind", "object_kind", "timed", "title", "says"),
    [
        ("hide", "ride", False, "A moderator hid something of yours", "one of your rides"),
        ("hide", "comment", False, "A moderator hid something of yours", "one of your comments"),
        ("warn", "user", False, "A moderator warned you", "appeal once"),
        ("suspend", "user", True, "Your account was suspended", "for a while"),
        ("suspend", "user", False, "Your account was suspended", "until a moderator lifts it"),
    ],
)
def test_a_moderation_action_tells_the_rider_acted_on_and_names_nobody(
    kind: str, object_kind: str, timed: bool, title: str, says: str
) -> None:
    event = social.ModerationActionTaken(
        action_id=OTHER, user_id=A, kind=kind, object_kind=object_kind, timed=timed
    )
    [intent] = intents_of(event, NOW)
    assert (intent.recipient_id, intent.kind, intent.actor_id) == (A, "moderation_action", None)
    shown = render(intent.kind, intent.params)
    assert (shown.title, shown.link) == (title, "/moderation")
    assert says in shown.text and "appeal" in shown.text
    assert effective("moderation_action", EMAIL, {}) and effective("moderation_action", IN_APP, {})
