"""Club life told to members in the app (by default nothing more): a new club ride, a new
post, a request to join accepted. Never the one who acted, never across a block, never a
removed member."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.notifications.models import Notification, NotificationDelivery
from tests.api.social.helpers import Rider, block, rider
from tests.api.social.test_clubs import club, join

API = "/api/v1/notifications"
SECRET_WORDS = "zz-club-post-3a9d"


def _inbox(client: TestClient, who: Rider) -> list[dict[str, Any]]:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    answer = client.get(API, headers=who.headers)
    assert answer.status_code == 200, answer.text
    return [n for n in answer.json()["items"][::-1] if n["type"].startswith("club_")]


def test_members_hear_of_club_rides_and_posts_but_not_the_author_blocked_or_removed(
    client: TestClient,
) -> None:
    olga, pia, max_, nik = (rider(client, n) for n in ("Olga", "Pia", "Max", "Nik"))
    made = club(client, olga)
    base = f"/api/v1/clubs/{made['id']}"
    for member in (pia, max_, nik):
        assert join(client, member, made["id"]) == "active"
    block(client, max_, olga)
    removed = client.delete(f"{base}/members/{nik.id}", headers=olga.headers)
    assert removed.status_code == 204, removed.text

    post = client.post(f"{base}/posts", json={"body": SECRET_WORDS}, headers=olga.headers)
    assert post.status_code == 201, post.text
    ride = {"title": "Lake loop", "starts_at": "2026-12-12T09:00:00+01:00"}
    planned = client.post(f"{base}/events", json=ride, headers=olga.headers)
    assert planned.status_code == 201, planned.text

    told = _inbox(client, pia)
    assert [(n["type"], n["title"]) for n in told] == [
        ("club_post", "A new club post"),
        ("club_ride", "A new club ride"),
    ]
    assert {n["link"] for n in told} == {f"/clubs/{made['id']}"}
    assert not any(w in n["title"] + n["text"] for n in told for w in (SECRET_WORDS, "Olga"))
    for silent in (olga, max_, nik):  # the author, a member who blocks her, one removed
        assert _inbox(client, silent) == []
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        mailed = db.scalars(
            select(NotificationDelivery.id)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(Notification.type.like("club_%"))
        ).all()
    assert mailed == []  # in the app only, by default


def test_an_accepted_request_to_join_is_told_and_a_plain_join_is_not(client: TestClient) -> None:
    olga, pia, max_ = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Max")
    private = club(client, olga, private=True)
    assert join(client, pia, private["id"]) == "pending"
    approved = client.post(f"/api/v1/clubs/{private['id']}/requests/{pia.id}", headers=olga.headers)
    assert approved.status_code == 204
    public = club(client, olga, name="Open Road")
    assert join(client, max_, public["id"]) == "active"

    [welcome] = _inbox(client, pia)
    assert (welcome["type"], welcome["link"]) == ("club_join_accepted", f"/clubs/{private['id']}")
    assert _inbox(client, max_) == []
    assert _inbox(client, olga) == []


def test_club_types_are_in_the_app_only_until_the_member_asks_for_more(client: TestClient) -> None:
    pia = rider(client, "Pia")
    shown = client.get(f"{API}/preferences", headers=pia.headers).json()["types"]
    club_types = {t["type"]: t["channels"] for t in shown if t["type"].startswith("club_")}
    assert set(club_types) == {"club_ride", "club_post", "club_join_accepted"}
    for channels in club_types.values():
        assert channels == {"in_app": True, "email": False, "push": False}
