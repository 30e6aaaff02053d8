"""Kudos and comments on rides the rider may see, their events, and the feed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bikenode.events.models import OutboxEvent
from bikenode.social.models import Comment, Kudos
from tests.api.social.helpers import approve_followers, follow, ride, rider


def _events(client: TestClient, type_: str) -> list[dict[str, Any]]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        rows = db.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)).all()
        return [dict(row) for row in rows]


def test_kudos_once_per_rider_revocable_never_on_ones_own_ride(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    url = f"/api/v1/rides/{ride_id}/kudos"
    for _ in range(2):
        given = client.post(url, headers=bob.headers)
        assert given.status_code == 200, given.text
        assert (given.json()["count"], given.json()["given"]) == (1, True)
    assert _events(client, "social.kudos_given") == [
        {"ride_id": ride_id, "user_id": bob.id, "ride_owner_id": anna.id}
    ]
    assert client.post(url, headers=anna.headers).status_code == 422
    assert client.get(url).json()["items"] == [{"id": bob.id, "display_name": "Bob"}]
    assert client.post(url).status_code == 401
    assert client.delete(url, headers=bob.headers).status_code == 204
    assert client.get(url, headers=bob.headers).json() == {"count": 0, "given": False, "items": []}


def test_comments_are_plain_text_with_limits_deleted_by_author_or_ride_owner(
    client: TestClient,
) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    ride_id = ride(client, anna)
    url = f"/api/v1/rides/{ride_id}/comments"
    posted = client.post(url, json={"body": "  <b>Chapeau</b>\n"}, headers=bob.headers)
    assert posted.status_code == 201, posted.text
    comment = posted.json()
    assert (comment["body"], comment["author_name"], comment["deletable"]) == (
        "<b>Chapeau</b>",
        "Bob",
        True,
    )
    listed = client.get(url, headers=cleo.headers).json()["items"]
    assert [(c["body"], c["deletable"]) for c in listed] == [("<b>Chapeau</b>", False)]
    assert client.get(url, headers=anna.headers).json()["items"][0]["deletable"] is True
    assert _events(client, "social.comment_added") == [
        {
            "comment_id": comment["id"],
            "ride_id": ride_id,
            "user_id": bob.id,
            "ride_owner_id": anna.id,
        }
    ]
    refused = client.delete(f"/api/v1/comments/{comment['id']}", headers=cleo.headers)
    assert refused.status_code == 403
    assert (
        client.delete(f"/api/v1/comments/{comment['id']}", headers=anna.headers).status_code == 204
    )
    own = client.post(url, json={"body": "mine"}, headers=bob.headers).json()
    assert client.delete(f"/api/v1/comments/{own['id']}", headers=bob.headers).status_code == 204
    assert client.get(url, headers=anna.headers).json()["items"] == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("   ", "at least 1 character"),
        ("x" * 2001, "at most 2000 characters, got 2001"),
        ("bell \x07", "control character 0x7"),
        ("x" * 100_000, "4000"),
        (12, "string"),
    ],
)
def test_a_comment_out_of_bounds_is_refused_clearly(
    client: TestClient, body: Any, expected: str
) -> None:
    anna = rider(client, "Anna")
    ride_id = ride(client, anna)
    answer = client.post(
        f"/api/v1/rides/{ride_id}/comments", json={"body": body}, headers=anna.headers
    )
    assert answer.status_code == 422
    assert expected in str(answer.json()["detail"])
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert db.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_mention_tells_a_rider_near_the_ride_who_may_see_it(client: TestClient) -> None:
    anna, bob = rider(client, "Anna Li"), rider(client, "Bob")
    cleo, _dan = rider(client, "Cleo"), rider(client, "Dan")
    follow(client, bob, cleo)  # Cleo is near Bob; Dan is nobody's
    public, followers_only = ride(client, anna), ride(client, anna, "followers")
    follow(client, bob, anna)
    text = {"body": "with @AnnaLi, @cleo and @Dan and me@example.org"}
    comment = client.post(f"/api/v1/rides/{public}/comments", json=text, headers=bob.headers)
    told = {e["mentioned_id"] for e in _events(client, "social.mentioned")}
    assert told == {anna.id, cleo.id}
    assert all(e["comment_id"] == comment.json()["id"] for e in _events(client, "social.mentioned"))
    # Cleo does not follow Anna: a mention on a followers-only ride does not tell her.
    client.post(f"/api/v1/rides/{followers_only}/comments", json=text, headers=bob.headers)
    assert len(_events(client, "social.mentioned")) == 3


def test_follow_events_name_both_riders(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    approve_followers(client, anna)
    follow(client, bob, anna)
    assert _events(client, "social.follow_requested") == [
        {"follower_id": bob.id, "followee_id": anna.id}
    ]
    assert _events(client, "social.follow_accepted") == []
    client.post(f"/api/v1/me/follow-requests/{bob.id}", headers=anna.headers)
    assert _events(client, "social.follow_accepted") == [
        {"follower_id": bob.id, "followee_id": anna.id, "by_followee": True}
    ]


def test_a_deleted_ride_takes_its_kudos_and_comments_along(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    client.post(f"/api/v1/rides/{ride_id}/kudos", headers=bob.headers)
    client.post(f"/api/v1/rides/{ride_id}/comments", json={"body": "hi"}, headers=bob.headers)
    assert client.delete(f"/api/v1/rides/{ride_id}", headers=anna.headers).status_code == 204
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert db.scalar(select(func.count()).select_from(Kudos)) == 0
        assert db.scalar(select(func.count()).select_from(Comment)) == 0
