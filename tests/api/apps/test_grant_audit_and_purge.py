"""Giving and revoking grants, removing apps, personal tokens and a replayed refresh token
leave audit entries; retention purges dead codes and tokens and never a live one."""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bikenode.apps import expired_credentials
from bikenode.apps.models import AppGrant, AppToken, AuthorizationCode, PersonalToken
from bikenode.audit import list_events, verify_log
from bikenode.db.base import utcnow
from tests.factories import signed_in

OAUTH = "https://testserver"  # Authlib refuses plain http outside loopback redirect URIs
REDIRECT = "https://coach.example.org/cb"


class Rider:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.headers = signed_in(client)
        self.id = uuid.UUID(client.get("/api/v1/me", headers=self.headers).json()["id"])
        body = {"name": "Coach tool", "redirect_uris": [REDIRECT], "confidential": False}
        made = client.post("/api/v1/apps", json=body, headers=self.headers)
        assert made.status_code == 201, made.text
        self.app_id, self.client_id = made.json()["id"], made.json()["client_id"]

    def authorize(self, scope: str = "rides:read") -> dict[str, Any]:
        """The PKCE flow with the rider's consent: the app's first tokens."""
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": REDIRECT,
            "scope": scope,
            "state": "s1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        decided = self.client.post(
            f"{OAUTH}/oauth/authorize", data={**params, "decision": "allow"}, headers=self.headers
        )
        assert decided.status_code == 200, decided.text
        code = parse_qs(urlsplit(decided.json()["redirect_to"]).query)["code"][0]
        exchange = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": self.client_id,
            "code_verifier": verifier,
        }
        return self.token(exchange)

    def token(self, form: dict[str, str]) -> dict[str, Any]:
        answer = self.client.post(f"{OAUTH}/oauth/token", data=form)
        assert answer.status_code == 200, answer.text
        tokens: dict[str, Any] = answer.json()
        return tokens

    def refresh(self, refresh_token: str) -> Any:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self.client.post(f"{OAUTH}/oauth/token", data={**form, "client_id": self.client_id})

    def grant_ids(self) -> list[str]:
        answer = self.client.get("/api/v1/me/grants", headers=self.headers)
        return [grant["id"] for grant in answer.json()["grants"]]


def _events(session: Session, rider: Rider) -> list[tuple[str, dict[str, Any]]]:
    found = [(e.event_type, e.details) for e in list_events(session, subject_id=rider.id)]
    session.rollback()  # end the read: it would hold SQLite's lock on the next write
    return [(kind, details) for kind, details in reversed(found) if kind.startswith("apps.")]


def test_grants_tokens_and_a_replayed_refresh_token_are_audited(
    client: TestClient, session: Session
) -> None:
    rider = Rider(client)
    first = rider.authorize("rides:read profile:read")
    [grant_id] = rider.grant_ids()
    second = rider.refresh(first["refresh_token"])
    assert second.status_code == 200, second.text
    replayed = rider.refresh(first["refresh_token"])  # a kept copy: the grant ends
    assert replayed.status_code == 400, replayed.text
    assert rider.grant_ids() == []

    rider.authorize()
    [other_grant] = rider.grant_ids()
    revoked = client.delete(f"/api/v1/me/grants/{other_grant}", headers=rider.headers)
    assert revoked.status_code == 204, revoked.text
    body = {"name": "backup", "scopes": ["rides:read_all"]}
    made = client.post("/api/v1/me/tokens", json=body, headers=rider.headers).json()
    gone = client.delete(f"/api/v1/me/tokens/{made['id']}", headers=rider.headers)
    assert gone.status_code == 204, gone.text

    events = _events(session, rider)
    assert [kind for kind, _ in events] == [
        "apps.grant_given",
        "apps.refresh_token_reused",
        "apps.grant_given",
        "apps.grant_revoked",
        "apps.personal_token_created",
        "apps.personal_token_revoked",
    ]
    assert events[0][1] == {
        "grant_id": grant_id,
        "app_id": rider.app_id,
        "scope": "profile:read rides:read",
    }
    assert events[1][1]["grant_id"] == grant_id
    assert events[4][1] == {"token_id": made["id"], "scope": "rides:read_all"}
    assert made["token"] not in str(events)  # never a secret in the log
    assert verify_log(session)[2] == []  # the chain holds


def test_the_app_revoking_its_token_and_the_owner_removing_it_are_audited(
    client: TestClient, session: Session
) -> None:
    rider = Rider(client)
    tokens = rider.authorize()
    form = {"token": tokens["refresh_token"], "client_id": rider.client_id}
    assert client.post(f"{OAUTH}/oauth/revoke", data=form).status_code == 200
    assert client.post(f"{OAUTH}/oauth/revoke", data=form).status_code == 200  # once in the log
    removed = client.delete(f"/api/v1/apps/{rider.app_id}", headers=rider.headers)
    assert removed.status_code == 204, removed.text
    kinds = [kind for kind, _ in _events(session, rider)]
    assert kinds == ["apps.grant_given", "apps.grant_revoked", "apps.app_deleted"]


def _counts(session: Session) -> dict[str, int]:
    tables = (AuthorizationCode, AppToken, AppGrant, PersonalToken)
    found = {t.__name__: session.scalar(select(func.count()).select_from(t)) or 0 for t in tables}
    session.rollback()
    return found


def test_retention_purges_dead_codes_and_tokens_and_keeps_live_ones(
    client: TestClient, session: Session
) -> None:
    rider = Rider(client)
    stolen = rider.authorize()
    assert rider.refresh(stolen["refresh_token"]).status_code == 200
    assert rider.refresh(stolen["refresh_token"]).status_code == 400  # grant revoked
    live = rider.authorize()
    for expires_at in ((utcnow() + timedelta(days=1)).isoformat(), None):
        body = {"name": "script", "scopes": ["bikes:read"], "expires_at": expires_at}
        made = client.post("/api/v1/me/tokens", json=body, headers=rider.headers)
        assert made.status_code == 201, made.text
    before = _counts(session)
    assert before == {"AuthorizationCode": 2, "AppToken": 3, "AppGrant": 2, "PersonalToken": 2}

    # Today nothing is dead for 30 days yet: a replay would still be recognised.
    assert expired_credentials(session, now=utcnow(), days=30, dry_run=False) == (0, 0)
    later = utcnow() + timedelta(days=40)
    dry = expired_credentials(session, now=later, days=30, dry_run=True)
    session.rollback()
    assert _counts(session) == before
    # Both codes (expired), the revoked grant's two tokens, the expired personal token, the
    # revoked grant.
    assert dry == (6, 0)
    assert expired_credentials(session, now=later, days=30, dry_run=False) == dry
    session.commit()
    assert _counts(session) == {
        "AuthorizationCode": 0,
        "AppToken": 1,
        "AppGrant": 1,
        "PersonalToken": 1,
    }
    # The live grant still works: its refresh token is not touched.
    assert rider.refresh(live["refresh_token"]).status_code == 200
