"""The feed: newest first a page at a time, for the same few statements whether the rider
follows one rider or forty, each with a privacy zone that cuts every ride."""

from __future__ import annotations

import base64
import json
import uuid

from fastapi.testclient import TestClient

from tests.api.rides.test_list_queries import _seed_rides, _statements
from tests.api.social.helpers import Rider, follow, ride, rider

# Sign-in checks, the page query, the owners' zones, stored views and profiles, kudos and
# comment counts and the viewer's kudos, the clubs' posts and their authors' names: a bound on
# the whole request, whatever the page.
MAX_STATEMENTS = 14


def _followed_with_rides(
    client: TestClient, viewer: Rider, riders: int, rides: int, *, zone: bool = True
) -> None:
    for n in range(riders):
        owner = rider(client, f"Owner {n}")
        _seed_rides(client, owner.headers, rides, zone=zone)
        follow(client, viewer, owner)


def _page_cost(client: TestClient, viewer: Rider) -> tuple[int, int]:
    with _statements(client) as seen:
        answer = client.get("/api/v1/feed?limit=50", headers=viewer.headers)
    assert answer.status_code == 200, answer.text
    return len(answer.json()["items"]), len(seen)


def test_a_feed_page_costs_the_same_statements_for_1_or_40_followed_riders(
    client: TestClient,
) -> None:
    few, many = rider(client, "Few"), rider(client, "Many")
    _followed_with_rides(client, few, 1, 1)
    _followed_with_rides(client, many, 40, 2)
    _page_cost(client, few)  # warm: the first request of a process loads more
    listed_few, cost_few = _page_cost(client, few)
    listed_many, cost_many = _page_cost(client, many)
    assert (listed_few, listed_many) == (1, 50)
    assert cost_few == cost_many, (cost_few, cost_many)
    assert cost_many <= MAX_STATEMENTS


def test_the_feed_pages_by_cursor_newest_first_without_gaps(client: TestClient) -> None:
    viewer = rider(client, "Viewer")
    _followed_with_rides(client, viewer, 3, 4, zone=False)  # the rides' own start times
    seen, cursor, pages = [], "", 0
    while True:
        answer = client.get(f"/api/v1/feed?limit=5{cursor}", headers=viewer.headers).json()
        seen += answer["items"]
        pages += 1
        if answer["next_cursor"] is None:
            break
        cursor = f"&cursor={answer['next_cursor']}"
    assert (pages, len(seen), len({item["id"] for item in seen})) == (3, 12, 12)
    keys = [(item["started_at"], item["id"]) for item in seen]
    assert keys == sorted(keys, reverse=True)


def test_a_feed_request_out_of_bounds_is_refused_clearly(client: TestClient) -> None:
    viewer = rider(client, "Viewer")
    for query in ("limit=0", "limit=51", "limit=nan", "cursor=" + "x" * 501):
        assert client.get(f"/api/v1/feed?{query}", headers=viewer.headers).status_code == 422
    # A cursor that is not one of ours, or whose rides or posts part names a naive time, or
    # a far-future one (the feed's cursor holds each stream's own: rides' and club posts').
    from bikenode.rides.logic.display import encode_cursor

    def feed_cursor(rides: str | None, posts: list[str] | None) -> str:
        raw = json.dumps({"r": rides, "rd": False, "p": posts, "pd": False}).encode()
        return base64.urlsafe_b64encode(raw).decode()

    zero = "00000000-0000-0000-0000-000000000000"
    for cursor in (
        "bm90LWEtY3Vyc29y",
        encode_cursor("2025-01-01T00:00:00+00:00", zero),  # a rides cursor alone
        feed_cursor(encode_cursor("2025-01-01T00:00:00", zero), None),
        feed_cursor(encode_cursor("not a time", zero), None),
        feed_cursor(None, ["2025-01-01T00:00:00", uuid.UUID(zero).hex]),
        feed_cursor(None, ["2025-01-01T00:00:00+00:00", "not hex"]),
    ):
        answer = client.get(f"/api/v1/feed?cursor={cursor}", headers=viewer.headers)
        assert answer.status_code == 422, answer.text
        assert "cursor" in answer.json()["detail"]
    far = feed_cursor(encode_cursor("9999-12-31T23:59:59+00:00", zero), None)
    assert client.get(f"/api/v1/feed?cursor={far}", headers=viewer.headers).status_code == 200


def test_a_riders_own_rides_appear_in_their_feed_like_their_club_posts_with_whole_figures(
    client: TestClient,
) -> None:
    from tests.api.social.test_club_feed import _post
    from tests.api.social.test_clubs import club

    viewer, friend = rider(client, "Viewer"), rider(client, "Friend")
    follow(client, viewer, friend)
    _seed_rides(client, viewer.headers, 1, zone=True)  # starts inside the viewer's own zone
    own_zoned = client.get("/api/v1/rides", headers=viewer.headers).json()["items"][0]["id"]
    own_private = ride(client, viewer, visibility="private")
    friends = ride(client, friend)
    post = _post(client, viewer, club(client, viewer)["id"], "my own post")
    items = client.get("/api/v1/feed?limit=50", headers=viewer.headers).json()["items"]
    assert {i["id"] for i in items} == {own_zoned, own_private, friends, post}
    # Whole to their owner, as on their ride page; a follower's feed shows the cut figures.
    whole = client.get(f"/api/v1/rides/{own_zoned}", headers=viewer.headers).json()
    mine = next(i for i in items if i["id"] == own_zoned)
    assert mine["distance_m"] == whole["distance_m"] == 2200.0
    follow(client, friend, viewer)
    theirs = client.get("/api/v1/feed?limit=50", headers=friend.headers).json()["items"]
    cut = next(i for i in theirs if i["id"] == own_zoned)
    assert cut["distance_m"] != whole["distance_m"]
    assert own_private not in {i["id"] for i in theirs}  # their own only, never others'


def test_untimed_rides_follow_the_timed_ones_across_pages_without_gaps(client: TestClient) -> None:
    from sqlalchemy import update

    from bikenode.rides.models import Ride

    viewer, owner = rider(client, "Viewer"), rider(client, "Owner")
    follow(client, viewer, owner)
    made = [ride(client, owner) for _ in range(6)]
    untimed = [uuid.UUID(ride_id) for ride_id in made[:3]]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.execute(update(Ride).where(Ride.id.in_(untimed)).values(started_at=None))
        db.commit()
    for url in ("/api/v1/feed", f"/api/v1/users/{owner.id}/rides"):
        seen, cursor = [], ""
        for _ in range(10):
            answer = client.get(f"{url}?limit=2{cursor}", headers=viewer.headers).json()
            seen += [item["id"] for item in answer["items"]]
            if answer["next_cursor"] is None:
                break
            cursor = f"&cursor={answer['next_cursor']}"
        newest_first = list(reversed(made[3:]))
        by_id = sorted(made[:3], key=uuid.UUID, reverse=True)
        assert seen == newest_first + by_id, url
