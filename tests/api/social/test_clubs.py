"""Clubs and memberships: create, edit, list and search, join and requests, roles, transfer,
invite links, and what a private club shows to whom."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, select

from bikenode.events.models import OutboxEvent
from bikenode.social.logic.clubs import sign_invite
from tests.api.social.helpers import Rider, block, rider
from tests.factories import STRONG_PASSWORD


def club(client: TestClient, owner: Rider, **fields: Any) -> dict[str, Any]:
    body = {"name": "Dawn Patrol", "sport": "road", **fields}
    answer = client.post("/api/v1/clubs", json=body, headers=owner.headers)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def join(client: TestClient, who: Rider, club_id: str) -> str:
    answer = client.post(f"/api/v1/clubs/{club_id}/membership", headers=who.headers)
    assert answer.status_code == 200, answer.text
    status: str = answer.json()["status"]
    return status


def member_names(client: TestClient, club_id: str, who: Rider) -> list[str]:
    answer = client.get(f"/api/v1/clubs/{club_id}/members", headers=who.headers)
    assert answer.status_code == 200, answer.text
    return [m["display_name"] for m in answer.json()["items"]]


def _event_types(client: TestClient) -> list[str]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))


def test_a_new_club_has_its_creator_as_owner_and_rounds_its_place(client: TestClient) -> None:
    owner = rider(client, "Olga")
    made = club(
        client,
        owner,
        description="  Early laps\nbefore work  ",
        place_name="Annecy",
        lat_deg=45.899247,
        lon_deg=6.129384,
    )
    assert (made["role"], made["status"], made["members"]) == ("owner", "active", 1)
    assert (made["lat_deg"], made["lon_deg"]) == (45.9, 6.13)  # ~1 km, never the doorstep
    assert made["description"] == "Early laps\nbefore work"
    assert member_names(client, made["id"], owner) == ["Olga"]
    assert "social.club_member_joined" in _event_types(client)


def test_club_input_is_refused_with_a_clear_4xx(client: TestClient) -> None:
    owner = rider(client, "Olga")
    bad = [
        {"name": "x" * 81},
        {"name": "   "},
        {"name": "ok", "description": "y" * 2001},
        {"name": "ok", "lat_deg": 45.0},
        {"name": "ok", "lat_deg": 91.0, "lon_deg": 0.0},
        {"name": "ok", "description": "bell\x07"},
        {"name": "ok", "sport": "curling"},
    ]
    for body in bad:
        answer = client.post("/api/v1/clubs", json=body, headers=owner.headers)
        assert answer.status_code in (400, 422), (body, answer.text)
    long = client.post("/api/v1/clubs", json={"name": "x" * 81}, headers=owner.headers)
    assert "at most 80 characters, got 81" in long.text


def test_the_list_shows_public_clubs_and_mine_and_searches_names(client: TestClient) -> None:
    owner, other = rider(client, "Olga"), rider(client, "Pia")
    club(client, owner, name="Gravel Gang")
    secret = club(client, owner, name="Gravel Secret", private=True)
    club(client, other, name="Hill Climbers")

    def listed(who: Rider | None, q: str = "") -> list[str]:
        answer = client.get(f"/api/v1/clubs?q={q}", headers=who.headers if who else {})
        assert answer.status_code == 200, answer.text
        return [c["name"] for c in answer.json()["items"]]

    assert listed(owner) == ["Gravel Gang", "Gravel Secret", "Hill Climbers"]
    assert listed(other) == ["Gravel Gang", "Hill Climbers"]
    assert listed(None, "gravel") == ["Gravel Gang"]
    assert listed(owner, "SECRET") == ["Gravel Secret"]
    assert listed(other, "%") == []  # a wildcard is a character, not a pattern
    join(client, other, secret["id"])
    assert listed(other, "gravel") == ["Gravel Gang", "Gravel Secret"]  # pending: theirs


def test_only_the_owner_and_admins_edit_and_only_the_owner_deletes(client: TestClient) -> None:
    owner, admin, member = rider(client, "Olga"), rider(client, "Ada"), rider(client, "Max")
    made = club(client, owner, place_name="Annecy", lat_deg=45.9, lon_deg=6.13)
    url = f"/api/v1/clubs/{made['id']}"
    join(client, admin, made["id"])
    join(client, member, made["id"])
    promoted = client.post(f"{url}/admins/{admin.id}", headers=owner.headers)
    assert promoted.status_code == 204, promoted.text
    edit = {"description": "Coffee after", "place_name": "Talloires"}
    assert client.patch(url, json=edit, headers=member.headers).status_code == 403
    changed = client.patch(url, json=edit, headers=admin.headers)
    assert changed.status_code == 200, changed.text
    # The place is replaced whole: coordinates left out are cleared with it.
    assert (changed.json()["place_name"], changed.json()["lat_deg"]) == ("Talloires", None)
    assert changed.json()["name"] == "Dawn Patrol"
    assert client.delete(url, headers=admin.headers).status_code == 403
    assert client.delete(url, headers=owner.headers).status_code == 204
    assert client.get(url, headers=owner.headers).status_code == 404


def test_a_public_club_is_joined_at_once_and_left(client: TestClient) -> None:
    owner, rider_ = rider(client, "Olga"), rider(client, "Pia")
    made = club(client, owner)
    assert join(client, rider_, made["id"]) == "active"
    assert join(client, rider_, made["id"]) == "active"  # again: nothing changes
    assert member_names(client, made["id"], rider_) == ["Olga", "Pia"]
    url = f"/api/v1/clubs/{made['id']}/membership"
    assert client.delete(url, headers=rider_.headers).status_code == 204
    assert client.delete(url, headers=rider_.headers).status_code == 204  # nothing to undo
    assert member_names(client, made["id"], owner) == ["Olga"]
    refused = client.delete(url, headers=owner.headers)
    assert refused.status_code == 409 and "transfer ownership" in refused.text


def test_a_private_club_takes_requests_that_admins_approve_or_decline(
    client: TestClient,
) -> None:
    owner, pia, max_ = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Max")
    made = club(client, owner, private=True)
    base = f"/api/v1/clubs/{made['id']}"
    assert join(client, pia, made["id"]) == "pending"
    assert join(client, max_, made["id"]) == "pending"
    assert "social.club_join_requested" in _event_types(client)
    assert client.get(f"{base}/members", headers=pia.headers).status_code == 404
    assert client.get(f"{base}/requests", headers=pia.headers).status_code == 404
    waiting = client.get(f"{base}/requests", headers=owner.headers).json()["items"]
    assert {w["display_name"] for w in waiting} == {"Pia", "Max"}
    assert client.post(f"{base}/requests/{pia.id}", headers=owner.headers).status_code == 204
    assert client.delete(f"{base}/requests/{max_.id}", headers=owner.headers).status_code == 204
    assert client.post(f"{base}/requests/{pia.id}", headers=owner.headers).status_code == 404
    assert member_names(client, made["id"], pia) == ["Olga", "Pia"]
    assert client.get(f"{base}/members", headers=max_.headers).status_code == 404
    # A plain member may not answer requests: they know the club, so 403.
    assert join(client, max_, made["id"]) == "pending"
    assert client.post(f"{base}/requests/{max_.id}", headers=pia.headers).status_code == 403


def test_roles_promote_demote_remove_and_transfer(client: TestClient) -> None:
    owner, ada, max_, eve = (rider(client, n) for n in ("Olga", "Ada", "Max", "Eve"))
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}"
    for who in (ada, max_, eve):
        join(client, who, made["id"])
    assert client.post(f"{base}/admins/{ada.id}", headers=owner.headers).status_code == 204
    # Only the owner names admins; an admin removes plain members, not other admins.
    assert client.post(f"{base}/admins/{max_.id}", headers=ada.headers).status_code == 403
    assert client.delete(f"{base}/members/{eve.id}", headers=ada.headers).status_code == 204
    assert client.delete(f"{base}/members/{owner.id}", headers=ada.headers).status_code == 403
    assert client.post(f"{base}/admins/{owner.id}", headers=owner.headers).status_code == 409
    assert client.delete(f"{base}/admins/{ada.id}", headers=owner.headers).status_code == 204
    assert client.post(f"{base}/owner/{max_.id}", headers=owner.headers).status_code == 204
    roles = {
        m["display_name"]: m["role"]
        for m in client.get(f"{base}/members", headers=owner.headers).json()["items"]
    }
    assert roles == {"Max": "owner", "Olga": "admin", "Ada": "member"}
    assert client.delete(base, headers=owner.headers).status_code == 403
    assert client.delete(f"{base}/members/{owner.id}", headers=max_.headers).status_code == 204


def test_an_invite_link_lets_its_holder_in_until_revoked(client: TestClient) -> None:
    owner, pia, max_ = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Max")
    made = club(client, owner, private=True)
    base = f"/api/v1/clubs/{made['id']}"
    issued = client.post(f"{base}/invites", json={"hours": 24}, headers=owner.headers)
    assert issued.status_code == 201, issued.text
    token = issued.json()["token"]
    used = client.post("/api/v1/clubs/join", json={"token": token}, headers=pia.headers)
    assert used.status_code == 200, used.text
    assert (used.json()["status"], used.json()["role"]) == ("active", "member")
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    refused = client.post("/api/v1/clubs/join", json={"token": forged}, headers=max_.headers)
    assert refused.status_code == 404
    live = client.get(f"{base}/invites", headers=owner.headers).json()["items"]
    assert [i["id"] for i in live] == [issued.json()["id"]]
    assert "token" not in live[0]
    revoked = client.delete(f"{base}/invites/{issued.json()['id']}", headers=owner.headers)
    assert revoked.status_code == 204
    late = client.post("/api/v1/clubs/join", json={"token": token}, headers=max_.headers)
    assert late.status_code == 404 and "revoked" in late.text
    assert (
        client.post(f"{base}/invites", json={"hours": 0}, headers=owner.headers).status_code == 422
    )


def test_an_expired_invite_link_is_refused(client: TestClient) -> None:
    owner, pia = rider(client, "Olga"), rider(client, "Pia")
    made = club(client, owner, private=True)
    issued = client.post(f"/api/v1/clubs/{made['id']}/invites", json={}, headers=owner.headers)
    invite_id = issued.json()["id"]
    secret = client.app.state.settings.effective_secret_key  # type: ignore[attr-defined]
    past = datetime.now(UTC) - timedelta(minutes=1)
    stale = sign_invite(secret, invite_id=uuid.UUID(invite_id), expires_at=past)
    answer = client.post("/api/v1/clubs/join", json={"token": stale}, headers=pia.headers)
    assert answer.status_code == 404 and "expired" in answer.text


def test_a_private_club_walked_as_member_stranger_anonymous_blocked_and_requester(
    client: TestClient,
) -> None:
    owner, member = rider(client, "Olga"), rider(client, "Mia")
    stranger, blocked, waiting = rider(client, "Sam"), rider(client, "Bob"), rider(client, "Wen")
    made = club(client, owner, private=True)
    base = f"/api/v1/clubs/{made['id']}"
    issued = client.post(f"{base}/invites", json={}, headers=owner.headers).json()
    client.post("/api/v1/clubs/join", json={"token": issued["token"]}, headers=member.headers)
    assert join(client, waiting, made["id"]) == "pending"
    block(client, owner, blocked)
    reads = [f"{base}/{part}" for part in ("members", "posts", "events", "leaderboard")]
    for url in reads:
        assert client.get(url, headers=member.headers).status_code == 200, url
        assert client.get(url, headers=owner.headers).status_code == 200, url
        for who in (stranger, blocked, waiting):
            assert client.get(url, headers=who.headers).status_code == 404, (url, who.name)
        assert client.get(url).status_code == 404, url
    writes = [
        ("post", f"{base}/posts", {"body": "hello"}),
        ("post", f"{base}/events", {"title": "Loop", "starts_at": "2026-12-12T08:00:00Z"}),
        ("patch", base, {"name": "mine now"}),
        ("post", f"{base}/invites", {}),
    ]
    for method, url, body in writes:
        for who in (stranger, blocked, waiting):
            answer = client.request(method.upper(), url, json=body, headers=who.headers)
            assert answer.status_code == 404, (method, url, who.name, answer.text)
    # The about is for any signed-in rider not blocked (to ask to join): never anonymous.
    assert client.get(base, headers=stranger.headers).status_code == 200
    assert client.get(base, headers=waiting.headers).json()["status"] == "pending"
    assert client.get(base, headers=blocked.headers).status_code == 404
    assert client.get(base).status_code == 404
    assert client.post(f"{base}/membership", headers=blocked.headers).status_code == 404
    token = {"token": issued["token"]}
    assert client.post("/api/v1/clubs/join", json=token, headers=blocked.headers).status_code == 404


def test_a_public_club_is_read_by_anyone_but_written_by_members(client: TestClient) -> None:
    owner, stranger = rider(client, "Olga"), rider(client, "Sam")
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}"
    assert client.get(base).status_code == 200
    assert client.get(f"{base}/members").status_code == 200
    refused = client.post(f"{base}/posts", json={"body": "hi"}, headers=stranger.headers)
    assert refused.status_code == 403 and "join it first" in refused.text
    assert client.post(f"{base}/posts", json={"body": "hi"}).status_code == 401


@contextmanager
def _counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_the_club_list_costs_the_same_queries_for_a_few_clubs_or_many(
    client: TestClient,
) -> None:
    owners = [rider(client, f"Owner {n}") for n in range(3)]
    viewer = rider(client, "Pia")
    engine = client.app.state.engine  # type: ignore[attr-defined]

    def queries() -> int:
        with _counted(engine) as statements:
            answer = client.get("/api/v1/clubs?limit=100", headers=viewer.headers)
            assert answer.status_code == 200, answer.text
        return len(statements)

    for n, owner in enumerate(owners):
        club(client, owner, name=f"Club {n}")
    few = queries()
    for n in range(12):
        club(client, owners[n % 3], name=f"More {n}")
    assert queries() == few
    # A rider blocked by an owner (or blocking one) is not shown that owner's clubs.
    block(client, owners[0], viewer)
    names = [c["name"] for c in client.get("/api/v1/clubs", headers=viewer.headers).json()["items"]]
    assert len(names) == 10 and "Club 0" not in names


def test_an_erased_owner_hands_the_club_to_the_longest_standing_admin(
    client: TestClient,
) -> None:
    owner, early, admin = rider(client, "Olga"), rider(client, "Early"), rider(client, "Ada")
    made = club(client, owner)
    alone = club(client, owner, name="Alone")
    join(client, early, made["id"])  # a member since before the admin joined
    join(client, admin, made["id"])
    base = f"/api/v1/clubs/{made['id']}"
    assert client.post(f"{base}/admins/{admin.id}", headers=owner.headers).status_code == 204
    erase = {"password": STRONG_PASSWORD, "confirm": "erase my account"}
    assert client.post("/api/v1/me/erase", json=erase, headers=owner.headers).status_code == 200
    roles = {
        m["display_name"]: m["role"]
        for m in client.get(f"{base}/members", headers=early.headers).json()["items"]
    }
    assert roles == {"Ada": "owner", "Early": "member"}
    assert client.get(f"/api/v1/clubs/{alone['id']}", headers=early.headers).status_code == 404
