"""What members do in a club: club rides and RSVPs, posts and the club feed, and the weekly
leaderboard with its totals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.events.models import OutboxEvent
from bikenode.social.clubs import activity
from tests.api.social.helpers import Rider, block, rider
from tests.api.social.test_clubs import club, join
from tests.factories import upload_files
from tests.synthetic import synthetic_gpx

SATURDAY = "2026-12-12T09:00:00+01:00"


def _types(client: TestClient) -> list[str]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        return list(db.scalars(select(OutboxEvent.type)))


def _event(client: TestClient, who: Rider, club_id: str, **fields: object) -> dict[str, object]:
    body = {"title": "Lake loop", "starts_at": SATURDAY, **fields}
    answer = client.post(f"/api/v1/clubs/{club_id}/events", json=body, headers=who.headers)
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_a_club_ride_keeps_its_time_in_utc_and_a_rounded_meeting_point(
    client: TestClient,
) -> None:
    owner = rider(client, "Olga")
    made = club(client, owner)
    event = _event(client, owner, made["id"], place_name="Bakery", lat_deg=45.8991, lon_deg=6.1294)
    assert event["starts_at"] == "2026-12-12T08:00:00Z"
    assert (event["lat_deg"], event["lon_deg"]) == (45.9, 6.13)
    assert "social.club_event_created" in _types(client)
    listed = client.get(f"/api/v1/clubs/{made['id']}/events", headers=owner.headers).json()
    assert [e["title"] for e in listed["items"]] == ["Lake loop"]


def test_a_club_ride_refuses_naive_times_far_years_and_others_routes(client: TestClient) -> None:
    owner, other = rider(client, "Olga"), rider(client, "Pia")
    made = club(client, owner)
    url = f"/api/v1/clubs/{made['id']}/events"
    for starts_at, expected in (
        ("2026-12-12T09:00:00", "naive"),
        ("2101-01-01T09:00:00Z", "no later than 2100, got 2101"),
    ):
        body = {"title": "x", "starts_at": starts_at}
        answer = client.post(url, json=body, headers=owner.headers)
        assert answer.status_code == 422 and expected in answer.text, answer.text
    others_route = client.post("/api/v1/routes", json={"name": "Pia's"}, headers=other.headers)
    assert others_route.status_code == 201, others_route.text
    body = {"title": "x", "starts_at": SATURDAY, "route_id": others_route.json()["id"]}
    assert client.post(url, json=body, headers=owner.headers).status_code == 404
    own_route = client.post("/api/v1/routes", json={"name": "Mine"}, headers=owner.headers)
    with_route = _event(client, owner, made["id"], route_id=own_route.json()["id"])
    assert with_route["route_id"] == own_route.json()["id"]


def test_members_answer_a_club_ride_and_may_change_their_answer(client: TestClient) -> None:
    owner, pia, stranger = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Sam")
    made = club(client, owner)
    join(client, pia, made["id"])
    event = _event(client, owner, made["id"])
    url = f"/api/v1/clubs/{made['id']}/events/{event['id']}/rsvp"
    assert client.put(url, json={"answer": "going"}, headers=owner.headers).json()["going"] == 1
    answer = client.put(url, json={"answer": "maybe"}, headers=pia.headers).json()
    assert (answer["going"], answer["maybe"], answer["rsvp"]) == (1, 1, "maybe")
    answer = client.put(url, json={"answer": "no"}, headers=pia.headers).json()
    assert (answer["maybe"], answer["no"], answer["rsvp"]) == (0, 1, "no")
    refused = client.put(url, json={"answer": "going"}, headers=stranger.headers)
    assert refused.status_code == 403
    assert client.put(url, json={"answer": "yes"}, headers=pia.headers).status_code == 422
    other_club = club(client, pia, name="Other")
    wrong = f"/api/v1/clubs/{other_club['id']}/events/{event['id']}/rsvp"
    assert client.put(wrong, json={"answer": "going"}, headers=pia.headers).status_code == 404


def test_posts_are_cleaned_paged_and_hidden_between_blocked_riders(client: TestClient) -> None:
    owner, pia, bob = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Bob")
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}/posts"
    join(client, pia, made["id"])
    join(client, bob, made["id"])
    for who, text in ((owner, " Welcome! "), (bob, "<b>hi</b>"), (pia, "Coffee at 8")):
        answer = client.post(base, json={"body": text}, headers=who.headers)
        assert answer.status_code == 201, answer.text
    assert "social.club_post_added" in _types(client)
    first = client.get(f"{base}?limit=2", headers=owner.headers).json()
    assert [p["body"] for p in first["items"]] == ["Coffee at 8", "<b>hi</b>"]  # text, not HTML
    rest = client.get(f"{base}?limit=2&cursor={first['next_cursor']}", headers=owner.headers)
    assert [p["body"] for p in rest.json()["items"]] == ["Welcome!"]
    assert rest.json()["next_cursor"] is None
    block(client, pia, bob)
    seen = client.get(base, headers=pia.headers).json()["items"]
    assert [p["author_name"] for p in seen] == ["Pia", "Olga"]
    members = client.get(f"/api/v1/clubs/{made['id']}/members", headers=bob.headers).json()
    assert [m["display_name"] for m in members["items"]] == ["Olga", "Bob"]
    too_long = client.post(base, json={"body": "x" * 2001}, headers=pia.headers)
    assert too_long.status_code == 422 and "at most 2000 characters, got 2001" in too_long.text
    bad = client.get(f"{base}?cursor=nonsense", headers=owner.headers)
    assert bad.status_code == 422


def test_a_post_is_deleted_by_its_author_or_a_manager_only(client: TestClient) -> None:
    owner, pia, bob = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Bob")
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}/posts"
    join(client, pia, made["id"])
    join(client, bob, made["id"])
    post = client.post(base, json={"body": "mine"}, headers=pia.headers).json()
    assert client.delete(f"{base}/{post['id']}", headers=bob.headers).status_code == 403
    assert client.delete(f"{base}/{post['id']}", headers=owner.headers).status_code == 204
    assert client.delete(f"{base}/{post['id']}", headers=pia.headers).status_code == 404


def _ride_at(client: TestClient, who: Rider, start: datetime, visibility: str) -> None:
    (upload,) = upload_files(client, who.headers, [("r.gpx", synthetic_gpx(start))])
    ride_id = upload["items"][0]["ride_id"]
    body = {"visibility": visibility}
    answer = client.patch(f"/api/v1/rides/{ride_id}", json=body, headers=who.headers)
    assert answer.status_code == 200, answer.text


def test_the_leaderboard_counts_members_shared_rides_of_the_week(client: TestClient) -> None:
    owner, pia, outsider = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Sam")
    made = club(client, owner)
    join(client, pia, made["id"])
    monday = datetime(2025, 5, 5, 7, tzinfo=UTC)  # 2025-W19
    _ride_at(client, owner, monday, "public")
    _ride_at(client, owner, monday + timedelta(days=2), "followers")
    _ride_at(client, owner, monday + timedelta(days=3), "private")  # never counted
    _ride_at(client, owner, monday + timedelta(days=7), "public")  # the next week
    _ride_at(client, pia, monday + timedelta(days=6, hours=10), "public")  # Sunday 17:00
    _ride_at(client, outsider, monday, "public")  # not a member
    url = f"/api/v1/clubs/{made['id']}/leaderboard?week=2025-W19"
    board = client.get(url, headers=pia.headers).json()
    assert [(r["display_name"], r["rides"]) for r in board["rows"]] == [("Olga", 2), ("Pia", 1)]
    assert (board["week"], board["starts_at"]) == ("2025-W19", "2025-05-05T00:00:00Z")
    assert board["rides"] == 3
    assert board["distance_m"] == pytest.approx(sum(r["distance_m"] for r in board["rows"]))
    assert board["rows"][0]["distance_m"] > board["rows"][1]["distance_m"] > 0
    assert [r["place"] for r in board["rows"]] == [1, 2]
    by_time = client.get(f"{url}&board=time", headers=pia.headers).json()
    times = [r["moving_time_s"] for r in by_time["rows"]]
    assert times == sorted(times, reverse=True) and by_time["board"] == "time"
    # A member the viewer blocks leaves the rows they see, not the club's totals.
    block(client, pia, owner)
    bob = rider(client, "Bob")
    join(client, bob, made["id"])
    block(client, bob, pia)
    seen = client.get(url, headers=bob.headers).json()
    assert ([r["display_name"] for r in seen["rows"]], seen["rides"]) == (["Olga"], 3)
    # Blocking the owner hides their club altogether (a block hides all of a rider's things).
    assert client.get(url, headers=pia.headers).status_code == 404
    empty = client.get(f"/api/v1/clubs/{made['id']}/leaderboard?week=2001-W01").json()
    assert (empty["rides"], empty["rows"]) == (0, [])
    bad = client.get(f"/api/v1/clubs/{made['id']}/leaderboard?week=2025-W60")
    assert bad.status_code == 422 and "week the year 2025 has" in bad.text


def test_the_leaderboard_lists_the_first_places_and_the_viewers_own(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activity, "BOARD_ROWS", 1)
    owner, pia, bob = rider(client, "Olga"), rider(client, "Pia"), rider(client, "Bob")
    made = club(client, owner)
    join(client, pia, made["id"])
    join(client, bob, made["id"])
    monday = datetime(2025, 5, 12, 7, tzinfo=UTC)  # 2025-W20
    _ride_at(client, owner, monday, "public")
    _ride_at(client, owner, monday + timedelta(days=1), "public")
    _ride_at(client, pia, monday + timedelta(days=2), "public")
    url = f"/api/v1/clubs/{made['id']}/leaderboard?week=2025-W20"

    def places(who: Rider) -> list[tuple[int, str]]:
        rows = client.get(url, headers=who.headers).json()["rows"]
        return [(r["place"], r["display_name"]) for r in rows]

    assert places(pia) == [(1, "Olga"), (2, "Pia")]
    assert places(bob) == [(1, "Olga")]  # no ride this week: no place of their own


def test_posts_and_club_rides_are_rate_limited_per_rider(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(activity, "MAX_WRITES_PER_WINDOW", 2)
    owner = rider(client, "Olga")
    made = club(client, owner)
    base = f"/api/v1/clubs/{made['id']}"
    for n in range(2):
        answer = client.post(f"{base}/posts", json={"body": f"post {n}"}, headers=owner.headers)
        assert answer.status_code == 201, answer.text
        _event(client, owner, made["id"], title=f"ride {n}")
    refused = client.post(f"{base}/posts", json={"body": "one more"}, headers=owner.headers)
    assert refused.status_code == 429 and "at most 2 posts in 10 minutes" in refused.text
    assert int(refused.headers["Retry-After"]) > 0
    ride = {"title": "x", "starts_at": SATURDAY}
    assert client.post(f"{base}/events", json=ride, headers=owner.headers).status_code == 429
