"""Segment boards beyond the overall one: moderation withholds efforts from every board,
club boards for members only, age and weight classes for riders who share them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.segments.test_segments_api import T0, Rider
from tests.factories import admin_with_mfa

ACTIONS = "/api/v1/moderation/actions"


def _segment(owner: Rider, ride_id: str) -> str:
    body = {"name": "Bends", "from_ride": {"ride_id": ride_id, "start_m": 1000.0, "end_m": 3000.0}}
    return str(owner.call("POST", "/segments", body, 201)["id"])


def _board(who: Rider, segment_id: str, query: str = "") -> list[str]:
    board = who.call("GET", f"/segments/{segment_id}/leaderboard{query}")
    return [e["rider_id"] for e in board["entries"]]


def _act(client: TestClient, moderator: dict[str, str], **body: Any) -> str:
    acted = client.post(ACTIONS, json={"reason": "breaks the rules", **body}, headers=moderator)
    assert acted.status_code == 201, acted.text
    return str(acted.json()["id"])


def _lift(client: TestClient, moderator: dict[str, str], action_id: str) -> None:
    lifted = client.post(f"{ACTIONS}/{action_id}/lift", json={"reason": "ok"}, headers=moderator)
    assert lifted.status_code == 200, lifted.text


def test_a_hidden_ride_and_a_suspended_rider_leave_every_board_until_lifted(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob, cleo = Rider(client), Rider(client), Rider(client)
    annas = anna.upload(10.0)
    segment = _segment(anna, annas)
    bob.upload(9.0, t0=T0 + 86_400)
    assert _board(cleo, segment) == [anna.id, bob.id]

    hidden = _act(client, moderator, kind="hide", object_kind="ride", object_id=annas)
    for period in ("", "?period=year", "?period=month"):
        assert anna.id not in _board(cleo, segment, period)
    assert _board(anna, segment) == [anna.id, bob.id]  # the owner still sees their own
    _lift(client, moderator, hidden)
    assert _board(cleo, segment) == [anna.id, bob.id]

    suspended = _act(client, moderator, kind="suspend", object_kind="user", object_id=bob.id)
    assert _board(cleo, segment) == [anna.id]
    _lift(client, moderator, suspended)
    assert _board(cleo, segment) == [anna.id, bob.id]


def _times(who: Rider, segment_id: str, query: str = "") -> dict[str, float]:
    board = who.call("GET", f"/segments/{segment_id}/leaderboard{query}")
    return {e["rider_id"]: round(e["effort"]["elapsed_s"]) for e in board["entries"]}


def test_a_best_on_a_private_ride_leaves_others_the_riders_next_best(client: TestClient) -> None:
    anna, bob, cleo = Rider(client), Rider(client), Rider(client)
    segment = _segment(anna, anna.upload(8.0))  # 250 s, public
    anna.upload(10.0, visibility="private", t0=T0 + 86_400)  # 200 s
    bob.upload(9.0, t0=T0 + 2 * 86_400)  # 222 s
    assert _times(cleo, segment) == {bob.id: 222, anna.id: 250}
    assert list(_times(cleo, segment)) == [bob.id, anna.id]
    assert list(_times(anna, segment).items()) == [(anna.id, 200), (bob.id, 222)]


def test_a_best_on_a_ride_a_moderator_hid_leaves_others_the_riders_next_best(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob, cleo = Rider(client), Rider(client), Rider(client)
    segment = _segment(anna, anna.upload(8.0))  # 250 s
    fastest = anna.upload(10.0, t0=T0 + 86_400)  # 200 s
    bob.upload(9.0, t0=T0 + 2 * 86_400)  # 222 s
    assert list(_times(cleo, segment).items()) == [(anna.id, 200), (bob.id, 222)]

    hidden = _act(client, moderator, kind="hide", object_kind="ride", object_id=fastest)
    for period in ("", "?period=year"):  # rides of May: this month's board is empty
        assert list(_times(cleo, segment, period).items()) == [(bob.id, 222), (anna.id, 250)]
    assert list(_times(anna, segment).items()) == [(anna.id, 200), (bob.id, 222)]
    _lift(client, moderator, hidden)
    assert list(_times(cleo, segment).items()) == [(anna.id, 200), (bob.id, 222)]


def _club(owner: Rider, **fields: Any) -> str:
    return str(
        owner.call("POST", "/clubs", {"name": "Dawn Patrol", "sport": "road", **fields}, 201)["id"]
    )


def test_a_club_board_ranks_only_its_active_members_and_only_members_may_read_it(
    client: TestClient,
) -> None:
    anna, bob, cleo, dan = Rider(client), Rider(client), Rider(client), Rider(client)
    annas = anna.upload(10.0)
    segment = _segment(anna, annas)
    bob.upload(9.0, t0=T0 + 86_400)
    cleo.upload(11.0, t0=T0 + 2 * 86_400, visibility="private")
    dan.upload(12.0, t0=T0 + 3 * 86_400)
    club = _club(anna, private=True)
    cleo.call("POST", f"/clubs/{club}/membership")
    anna.call("POST", f"/clubs/{club}/requests/{cleo.id}", expect=204)
    bob.call("POST", f"/clubs/{club}/membership")  # pending: not yet a member
    assert _board(anna, segment, f"?club={club}") == [anna.id]  # Cleo's ride is private
    assert _board(cleo, segment, f"?club={club}") == [cleo.id, anna.id]  # her own counts
    assert _board(anna, segment) == [dan.id, anna.id, bob.id]
    for outsider in (bob, dan):
        outsider.call("GET", f"/segments/{segment}/leaderboard?club={club}", expect=404)
    answer = client.get(f"/api/v1/segments/{segment}/leaderboard?club={club}")
    assert answer.status_code in (401, 404)
    anna.call("GET", f"/segments/{segment}/leaderboard?club=not-a-club", expect=422)


def test_age_and_weight_classes_rank_only_riders_who_share_them(client: TestClient) -> None:
    anna, bob, cleo = Rider(client), Rider(client), Rider(client)
    anna.call("PATCH", "/me", {"birth_year": 1985, "weight_kg": 72.0, "share_board_classes": True})
    bob.call("PATCH", "/me", {"birth_year": 1960, "weight_kg": 80.0, "share_board_classes": True})
    cleo.call("PATCH", "/me", {"birth_year": 1985, "weight_kg": 70.0})  # does not share
    assert cleo.call("GET", "/me")["share_board_classes"] is False
    segment = _segment(anna, anna.upload(10.0))  # 2026: Anna 41, Bob 66
    bob.upload(9.0, t0=T0 + 86_400)
    cleo.upload(12.0, t0=T0 + 2 * 86_400)
    assert _board(cleo, segment) == [cleo.id, anna.id, bob.id]
    assert _board(cleo, segment, "?age=35-44") == [anna.id]
    assert _board(cleo, segment, "?age=65%2B") == [bob.id]
    assert _board(cleo, segment, "?age=65+") == [bob.id]  # an unescaped plus
    assert _board(cleo, segment, "?weight=65-74") == [anna.id]
    assert _board(anna, segment, "?age=35-44&weight=75-84") == []
    assert _board(cleo, segment, "?age=35-44&period=year") == [anna.id]
    assert _board(anna, segment, "?age=35-44&period=month") == []
    anna.call("PATCH", "/me", {"share_board_classes": False})
    assert _board(bob, segment, "?age=35-44") == []
    problem = cleo.call("GET", f"/segments/{segment}/leaderboard?age=30-40", expect=422)
    assert "25-34" in problem["detail"]
    cleo.call("GET", f"/segments/{segment}/leaderboard?weight=heavy", expect=422)


def test_a_weight_class_uses_the_riders_weight_on_the_efforts_day(client: TestClient) -> None:
    anna, bob = Rider(client), Rider(client)
    anna.call("PATCH", "/me", {"weight_kg": 72.0, "share_board_classes": True})
    bob.call("PATCH", "/me", {"weight_kg": 80.0, "share_board_classes": True})  # no weighings
    weighings = [
        ("2026-05-20", 86.0, "manual"),  # before her first effort (28 May)
        ("2026-06-01", 78.0, "manual"),  # before her second (7 June), with a second scale:
        ("2026-06-01", 80.0, "scale"),  # that day she weighed 79 kg
        ("2026-06-20", 60.0, "manual"),  # after both: counts for neither
    ]
    metrics = [{"day": d, "metric": "weight_kg", "value": v, "source": s} for d, v, s in weighings]
    anna.call("POST", "/health/metrics", {"metrics": metrics}, 201)
    segment = _segment(anna, anna.upload(8.0))  # 250 s on 28 May
    anna.upload(10.0, t0=T0 + 10 * 86_400)  # 200 s on 7 June
    bob.upload(9.0, t0=T0 + 86_400)  # 222 s
    assert _times(bob, segment, "?weight=85-94") == {anna.id: 250}
    assert list(_times(bob, segment, "?weight=75-84").items()) == [(anna.id, 200), (bob.id, 222)]
    assert _times(bob, segment, "?weight=65-74") == {}  # her current weight: not then
    assert _times(bob, segment, "?weight=55-64") == {}
