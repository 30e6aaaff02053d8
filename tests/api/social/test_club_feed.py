"""Club posts in the main feed: a member's feed merges their clubs' posts with the followed
riders' rides, newest first across pages, and the feed's rules hold for posts too."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from bikenode.social.clubs.models import ClubPost
from tests.api.social.helpers import Rider, block, follow, ride, rider
from tests.api.social.test_clubs import club, join


def _post(client: TestClient, who: Rider, club_id: str, body: str) -> str:
    answer = client.post(f"/api/v1/clubs/{club_id}/posts", json={"body": body}, headers=who.headers)
    assert answer.status_code == 201, answer.text
    post_id: str = answer.json()["id"]
    return post_id


def _backdate(client: TestClient, post_id: str, at: str) -> None:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.execute(
            update(ClubPost)
            .where(ClubPost.id == uuid.UUID(post_id))
            .values(created_at=datetime.fromisoformat(at))
        )
        db.commit()


def _feed(client: TestClient, who: Rider, limit: int = 50) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    cursor = ""
    for _ in range(20):
        answer = client.get(f"/api/v1/feed?limit={limit}{cursor}", headers=who.headers)
        assert answer.status_code == 200, answer.text
        seen += answer.json()["items"]
        if answer.json()["next_cursor"] is None:
            return seen
        cursor = f"&cursor={answer.json()['next_cursor']}"
    raise AssertionError("the feed did not end")


def _posts(client: TestClient, who: Rider) -> list[str]:
    return [i["body"] for i in _feed(client, who) if i["kind"] == "club_post"]


def test_club_posts_and_rides_merge_newest_first_across_pages(client: TestClient) -> None:
    viewer, owner = rider(client, "Viewer"), rider(client, "Olga")
    follow(client, viewer, owner)
    rides = [ride(client, owner) for _ in range(3)]  # a day apart, the last the newest
    starts = [client.get(f"/api/v1/rides/{r}", headers=owner.headers).json() for r in rides]
    made = club(client, owner)
    join(client, viewer, made["id"])
    posts = [_post(client, owner, made["id"], f"post {n}") for n in range(4)]
    # Between the rides, one before them all and one after, as the feed must order them.
    _backdate(client, posts[0], "2020-01-01T00:00:00+00:00")
    for post_id, ride_row in zip(posts[1:], starts, strict=True):
        at = datetime.fromisoformat(ride_row["started_at"])
        _backdate(client, post_id, at.replace(hour=at.hour + 1).isoformat())
    for limit in (1, 2, 3, 50):
        seen = _feed(client, viewer, limit)
        kinds = [(i["kind"], i["id"]) for i in seen]
        assert kinds == [
            ("club_post", posts[3]), ("ride", rides[2]), ("club_post", posts[2]),
            ("ride", rides[1]), ("club_post", posts[1]), ("ride", rides[0]),
            ("club_post", posts[0]),
        ], limit  # fmt: skip
    post = _feed(client, viewer)[0]
    assert (post["club_name"], post["author_name"], post["body"]) == (
        "Dawn Patrol",
        "Olga",
        "post 3",
    )


def test_club_posts_reach_members_only_less_blocked_muted_and_left(client: TestClient) -> None:
    owner, viewer, ann, bob = (rider(client, n) for n in ("Olga", "Vic", "Ann", "Bob"))
    stranger = rider(client, "Stranger")
    made = club(client, owner, private=True)
    club_id = made["id"]
    for who in (viewer, ann, bob):
        invite_and_join(client, owner, who, club_id)
    for who in (owner, ann, bob):
        _post(client, who, club_id, f"from {who.name}")
    assert sorted(_posts(client, viewer)) == ["from Ann", "from Bob", "from Olga"]
    assert _posts(client, stranger) == []  # not a member: nothing, even of a public club
    block(client, bob, viewer)  # either way
    assert sorted(_posts(client, viewer)) == ["from Ann", "from Olga"]
    assert client.post(f"/api/v1/users/{ann.id}/mute", headers=viewer.headers).status_code == 204
    assert _posts(client, viewer) == ["from Olga"]
    mute = f"/api/v1/clubs/{club_id}/feed-mute"
    assert client.post(mute, headers=viewer.headers).status_code == 204
    assert client.post(mute, headers=viewer.headers).status_code == 204  # again: no change
    assert _posts(client, viewer) == []
    page = client.get(f"/api/v1/clubs/{club_id}/posts", headers=viewer.headers).json()
    assert sorted(p["body"] for p in page["items"]) == [
        "from Ann",
        "from Olga",
    ]  # the page still shows
    assert client.delete(mute, headers=viewer.headers).status_code == 204
    assert _posts(client, viewer) == ["from Olga"]
    assert client.post(mute, headers=stranger.headers).status_code == 404  # private: unknown
    left = client.delete(f"/api/v1/clubs/{club_id}/membership", headers=viewer.headers)
    assert left.status_code == 204
    assert _posts(client, viewer) == []


def test_a_club_whose_owner_blocks_the_member_leaves_their_feed(client: TestClient) -> None:
    owner, viewer = rider(client, "Olga"), rider(client, "Vic")
    made = club(client, owner)
    join(client, viewer, made["id"])
    _post(client, owner, made["id"], "hello")
    assert _posts(client, viewer) == ["hello"]
    block(client, owner, viewer)
    assert _posts(client, viewer) == []


def test_a_bad_feed_cursor_is_a_clear_400(client: TestClient) -> None:
    viewer = rider(client, "Vic")
    for cursor in ("nonsense", "eyJyIjogMX0=", "W10="):
        answer = client.get(f"/api/v1/feed?cursor={cursor}", headers=viewer.headers)
        assert answer.status_code in (400, 422), (cursor, answer.text)
        assert "cursor" in answer.json()["detail"]


def invite_and_join(client: TestClient, owner: Rider, who: Rider, club_id: str) -> None:
    issued = client.post(
        f"/api/v1/clubs/{club_id}/invites", json={"hours": 24}, headers=owner.headers
    )
    assert issued.status_code == 201, issued.text
    used = client.post(
        "/api/v1/clubs/join", json={"token": issued.json()["token"]}, headers=who.headers
    )
    assert used.status_code == 200, used.text
