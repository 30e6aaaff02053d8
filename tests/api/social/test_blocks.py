"""A block holds on every social path, both ways: no follow, profile, list, ride, kudos,
comment, mention or feed item between the pair."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.events.models import OutboxEvent
from tests.api.social.helpers import Rider, block, follow, names, ride, rider


def _events(client: TestClient, type_: str) -> list[dict[str, Any]]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        rows = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)).all()
        return [dict(row) for row in rows]


def _every_path_refuses(client: TestClient, me: Rider, them: Rider, their_ride: str) -> None:
    """What `me` may not do to or see of `them`: each answers 404 as for a missing object."""
    h = me.headers
    refused = [
        client.get(f"/api/v1/users/{them.id}", headers=h),
        client.get(f"/api/v1/users/{them.id}/followers", headers=h),
        client.get(f"/api/v1/users/{them.id}/following", headers=h),
        client.post(f"/api/v1/users/{them.id}/follow", headers=h),
        client.get(f"/api/v1/rides/{their_ride}", headers=h),
        client.get(f"/api/v1/rides/{their_ride}/streams", headers=h),
        client.get(f"/api/v1/rides/{their_ride}/export?format=gpx", headers=h),
        client.get(f"/api/v1/rides/{their_ride}/kudos", headers=h),
        client.post(f"/api/v1/rides/{their_ride}/kudos", headers=h),
        client.get(f"/api/v1/rides/{their_ride}/comments", headers=h),
        client.post(f"/api/v1/rides/{their_ride}/comments", json={"body": "hi"}, headers=h),
    ]
    wrong = [(a.request.method, a.request.url.path, a.status_code) for a in refused]
    assert [w for w in wrong if w[2] != 404] == []
    feed = client.get("/api/v1/feed", headers=h).json()["items"]
    assert them.id not in {item["owner_id"] for item in feed}


def test_a_block_holds_on_every_social_path_both_ways(client: TestClient) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    annas, bobs, cleos = (ride(client, r) for r in (anna, bob, cleo))
    follow(client, bob, anna)
    follow(client, anna, bob)
    # Before the block, each reacted on Cleo's ride; Anna also on Bob's.
    for who in (anna, bob):
        client.post(f"/api/v1/rides/{cleos}/kudos", headers=who.headers)
        client.post(f"/api/v1/rides/{cleos}/comments", json={"body": who.name}, headers=who.headers)
    annas_comment = client.post(
        f"/api/v1/rides/{bobs}/comments", json={"body": "nice"}, headers=anna.headers
    ).json()["id"]

    block(client, anna, bob)

    _every_path_refuses(client, anna, bob, bobs)
    _every_path_refuses(client, bob, anna, annas)
    # Follows both ways ended, and stay ended after an unblock.
    assert names(client.get(f"/api/v1/users/{cleo.id}/followers", headers=cleo.headers)) == []
    # Each disappears from the other's view of Cleo's ride; Cleo still sees both.
    for me, them in ((anna, bob), (bob, anna)):
        kudos = names(client.get(f"/api/v1/rides/{cleos}/kudos", headers=me.headers))
        comments = client.get(f"/api/v1/rides/{cleos}/comments", headers=me.headers).json()
        assert them.name not in kudos
        assert them.name not in [c["author_name"] for c in comments["items"]]
    assert (
        len(client.get(f"/api/v1/rides/{cleos}/comments", headers=cleo.headers).json()["items"])
        == 2
    )
    # Bob cannot delete, nor reach, Anna's comment on his ride; the ride is hidden from her.
    gone = client.delete(f"/api/v1/comments/{annas_comment}", headers=bob.headers)
    assert gone.status_code == 404
    # A mention of the other tells nobody.
    mentions = len(_events(client, "social.mentioned"))
    client.post(f"/api/v1/rides/{cleos}/comments", json={"body": "@Anna hi"}, headers=bob.headers)
    assert len(_events(client, "social.mentioned")) == mentions
    # The blocker lists the block and may lift it; the follows it ended stay ended.
    assert names(client.get("/api/v1/me/blocks", headers=anna.headers)) == ["Bob"]
    assert client.delete(f"/api/v1/me/blocks/{bob.id}", headers=anna.headers).status_code == 204
    assert client.delete(f"/api/v1/me/blocks/{bob.id}", headers=anna.headers).status_code == 404
    profile = client.get(f"/api/v1/users/{anna.id}", headers=bob.headers).json()
    assert (profile["follow_status"], profile["followers"]) == (None, 0)
    assert client.get(f"/api/v1/rides/{annas}", headers=bob.headers).status_code == 200


def test_a_blocked_rider_can_be_blocked_back_and_blocking_oneself_is_refused(
    client: TestClient,
) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    block(client, anna, bob)
    block(client, bob, anna)  # the block is theirs to make too
    block(client, anna, bob)  # again: nothing changes
    own = client.put(f"/api/v1/me/blocks/{anna.id}", headers=anna.headers)
    assert own.status_code == 422
    assert client.put(f"/api/v1/me/blocks/{bob.id}").status_code == 401
