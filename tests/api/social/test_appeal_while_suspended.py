"""A suspended rider appeals: their refused sign-in answers an appeal token that opens the
appeal routes and nothing else; the decision is read the same way."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.social.helpers import ride, rider
from tests.api.social.test_moderation_actions import ACTIONS, _act, _login, _rider_with_login
from tests.factories import admin_with_mfa, enable_mfa, totp_code

MINE = "/api/v1/me/moderation-actions"


def _appeal_headers(client: TestClient, login: dict[str, Any]) -> dict[str, str]:
    refused = _login(client, login)
    assert refused.status_code == 403, refused.text
    assert "suspended" in refused.json()["detail"]
    return {"Authorization": f"Bearer {refused.json()['appeal_token']}"}


def test_a_suspended_rider_reaches_the_appeal_routes_alone_and_reads_the_decision(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    bob = rider(client, "Bob")
    bob_ride = ride(client, bob)
    others = _act(client, moderator, kind="warn", object_kind="user", object_id=bob.id).json()
    acted = _act(client, moderator, kind="suspend", object_kind="user", object_id=anna.id)
    assert acted.status_code == 201, acted.text
    action_id = acted.json()["id"]
    appeal = _appeal_headers(client, login)

    mine = client.get(MINE, headers=appeal)
    assert mine.status_code == 200, mine.text
    assert [(a["id"], a["kind"], a["active"]) for a in mine.json()["items"]] == [
        (action_id, "suspend", True)
    ]
    assert client.get(f"{MINE}/{action_id}", headers=appeal).json()["appeal_status"] is None
    assert client.get(f"{MINE}/{others['id']}", headers=appeal).status_code == 404
    assert (
        client.post(f"{MINE}/{others['id']}/appeal", json={"text": "x"}, headers=appeal).status_code
        == 404
    )
    # Everything else stays refused: the appeal token is no access token.
    for method, path in (
        ("get", "/api/v1/me"), ("get", "/api/v1/feed"), ("get", f"/api/v1/rides/{bob_ride}"),
        ("get", "/api/v1/moderation/queue"), ("get", "/api/v1/clubs"), ("get", "/api/v1/rides"),
    ):  # fmt: skip
        answer = client.request(method.upper(), path, headers=appeal)
        assert answer.status_code == 401, (path, answer.status_code)
    comment = client.post(f"/api/v1/rides/{bob_ride}/comments", json={"body": "hi"}, headers=appeal)
    assert comment.status_code == 401
    assert client.post(
        "/api/v1/auth/refresh", json={"refresh_token": appeal["Authorization"][7:]}
    ).status_code in (401, 422)

    appealed = client.post(f"{MINE}/{action_id}/appeal", json={"text": "a mistake"}, headers=appeal)
    assert appealed.status_code == 200, appealed.text
    assert appealed.json()["appeal_status"] == "pending"
    again = client.post(f"{MINE}/{action_id}/appeal", json={"text": "please"}, headers=appeal)
    assert again.status_code == 409
    assert _login(client, login).status_code == 403  # still suspended while it waits

    body = {"decision": "overturn", "reason": "a mix-up"}
    decided = client.post(f"{ACTIONS}/{action_id}/appeal", json=body, headers=moderator)
    assert decided.status_code == 200, decided.text
    read = client.get(f"{MINE}/{action_id}", headers=appeal).json()
    assert (read["appeal_status"], read["active"]) == ("overturned", False)
    assert _login(client, login).status_code == 200  # overturned: signed in again


def test_an_upheld_appeal_is_read_with_a_fresh_appeal_token_and_bad_tokens_are_refused(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    action_id = _act(
        client, moderator, kind="suspend", object_kind="user", object_id=anna.id
    ).json()["id"]
    appeal = _appeal_headers(client, login)
    client.post(f"{MINE}/{action_id}/appeal", json={"text": "a mistake"}, headers=appeal)
    body = {"decision": "uphold", "reason": "it was not"}
    assert (
        client.post(f"{ACTIONS}/{action_id}/appeal", json=body, headers=moderator).status_code
        == 200
    )
    later = _appeal_headers(client, login)  # another sign-in attempt, another token
    read = client.get(f"{MINE}/{action_id}", headers=later).json()
    assert (read["appeal_status"], read["active"]) == ("upheld", True)
    wrong = dict(_login(client, {**login, "password": "not-the-password-1"}).json())
    assert "appeal_token" not in wrong  # only after the right password
    forged = {"Authorization": f"Bearer {later['Authorization'][7:-2]}xx"}
    assert client.get(MINE, headers=forged).status_code == 401
    assert client.get(MINE).status_code == 401


def test_with_two_factor_on_the_appeal_token_comes_after_the_second_factor(
    client: TestClient,
) -> None:
    moderator, _ = admin_with_mfa(client)
    anna, login = _rider_with_login(client, "Anna")
    secret, _ = enable_mfa(client, anna.headers)
    _act(client, moderator, kind="suspend", object_kind="user", object_id=anna.id)
    first = _login(client, login)
    assert first.status_code == 200 and "appeal_token" not in first.json()  # the code first
    step = {"mfa_token": first.json()["mfa_token"], "code": "000000"}
    wrong = client.post("/api/v1/auth/login/mfa", json=step)
    assert wrong.status_code == 401 and "appeal_token" not in wrong.json()
    step["code"] = totp_code(secret, step_offset=1)  # the enrolment used the current step
    refused = client.post("/api/v1/auth/login/mfa", json=step)
    assert refused.status_code == 403 and "suspended" in refused.json()["detail"]
    appeal = {"Authorization": f"Bearer {refused.json()['appeal_token']}"}
    assert client.get(MINE, headers=appeal).status_code == 200
    assert client.get("/api/v1/me", headers=appeal).status_code == 401
