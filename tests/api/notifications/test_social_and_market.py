"""Social and market events notify the right person through the outbox and the app's
dispatcher: never the actor, never across a block, never an erased rider, never with a
comment's text; the rider's per-type choices apply to the new types too."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.db.base import utcnow
from bikenode.market import payments, service
from bikenode.market import repo as market_repo
from bikenode.market.models import Review
from bikenode.notifications.models import Notification
from tests.api.market.conftest import Market, as_role
from tests.api.social.helpers import Rider, approve_followers, block, follow, ride, rider
from tests.factories import STRONG_PASSWORD

API = "/api/v1/notifications"
SECRET_WORDS = "zz-comment-text-7c1e"


def _deliver(client: TestClient) -> None:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]


def _inbox(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    """The rider's notifications, oldest first, after the outbox is drained."""
    _deliver(client)
    answer = client.get(API, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items[::-1]


def _types(client: TestClient, who: Rider) -> list[str]:
    return [item["type"] for item in _inbox(client, who.headers)]


def test_kudos_tells_the_rides_owner_once_and_never_the_giver(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    assert client.post(f"/api/v1/rides/{ride_id}/kudos", headers=bob.headers).status_code == 200
    [kudos] = _inbox(client, anna.headers)
    assert kudos["type"] == "kudos" and kudos["link"] == f"/rides/{ride_id}"
    assert "Bob" not in kudos["title"] + kudos["text"]
    assert _types(client, bob) == []
    _deliver(client)  # a second round delivers nothing again
    assert len(_inbox(client, anna.headers)) == 1


def test_a_comment_tells_the_owner_without_its_text_and_a_mention_tells_the_named(
    client: TestClient,
) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    follow(client, cleo, bob)  # cleo may be mentioned by bob: she follows him
    ride_id = ride(client, anna)
    body = {"body": f"{SECRET_WORDS} great ride @Cleo"}
    made = client.post(f"/api/v1/rides/{ride_id}/comments", json=body, headers=bob.headers)
    assert made.status_code == 201, made.text
    [comment] = _inbox(client, anna.headers)
    [mention] = _inbox(client, cleo.headers)
    assert (comment["type"], mention["type"]) == ("comment", "mention")
    for item in (comment, mention):
        assert SECRET_WORDS not in str(item) and "Bob" not in str(item)
        assert item["link"] == f"/rides/{ride_id}"
    # The owner's own comment on her ride tells nobody (not even herself).
    mine = {"body": "thanks"}
    client.post(f"/api/v1/rides/{ride_id}/comments", json=mine, headers=anna.headers)
    assert _types(client, anna) == ["comment"]


def test_follows_tell_the_followed_and_an_approval_tells_the_follower(client: TestClient) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    follow(client, bob, anna)  # anna approves nobody: accepted at once
    assert _types(client, anna) == ["new_follower"]
    assert _types(client, bob) == []
    approve_followers(client, cleo)
    assert follow(client, bob, cleo) == "pending"
    [request] = _inbox(client, cleo.headers)
    assert (request["type"], request["link"]) == ("follow_requested", "/follow-requests")
    answer = client.post(f"/api/v1/me/follow-requests/{bob.id}", headers=cleo.headers)
    assert answer.status_code == 204, answer.text
    [accepted] = _inbox(client, bob.headers)
    assert (accepted["type"], accepted["link"]) == ("follow_accepted", "/feed")
    assert _types(client, cleo) == ["follow_requested"]  # she acted: no word of her own act


def test_a_block_either_way_silences_the_other_rider(client: TestClient) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    ride_id = ride(client, anna)
    # A kudos given, then the giver blocked before the outbox is drained: nothing arrives.
    assert client.post(f"/api/v1/rides/{ride_id}/kudos", headers=bob.headers).status_code == 200
    block(client, anna, bob)
    assert _types(client, anna) == []
    # The recipient blocked by the actor: the follow is refused anyway; a kudos from cleo,
    # who blocks anna afterwards, tells anna nothing either.
    assert client.post(f"/api/v1/rides/{ride_id}/kudos", headers=cleo.headers).status_code == 200
    block(client, cleo, anna)
    assert _types(client, anna) == []


def test_an_erased_recipient_is_told_nothing(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    assert client.post(f"/api/v1/rides/{ride_id}/kudos", headers=bob.headers).status_code == 200
    erased = client.post(
        "/api/v1/me/erase",
        json={"password": STRONG_PASSWORD, "confirm": "erase my account"},
        headers=anna.headers,
    )
    assert erased.status_code == 200, erased.text
    _deliver(client)
    app: Any = client.app
    with app.state.session_factory() as db:
        found = db.scalars(select(Notification).where(Notification.user_id == uuid.UUID(anna.id)))
        assert found.all() == []


def test_kudos_e_mail_is_off_by_default_and_each_new_type_can_be_switched(
    client: TestClient,
) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    types = client.get(f"{API}/preferences", headers=anna.headers).json()["types"]
    channels = {item["type"]: item["channels"] for item in types}
    assert channels["kudos"] == {"in_app": True, "email": False, "push": False}
    assert channels["comment"]["email"] is True and channels["quote_received"]["email"] is True
    off = {"choices": [{"type": "kudos", "channel": "in_app", "enabled": False}]}
    assert client.put(f"{API}/preferences", json=off, headers=anna.headers).status_code == 200
    ride_id = ride(client, anna)
    client.post(f"/api/v1/rides/{ride_id}/kudos", headers=bob.headers)
    assert _types(client, anna) == []


def test_the_market_tells_each_side_what_happened_to_the_job(client: TestClient) -> None:
    market = Market(client)
    rider_headers = market.rider
    near, far = as_role(client, "mechanic"), as_role(client, "mechanic")
    job = market.job()
    chosen = market.quote(near, job["id"], 4500)
    market.quote(far, job["id"], 3900)
    market.call(rider_headers, "POST", f"/market/quotes/{chosen['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(near, job["id"], step)
    market.call(rider_headers, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    app: Any = client.app
    with app.state.session_factory() as db:  # an admin's refund has no HTTP route yet
        paid = market_repo.job(db, uuid.UUID(job["id"]))
        assert paid is not None
        payments.refund_job(db, access=service.JobAccess(paid, "admin", None))
    link = f"/market/jobs/{job['id']}"
    rider_items = _inbox(client, rider_headers)
    assert [i["type"] for i in rider_items] == [
        "quote_received",
        "quote_received",
        "job_started",
        "job_completed",
        "payment_received",
        "payment_refunded",
    ]
    assert {i["link"] for i in rider_items} == {link}
    assert not any("45" in i["text"] or "Creaking" in i["text"] for i in rider_items)
    assert [i["type"] for i in _inbox(client, near)] == ["quote_accepted"]
    assert [i["type"] for i in _inbox(client, far)] == ["quote_declined"]


def test_a_job_that_expires_unquoted_tells_its_rider(client: TestClient) -> None:
    market = Market(client)
    job = market.job()
    app: Any = client.app
    with app.state.session_factory() as db:
        later = utcnow() + timedelta(days=60)
        assert service.run_timers(db, job_id=uuid.UUID(job["id"]), now=later) == "expired"
    [expired] = _inbox(client, market.rider)
    assert (expired["type"], expired["link"]) == ("job_expired", f"/market/jobs/{job['id']}")


def test_a_review_tells_the_mechanic_and_a_reply_tells_the_rider_without_their_words(
    client: TestClient,
) -> None:
    market = Market(client)
    mechanic = as_role(client, "mechanic")
    job = market.job()
    quote = market.quote(mechanic, job["id"])
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, job["id"], step)
    market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    market.move(market.rider, job["id"], "review", rating=2, text=SECRET_WORDS)
    link = f"/market/jobs/{job['id']}"
    review = _inbox(client, mechanic)[-1]
    assert (review["type"], review["link"]) == ("review_posted", link)
    assert SECRET_WORDS not in review["text"] and "2" not in review["text"]
    app: Any = client.app
    with app.state.session_factory() as db:
        review_id = db.scalars(select(Review.id).where(Review.job_id == uuid.UUID(job["id"]))).one()
    market.call(mechanic, "POST", f"/market/reviews/{review_id}/reply", {"text": "Sorry"})
    reply = _inbox(client, market.rider)[-1]
    assert (reply["type"], reply["link"]) == ("review_replied", link)
    assert "Sorry" not in reply["text"]
    assert not [i for i in _inbox(client, mechanic) if i["type"] == "review_replied"]
