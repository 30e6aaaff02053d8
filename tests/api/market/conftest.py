"""A rider with a bike and a chain, and mechanics, driving the market API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import STRONG_PASSWORD, login, signed_in

HOME = (51.50731, -0.12765)  # the rider's exact point: never to be seen again


def as_role(client: TestClient, role: str) -> dict[str, str]:
    """The Authorization header of a new user of the role (registered as the CLI does)."""
    from bikenode.accounts.service import register_user

    email = f"{role}-{uuid.uuid4().hex[:8]}@example.org"
    app: Any = client.app
    with app.state.session_factory() as db:
        register_user(
            db,
            app.state.accounts,
            email=email,
            password=STRONG_PASSWORD,
            display_name=role.title(),
            role=role,
        )
    return {"Authorization": f"Bearer {login(client, email)['access_token']}"}


class Market:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        _, self.rider = signed_in(client)
        self.bike = self.call(self.rider, "POST", "/bikes", {"name": "Tarmac", "type": "road"}, 201)
        chain = {"type": "chain", "installed_at": "2024-01-01T00:00:00Z"}
        self.chain = self.call(
            self.rider, "POST", f"/bikes/{self.bike['id']}/components", chain, 201
        )

    def call(
        self,
        headers: dict[str, str],
        method: str,
        path: str,
        body: Any = None,
        expect: int = 200,
        key: str | None = None,
    ) -> Any:
        extra = {"Idempotency-Key": key or uuid.uuid4().hex} if method == "POST" else {}
        answer = self.client.request(
            method, f"/api/v1{path}", json=body, headers={**headers, **extra}
        )
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else None

    def job(self, **overrides: Any) -> dict[str, Any]:
        body = {
            "bike_id": self.bike["id"],
            "component_ids": [self.chain["id"]],
            "title": "Creaking bottom bracket",
            "description": "Creaks under load, worse in the wet.",
            "lat_deg": HOME[0],
            "lon_deg": HOME[1],
            "currency": "EUR",
        } | overrides
        answer: dict[str, Any] = self.call(self.rider, "POST", "/market/jobs", body, 201)
        return answer

    def quote(
        self, mechanic: dict[str, str], job_id: str, price: int = 4500, expect: int = 201
    ) -> Any:
        body = {
            "job_id": job_id,
            "price_minor": price,
            "currency": "EUR",
            "message": "Can do Thursday",
            "valid_until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        }
        return self.call(mechanic, "POST", "/market/quotes", body, expect)

    def move(
        self, headers: dict[str, str], job_id: str, name: str, expect: int = 200, **extra: Any
    ) -> Any:
        body = {"transition": name, **extra}
        return self.call(headers, "POST", f"/market/jobs/{job_id}/transitions", body, expect)


@pytest.fixture
def market(client: TestClient) -> Market:
    return Market(client)
