"""A club ride with a live group ride: opened with it by the member who plans it, joined by
the members going; members-only rides (and their group rides) stay with the members."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.social.helpers import Rider, rider
from tests.api.social.test_clubs import club, join

SATURDAY = "2030-06-01T08:00:00+02:00"


def _plan(client: TestClient, who: Rider, club_id: str, **fields: Any) -> dict[str, Any]:
    body = {"title": "Lake loop", "starts_at": SATURDAY, **fields}
    answer = client.post(f"/api/v1/clubs/{club_id}/events", json=body, headers=who.headers)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def _titles(client: TestClient, club_id: str, who: Rider | None) -> list[str]:
    headers = who.headers if who else {}
    answer = client.get(f"/api/v1/clubs/{club_id}/events", headers=headers)
    assert answer.status_code == 200, answer.text
    return [e["title"] for e in answer.json()["items"]]


def test_a_club_ride_opens_a_live_group_ride_that_riders_going_join(client: TestClient) -> None:
    owner, member, stranger = rider(client, "Olga"), rider(client, "Max"), rider(client, "Sam")
    made = club(client, owner)
    join(client, member, made["id"])
    public = _plan(client, owner, made["id"], live=True)
    closed = _plan(client, owner, made["id"], title="Members' loop", live=True, members_only=True)
    plain = _plan(client, owner, made["id"], title="No tracking")
    assert plain["live_group_id"] is None and public["members_only"] is False
    group = f"/api/v1/live/groups/{public['live_group_id']}"
    shown = client.get(group, headers=stranger.headers)
    assert shown.status_code == 200 and shown.json()["name"] == "Lake loop"  # public club ride
    members_group = f"/api/v1/live/groups/{closed['live_group_id']}"
    assert client.get(members_group, headers=member.headers).status_code == 404  # not going yet
    rsvp = f"/api/v1/clubs/{made['id']}/events/{closed['id']}/rsvp"
    assert client.put(rsvp, json={"answer": "maybe"}, headers=member.headers).status_code == 200
    assert client.get(members_group, headers=member.headers).status_code == 404
    assert client.put(rsvp, json={"answer": "going"}, headers=member.headers).status_code == 200
    assert client.get(members_group, headers=member.headers).status_code == 200
    assert client.put(rsvp, json={"answer": "going"}, headers=member.headers).status_code == 200
    assert client.get(members_group, headers=stranger.headers).status_code == 404
    assert client.get(members_group).status_code == 401


def test_members_only_club_rides_are_listed_to_members_alone(client: TestClient) -> None:
    owner, member, stranger = rider(client, "Olga"), rider(client, "Max"), rider(client, "Sam")
    made = club(client, owner)
    join(client, member, made["id"])
    _plan(client, owner, made["id"], title="Open loop")
    later = "2030-06-02T08:00:00+02:00"  # listed soonest first
    _plan(
        client,
        member,
        made["id"],
        title="Members' loop",
        starts_at=later,
        members_only=True,
        live=True,
    )
    assert _titles(client, made["id"], member) == ["Open loop", "Members' loop"]
    assert _titles(client, made["id"], owner) == ["Open loop", "Members' loop"]
    assert _titles(client, made["id"], stranger) == ["Open loop"]
    assert _titles(client, made["id"], None) == ["Open loop"]
    left = client.delete(f"/api/v1/clubs/{made['id']}/membership", headers=member.headers)
    assert left.status_code == 204
    assert _titles(client, made["id"], member) == ["Open loop"]


def test_a_private_clubs_live_ride_is_private(client: TestClient) -> None:
    owner, stranger = rider(client, "Olga"), rider(client, "Sam")
    made = club(client, owner, private=True)
    planned = _plan(client, owner, made["id"], live=True)
    group = f"/api/v1/live/groups/{planned['live_group_id']}"
    assert client.get(group, headers=owner.headers).status_code == 200
    assert client.get(group, headers=stranger.headers).status_code == 404


def _event(client: TestClient, club_id: str, event_id: str, who: Rider) -> dict[str, Any]:
    listed = client.get(f"/api/v1/clubs/{club_id}/events", headers=who.headers).json()["items"]
    found: dict[str, Any] = next(e for e in listed if e["id"] == event_id)
    return found


def test_a_rider_no_longer_going_or_gone_from_the_club_leaves_its_live_group_ride(
    client: TestClient,
) -> None:
    owner, member = rider(client, "Olga"), rider(client, "Max")
    made = club(client, owner)
    join(client, member, made["id"])
    closed = _plan(client, owner, made["id"], title="Members' loop", live=True, members_only=True)
    group = f"/api/v1/live/groups/{closed['live_group_id']}"
    rsvp = f"/api/v1/clubs/{made['id']}/events/{closed['id']}/rsvp"

    def answer(value: str) -> int:
        put = client.put(rsvp, json={"answer": value}, headers=member.headers)
        assert put.status_code == 200, put.text
        return client.get(group, headers=member.headers).status_code

    assert answer("going") == 200
    assert answer("no") == 404  # out of the members-only group ride
    assert answer("going") == 200  # and back in
    assert answer("maybe") == 404
    assert answer("going") == 200
    # The organiser answering "no" keeps their own group ride.
    put = client.put(rsvp, json={"answer": "no"}, headers=owner.headers)
    assert put.status_code == 200 and client.get(group, headers=owner.headers).status_code == 200
    assert _event(client, made["id"], closed["id"], owner)["going"] == 1
    # Gone from the club: out of its coming live rides and their answers too.
    left = client.delete(f"/api/v1/clubs/{made['id']}/membership", headers=member.headers)
    assert left.status_code == 204
    assert client.get(group, headers=member.headers).status_code == 404
    assert _event(client, made["id"], closed["id"], owner)["going"] == 0
    join(client, member, made["id"])
    assert _event(client, made["id"], closed["id"], member)["rsvp"] is None
    assert client.get(group, headers=member.headers).status_code == 404
    assert answer("going") == 200
    removed = client.delete(
        f"/api/v1/clubs/{made['id']}/members/{member.id}", headers=owner.headers
    )
    assert removed.status_code == 204
    assert client.get(group, headers=member.headers).status_code == 404
