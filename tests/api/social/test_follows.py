"""Follows with automatic or manual approval, unfollow, remove a follower, and the lists."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from tests.api.social.helpers import approve_followers, follow, names, rider


def test_a_follow_is_accepted_at_once_unless_the_rider_approves_followers(
    client: TestClient,
) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    assert follow(client, bob, anna) == "accepted"
    assert follow(client, bob, anna) == "accepted"  # again: nothing changes
    approve_followers(client, cleo)
    assert follow(client, bob, cleo) == "pending"
    assert names(client.get("/api/v1/me/follow-requests", headers=cleo.headers)) == ["Bob"]
    profile = client.get(f"/api/v1/users/{cleo.id}", headers=bob.headers).json()
    assert (profile["follow_status"], profile["followers"], profile["lists_visible"]) == (
        "pending",
        0,
        False,
    )
    approved = client.post(f"/api/v1/me/follow-requests/{bob.id}", headers=cleo.headers)
    assert approved.status_code == 204
    assert client.get("/api/v1/me/follow-requests", headers=cleo.headers).json()["items"] == []
    profile = client.get(f"/api/v1/users/{cleo.id}", headers=bob.headers).json()
    assert (profile["follow_status"], profile["followers"]) == ("accepted", 1)
    assert names(client.get(f"/api/v1/users/{bob.id}/following", headers=bob.headers)) == [
        "Cleo",
        "Anna",
    ]


def test_a_declined_request_and_a_removed_follower_end_the_follow(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    approve_followers(client, anna)
    follow(client, bob, anna)
    assert (
        client.delete(f"/api/v1/me/follow-requests/{bob.id}", headers=anna.headers).status_code
        == 204
    )
    assert (
        client.get(f"/api/v1/users/{anna.id}", headers=bob.headers).json()["follow_status"] is None
    )
    again = client.delete(f"/api/v1/me/follow-requests/{bob.id}", headers=anna.headers)
    assert again.status_code == 404
    approve_followers(client, anna, on=False)
    assert follow(client, bob, anna) == "accepted"
    removed = client.delete(f"/api/v1/me/followers/{bob.id}", headers=anna.headers)
    assert removed.status_code == 204
    assert names(client.get(f"/api/v1/users/{anna.id}/followers", headers=anna.headers)) == []
    assert client.delete(f"/api/v1/me/followers/{bob.id}", headers=anna.headers).status_code == 404


def test_turning_approval_off_approves_the_waiting_requests(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    approve_followers(client, anna)
    follow(client, bob, anna)
    approve_followers(client, anna, on=False)
    assert names(client.get(f"/api/v1/users/{anna.id}/followers", headers=anna.headers)) == ["Bob"]


def test_unfollow_ends_a_follow_or_withdraws_a_request(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    follow(client, bob, anna)
    assert client.delete(f"/api/v1/users/{anna.id}/follow", headers=bob.headers).status_code == 204
    assert client.get(f"/api/v1/users/{anna.id}", headers=bob.headers).json()["followers"] == 0
    assert client.delete(f"/api/v1/users/{anna.id}/follow", headers=bob.headers).status_code == 204


def test_lists_of_a_rider_who_approves_followers_are_for_approved_followers_only(
    client: TestClient,
) -> None:
    anna, bob, eve = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Eve")
    approve_followers(client, anna)
    follow(client, bob, anna)
    client.post(f"/api/v1/me/follow-requests/{bob.id}", headers=anna.headers)
    for path in ("followers", "following"):
        url = f"/api/v1/users/{anna.id}/{path}"
        assert client.get(url, headers=eve.headers).status_code == 404
        assert client.get(url, headers=bob.headers).status_code == 200
        assert client.get(url, headers=anna.headers).status_code == 200
        assert client.get(url).status_code == 401
    assert names(client.get(f"/api/v1/users/{anna.id}/followers", headers=bob.headers)) == ["Bob"]
    # A rider who lets anyone follow shows the lists to any signed-in rider.
    assert client.get(f"/api/v1/users/{bob.id}/following", headers=eve.headers).status_code == 200


def test_following_oneself_or_nobody_is_refused(client: TestClient) -> None:
    anna = rider(client, "Anna")
    own = client.post(f"/api/v1/users/{anna.id}/follow", headers=anna.headers)
    assert own.status_code == 422 and "your own" in own.json()["detail"]
    nobody = client.post(f"/api/v1/users/{uuid.uuid4()}/follow", headers=anna.headers)
    assert nobody.status_code == 404
    assert client.post(f"/api/v1/users/{anna.id}/follow").status_code == 401
    bad = client.put("/api/v1/me/social", json={"approve_followers": "yes"}, headers=anna.headers)
    assert bad.status_code == 422
