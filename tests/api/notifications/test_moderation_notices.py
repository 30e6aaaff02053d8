"""A rider acted on by a moderator hears what was done and how to appeal, in the app and by
e-mail: never who reported it, never the moderator's name nor the reason's text, and nobody
else hears of it."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.notifications.models import Notification, NotificationDelivery
from tests.api.social.helpers import block, ride, rider
from tests.factories import admin_with_mfa

API = "/api/v1/notifications"
ACTIONS = "/api/v1/moderation/actions"
REASON = "zz-moderator-reason-51ab"
REPORT = "zz-reporter-words-9f3c"


def _inbox(client: TestClient, headers: dict[str, str]) -> list[dict[str, Any]]:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    answer = client.get(API, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items[::-1]


def _act(client: TestClient, moderator: dict[str, str], **body: Any) -> Any:
    answer = client.post(ACTIONS, json={"reason": REASON, **body}, headers=moderator)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_hidden_comment_and_a_warning_tell_their_author_how_to_appeal_and_nobody_else(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, bob, cleo = rider(client, "Anna"), rider(client, "Bob"), rider(client, "Cleo")
    ride_id = ride(client, anna)
    url = f"/api/v1/rides/{ride_id}/comments"
    comment = client.post(url, json={"body": "hello"}, headers=bob.headers).json()
    report = {"kind": "comment", "id": comment["id"], "reason": REPORT}
    assert client.post("/api/v1/reports", json=report, headers=cleo.headers).status_code == 201
    block(client, bob, cleo)  # the reporter blocked by the author changes nothing
    [queued] = client.get("/api/v1/moderation/queue", headers=moderator).json()["reports"]
    hidden = _act(client, moderator, kind="hide", report_id=queued["id"])
    _act(client, moderator, kind="warn", object_kind="user", object_id=bob.id)

    told = [n for n in _inbox(client, bob.headers) if n["type"] == "moderation_action"]
    assert [n["title"] for n in told] == [
        "A moderator hid something of yours",
        "A moderator warned you",
    ]
    assert "one of your comments" in told[0]["text"] and "appeal" in told[0]["text"]
    assert {n["link"] for n in told} == {"/moderation"}
    shown = " ".join(n["title"] + n["text"] for n in told)
    for secret in ("Cleo", "Anna", REASON, REPORT, "hello", "report"):
        assert secret not in shown
    # Where the link leads, the action is listed with its reason and may be appealed.
    mine = client.get("/api/v1/me/moderation-actions", headers=bob.headers).json()["items"]
    assert hidden["id"] in {a["id"] for a in mine}
    for other in (anna, cleo):
        assert [n for n in _inbox(client, other.headers) if n["type"] == "moderation_action"] == []
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        rows = db.scalars(
            select(NotificationDelivery.channel)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(Notification.type == "moderation_action")
        ).all()
    assert rows == ["email", "email"]  # by e-mail too, by default


def test_a_suspended_rider_is_told_by_e_mail_as_they_cannot_sign_in(client: TestClient) -> None:
    moderator, _ = admin_with_mfa(client)
    bob = rider(client, "Bob")
    _act(client, moderator, kind="suspend", object_kind="user", object_id=bob.id)
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        [notice] = db.scalars(
            select(Notification).where(Notification.user_id == uuid.UUID(bob.id))
        ).all()
        [channel] = db.scalars(
            select(NotificationDelivery.channel).where(
                NotificationDelivery.notification_id == notice.id
            )
        ).all()
    assert notice.title == "Your account was suspended" and channel == "email"
    assert "until a moderator lifts it" in notice.text and "appeal" in notice.text
    assert REASON not in notice.text
