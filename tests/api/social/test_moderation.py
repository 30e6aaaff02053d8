"""Reports of riders, rides and comments; a moderator hides a comment or dismisses a report,
each action in the audit log with its reason; rate limits on reports and comments."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from bikenode.audit import list_events, verify_log
from tests.api.social.helpers import block, ride, rider
from tests.factories import admin_with_mfa


def _report(client: TestClient, who: dict[str, str], kind: str, id_: str, reason: str) -> Any:
    return client.post(
        "/api/v1/reports", json={"kind": kind, "id": id_, "reason": reason}, headers=who
    )


def test_a_hidden_comment_stays_for_its_author_only_and_the_action_is_audited(
    client: TestClient,
) -> None:
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    moderator, _ = admin_with_mfa(client)
    ride_id = ride(client, anna)
    url = f"/api/v1/rides/{ride_id}/comments"
    comment = client.post(url, json={"body": "buy cheap watches"}, headers=bob.headers).json()
    filed = _report(client, cleo.headers, "comment", comment["id"], "spam")
    assert filed.status_code == 201, filed.text
    again = _report(client, cleo.headers, "comment", comment["id"], "spam")
    assert again.json()["id"] == filed.json()["id"]
    queue = client.get("/api/v1/moderation/reports", headers=moderator).json()["items"]
    assert [(r["subject_kind"], r["subject_id"], r["reason"]) for r in queue] == [
        ("comment", comment["id"], "spam")
    ]
    for who in (anna, bob, cleo):  # riders are not moderators
        assert client.get("/api/v1/moderation/reports", headers=who.headers).status_code == 403

    hide = f"/api/v1/moderation/comments/{comment['id']}/hide"
    assert client.post(hide, json={"reason": "spam"}, headers=cleo.headers).status_code == 403
    assert client.post(hide, json={"reason": "spam link"}, headers=moderator).status_code == 204

    assert client.get(url, headers=cleo.headers).json()["items"] == []
    assert client.get(url, headers=anna.headers).json()["items"] == []
    [own] = client.get(url, headers=bob.headers).json()["items"]
    assert (own["id"], own["hidden"]) == (comment["id"], True)
    assert client.get("/api/v1/moderation/reports", headers=moderator).json()["items"] == []
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        [event] = [e for e in list_events(db) if e.event_type == "social.comment_hidden"]
        assert str(event.subject_id) == bob.id
        assert event.details == {"comment_id": comment["id"], "reason": "spam link"}
        assert verify_log(db)[2] == []  # the chain holds


def test_a_dismissed_report_is_audited_and_settled_once(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    moderator, _ = admin_with_mfa(client)
    report = _report(client, bob.headers, "user", anna.id, "rude name").json()
    dismiss = f"/api/v1/moderation/reports/{report['id']}/dismiss"
    assert (
        client.post(dismiss, json={"reason": "nothing wrong"}, headers=moderator).status_code == 204
    )
    twice = client.post(dismiss, json={"reason": "again"}, headers=moderator)
    assert twice.status_code == 422 and "dismissed" in twice.json()["detail"]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        [event] = [e for e in list_events(db) if e.event_type == "social.report_dismissed"]
        assert event.details == {"report_id": report["id"], "reason": "nothing wrong"}


def test_only_what_the_reporter_may_see_can_be_reported(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    private = ride(client, anna, "private")
    assert _report(client, bob.headers, "ride", private, "x").status_code == 404
    assert _report(client, bob.headers, "comment", str(uuid.uuid4()), "x").status_code == 404
    assert _report(client, bob.headers, "user", bob.id, "x").status_code == 422
    block(client, anna, bob)
    assert _report(client, bob.headers, "user", anna.id, "x").status_code == 404
    long = _report(client, anna.headers, "ride", private, "x" * 501)
    assert long.status_code == 422 and "at most 500" in str(long.json()["detail"])
    assert (
        client.post(
            "/api/v1/reports",
            json={"kind": "club", "id": anna.id, "reason": "x"},
            headers=anna.headers,
        ).status_code
        == 422
    )


def test_reports_and_comments_are_rate_limited_against_spam(client: TestClient) -> None:
    anna, bob = rider(client, "Anna"), rider(client, "Bob")
    rides = [ride(client, anna) for _ in range(3)]
    url = f"/api/v1/rides/{rides[0]}/comments"
    answers = [
        client.post(url, json={"body": f"n{n}"}, headers=bob.headers).status_code for n in range(31)
    ]
    assert answers == [201] * 30 + [429]
    for n in range(20):
        other = rider(client, f"R{n}")
        assert _report(client, bob.headers, "user", other.id, "x").status_code == 201
    refused = _report(client, bob.headers, "ride", rides[1], "x")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
