"""Moderators and their actions: the moderator grant, the queue, hide / warn / suspend and
lifting, a suspended rider locked out with their content kept but hidden, appeals once per
action, every step in the audit log with its reason and moderator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from bikenode.accounts.models import User
from bikenode.audit import list_events, verify_log
from bikenode.social.models import ModerationAction
from tests.api.social.helpers import Rider, follow, ride, rider
from tests.factories import admin_with_mfa, enable_mfa, signed_in

ACTIONS = "/api/v1/moderation/actions"
QUEUE = "/api/v1/moderation/queue"


def _act(client: TestClient, moderator: dict[str, str], **body: Any) -> Any:
    return client.post(ACTIONS, json={"reason": "breaks the rules", **body}, headers=moderator)


def _events(client: TestClient, prefix: str) -> list[Any]:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert verify_log(db)[2] == []  # the chain holds
        return [e for e in list_events(db, limit=500) if e.event_type.startswith(prefix)]


def _rider_with_login(client: TestClient, name: str) -> tuple[Rider, dict[str, Any]]:
    payload, headers = signed_in(client, display_name=name)
    me = client.get("/api/v1/me", headers=headers).json()
    return Rider(me["id"], name, headers), payload


def _login(client: TestClient, payload: dict[str, Any]) -> Any:
    body = {"email": payload["email"], "password": payload["password"]}
    return client.post("/api/v1/auth/login", json=body)


def test_an_admin_grants_and_revokes_moderation_and_both_are_audited(client: TestClient) -> None:
    admin, _ = admin_with_mfa(client)
    mia, dan = rider(client, "Mia"), rider(client, "Dan")
    grant = f"/api/v1/users/{mia.id}/moderator"
    assert client.put(grant, headers=dan.headers).status_code == 403  # riders may not
    assert client.put(grant, headers=admin).status_code == 204
    assert client.get("/api/v1/me", headers=mia.headers).json()["moderator"] is True
    refused = client.get(QUEUE, headers=mia.headers)  # a moderator needs MFA first
    assert refused.status_code == 403 and "two-factor" in refused.json()["detail"]
    enable_mfa(client, mia.headers)
    assert client.get(QUEUE, headers=mia.headers).status_code == 200
    assert client.get(QUEUE, headers=dan.headers).status_code == 403
    assert client.delete(grant, headers=admin).status_code == 204
    assert client.get(QUEUE, headers=mia.headers).status_code == 403
    kinds = [(e.event_type, str(e.subject_id)) for e in _events(client, "accounts.moderator")]
    assert kinds == [("accounts.moderator_revoked", mia.id), ("accounts.moderator_granted", mia.id)]
    missing = client.put(
        "/api/v1/users/00000000-0000-4000-8000-000000000000/moderator", headers=admin
    )
    assert missing.status_code == 404


def test_the_queue_lists_open_reports_oldest_first_with_a_summary(client: TestClient) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id = ride(client, anna)
    comment = client.post(
        f"/api/v1/rides/{ride_id}/comments", json={"body": "cheap watches"}, headers=bob.headers
    ).json()
    for kind, id_ in (("ride", ride_id), ("comment", comment["id"]), ("user", bob.id)):
        body = {"kind": kind, "id": id_, "reason": f"bad {kind}"}
        who = bob if kind == "ride" else anna
        assert client.post("/api/v1/reports", json=body, headers=who.headers).status_code == 201
    queue = client.get(QUEUE, headers=moderator).json()
    got = [(r["subject_kind"], r["owner_name"], r["reason"]) for r in queue["reports"]]
    assert got == [("ride", "Anna", "bad ride"), ("comment", "Bob", "bad comment"),
                   ("user", "Bob", "bad user")]  # fmt: skip
    assert "km" in queue["reports"][0]["summary"]
    assert queue["reports"][1]["summary"] == "cheap watches"
    assert queue["appeals"] == []


def test_a_suspended_rider_is_locked_out_and_hidden_until_the_suspension_is_lifted(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    bob, cleo = rider(client, "Bob"), rider(client, "Cleo")
    cleo_ride, anna_ride = ride(client, cleo), ride(client, anna)  # Anna's is the newer
    follow(client, bob, anna)
    follow(client, bob, cleo)
    comments = f"/api/v1/rides/{cleo_ride}/comments"
    client.post(comments, json={"body": "nice"}, headers=anna.headers)
    client.post(f"/api/v1/rides/{cleo_ride}/kudos", headers=anna.headers)

    def feed() -> list[tuple[str, int, int]]:
        items = client.get("/api/v1/feed", headers=bob.headers).json()["items"]
        return [(i["id"], i["kudos"], i["comments"]) for i in items]

    report = client.post(
        "/api/v1/reports",
        json={"kind": "user", "id": anna.id, "reason": "spam"},
        headers=bob.headers,
    ).json()
    until = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    acted = _act(client, moderator, kind="suspend", report_id=report["id"], until=until.isoformat())
    assert acted.status_code == 201, acted.text
    action = acted.json()
    assert (action["user_id"], action["active"], action["kind"]) == (anna.id, True, "suspend")

    # Locked out: the old token stops working, sign-in says until when, nothing is posted.
    assert client.get("/api/v1/me", headers=anna.headers).status_code == 401
    assert client.post(comments, json={"body": "hi"}, headers=anna.headers).status_code == 401
    refused = _login(client, login)
    assert refused.status_code == 403 and until.date().isoformat() in refused.json()["detail"]
    # Hidden from others, kept: ride, comment, profile, feed.
    assert client.get(f"/api/v1/rides/{anna_ride}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/rides/{anna_ride}").status_code == 404
    assert client.get(comments, headers=cleo.headers).json()["items"] == []
    assert client.get(f"/api/v1/users/{anna.id}", headers=bob.headers).status_code == 404
    assert feed() == [(cleo_ride, 0, 0)]  # nor their kudos and comments counted
    assert client.get(QUEUE, headers=moderator).json()["reports"] == []  # settled

    lift = client.post(
        f"{ACTIONS}/{action['id']}/lift", json={"reason": "served"}, headers=moderator
    )
    assert lift.status_code == 200 and lift.json()["active"] is False
    again = client.post(f"{ACTIONS}/{action['id']}/lift", json={"reason": "x"}, headers=moderator)
    assert again.status_code == 409
    assert _login(client, login).status_code == 200
    assert client.get(f"/api/v1/rides/{anna_ride}", headers=bob.headers).status_code == 200
    assert [
        c["author_name"] for c in client.get(comments, headers=cleo.headers).json()["items"]
    ] == ["Anna"]
    assert feed() == [(anna_ride, 0, 0), (cleo_ride, 1, 1)]
    audited = _events(client, "social.moderation")
    assert [e.event_type for e in audited] == [
        "social.moderation_lifted",
        "social.moderation_suspend",
    ]
    assert {str(e.subject_id) for e in audited} == {anna.id}
    assert {str(e.actor_id) for e in audited} == {
        client.get("/api/v1/me", headers=moderator).json()["id"]
    }
    assert [e.details["reason"] for e in audited] == ["served", "breaks the rules"]


def test_a_timed_suspension_ends_by_itself(client: TestClient) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    bob = rider(client, "Bob")
    anna_ride = ride(client, anna)
    until = datetime.now(UTC) + timedelta(hours=1)
    acted = _act(client, moderator, kind="suspend", object_kind="user", object_id=anna.id,
                 until=until.isoformat())  # fmt: skip
    assert acted.status_code == 201, acted.text
    assert _login(client, login).status_code == 403
    past = datetime.now(UTC) - timedelta(seconds=1)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        db.execute(update(ModerationAction).values(until=past))  # the hour went by
        db.execute(update(User).where(User.email == login["email"]).values(suspended_until=past))
        db.commit()
    assert _login(client, login).status_code == 200
    assert client.get(f"/api/v1/rides/{anna_ride}", headers=bob.headers).status_code == 200
    mine = client.get("/api/v1/me/moderation-actions", headers=_headers(client, login)).json()
    assert [(a["kind"], a["active"]) for a in mine["items"]] == [("suspend", False)]


def _headers(client: TestClient, payload: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {_login(client, payload).json()['access_token']}"}


def test_a_suspension_for_good_says_so_and_bad_actions_get_clear_answers(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    ride_id = ride(client, anna)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    bad = [
        ({"kind": "dismiss", "object_kind": "user", "object_id": anna.id}, 422, "report_id"),
        ({"kind": "hide", "object_kind": "user", "object_id": anna.id}, 422, "ride or a comment"),
        ({"kind": "warn", "object_kind": "ride", "object_id": ride_id, "until": past}, 422, "no end"),
        ({"kind": "suspend", "object_kind": "user", "object_id": anna.id, "until": past}, 422,
         "end date"),
        ({"kind": "warn"}, 422, "object_kind"),
        ({"kind": "ban", "object_kind": "user", "object_id": anna.id}, 422, ""),
        ({"kind": "warn", "object_kind": "ride", "object_id": anna.id}, 404, "ride"),
    ]  # fmt: skip
    for body, code, words in bad:
        answer = _act(client, moderator, **body)
        assert answer.status_code == code, (body, answer.text)
        assert words in str(answer.json()["detail"])
    assert (
        _act(client, moderator, kind="suspend", object_kind="user", object_id=anna.id).status_code
        == 201
    )
    refused = _login(client, login)
    assert refused.status_code == 403 and "for good" in refused.json()["detail"]
    other_admin, _ = admin_with_mfa(client, email="second-admin@example.org")
    admin_id = client.get("/api/v1/me", headers=other_admin).json()["id"]
    locked = _act(client, moderator, kind="suspend", object_kind="user", object_id=admin_id)
    assert locked.status_code == 403 and "admin" in locked.json()["detail"]
    assert client.get("/api/v1/me", headers=other_admin).status_code == 200


def test_a_hidden_ride_leaves_every_view_but_its_owners_until_lifted(client: TestClient) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    ride_id, other = ride(client, anna), ride(client, anna)
    follow(client, bob, anna)
    acted = _act(client, moderator, kind="hide", object_kind="ride", object_id=ride_id)
    assert acted.status_code == 201, acted.text
    assert client.get(f"/api/v1/rides/{ride_id}", headers=bob.headers).status_code == 404
    assert client.get(f"/api/v1/rides/{ride_id}").status_code == 404
    assert client.get(f"/api/v1/rides/{ride_id}", headers=anna.headers).status_code == 200
    feed = client.get("/api/v1/feed", headers=bob.headers).json()["items"]
    assert [i["id"] for i in feed] == [other]
    profile = client.get(f"/api/v1/users/{anna.id}/rides", headers=bob.headers).json()["items"]
    assert [i["id"] for i in profile] == [other]
    lift = f"{ACTIONS}/{acted.json()['id']}/lift"
    assert client.post(lift, json={"reason": "fine"}, headers=moderator).status_code == 200
    assert client.get(f"/api/v1/rides/{ride_id}", headers=bob.headers).status_code == 200


def test_the_affected_rider_appeals_once_and_an_overturn_restores_the_comment(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    ride_id = ride(client, anna)
    url = f"/api/v1/rides/{ride_id}/comments"
    comment = client.post(url, json={"body": "hello"}, headers=bob.headers).json()
    hidden = _act(client, moderator, kind="hide", object_kind="comment", object_id=comment["id"])
    warned = _act(client, moderator, kind="warn", object_kind="user", object_id=bob.id)
    assert hidden.status_code == warned.status_code == 201
    assert client.get(url, headers=cleo.headers).json()["items"] == []

    mine = client.get("/api/v1/me/moderation-actions", headers=bob.headers).json()["items"]
    assert [a["kind"] for a in mine] == ["warn", "hide"]
    assert client.get("/api/v1/me/moderation-actions", headers=cleo.headers).json()["items"] == []
    appeal = f"/api/v1/me/moderation-actions/{hidden.json()['id']}/appeal"
    assert (
        client.post(appeal, json={"text": "it was a greeting"}, headers=cleo.headers).status_code
        == 404
    )
    too_long = client.post(appeal, json={"text": "x" * 2001}, headers=bob.headers)
    assert too_long.status_code == 422 and "at most 2000" in str(too_long.json()["detail"])
    first = client.post(appeal, json={"text": "it was a greeting"}, headers=bob.headers)
    assert first.status_code == 200 and first.json()["appeal_status"] == "pending"
    second = client.post(appeal, json={"text": "please"}, headers=bob.headers)
    assert second.status_code == 409 and "once" in second.json()["detail"]

    [queued] = client.get(QUEUE, headers=moderator).json()["appeals"]
    assert (queued["id"], queued["appeal_text"]) == (hidden.json()["id"], "it was a greeting")
    decide = f"{ACTIONS}/{queued['id']}/appeal"
    body = {"decision": "overturn", "reason": "a greeting indeed"}
    assert client.post(decide, json=body, headers=bob.headers).status_code == 403
    decided = client.post(decide, json=body, headers=moderator)
    assert decided.status_code == 200, decided.text
    assert (decided.json()["appeal_status"], decided.json()["active"]) == ("overturned", False)
    assert client.post(decide, json=body, headers=moderator).status_code == 409
    assert [c["body"] for c in client.get(url, headers=cleo.headers).json()["items"]] == ["hello"]
    assert client.get(QUEUE, headers=moderator).json()["appeals"] == []

    warn_appeal = f"/api/v1/me/moderation-actions/{warned.json()['id']}/appeal"
    client.post(warn_appeal, json={"text": "why"}, headers=bob.headers)
    upheld = client.post(
        f"{ACTIONS}/{warned.json()['id']}/appeal",
        json={"decision": "uphold", "reason": "stands"},
        headers=moderator,
    )
    assert (upheld.json()["appeal_status"], upheld.json()["active"]) == ("upheld", True)
    types = [e.event_type for e in _events(client, "social.appeal")]
    assert types == ["social.appeal_upheld", "social.appeal_overturned"]
    assert len(_events(client, "social.moderation_appealed")) == 2


def test_a_muted_riders_rides_leave_the_feed_and_nothing_else_changes(client: TestClient) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    anna_ride, cleo_ride = ride(client, anna), ride(client, cleo)
    follow(client, bob, anna)
    follow(client, bob, cleo)

    def feed() -> list[str]:
        answer = client.get("/api/v1/feed", headers=bob.headers)
        return [i["id"] for i in answer.json()["items"]]

    assert set(feed()) == {anna_ride, cleo_ride}
    mute = f"/api/v1/users/{anna.id}/mute"
    assert client.post(mute, headers=bob.headers).status_code == 204
    assert client.post(mute, headers=bob.headers).status_code == 204  # again: no change
    assert feed() == [cleo_ride]
    mutes = client.get("/api/v1/me/mutes", headers=bob.headers).json()["items"]
    assert [m["display_name"] for m in mutes] == ["Anna"]
    # Nothing else: the ride, the follow and Anna's view stay as they were.
    assert client.get(f"/api/v1/rides/{anna_ride}", headers=bob.headers).status_code == 200
    profile = client.get(f"/api/v1/users/{anna.id}", headers=bob.headers).json()
    assert profile["follow_status"] == "accepted"
    followers = client.get(f"/api/v1/users/{anna.id}/followers", headers=anna.headers).json()
    assert [f["display_name"] for f in followers["items"]] == ["Bob"]
    assert client.post(f"/api/v1/users/{bob.id}/mute", headers=bob.headers).status_code == 422
    assert client.delete(mute, headers=bob.headers).status_code == 204
    assert client.delete(mute, headers=bob.headers).status_code == 404
    assert set(feed()) == {anna_ride, cleo_ride}
