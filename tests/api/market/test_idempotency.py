"""Idempotency-Key on every market POST: a retry gets the first answer, a reused key with
another body is refused, a payment retried after a provider timeout charges once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bikenode.market.models import Payment, RepairJob
from tests.api.market.conftest import Market, as_role


def _post(market: Market, path: str, body: Any, key: str | None) -> Any:
    headers = {**market.rider, **({"Idempotency-Key": key} if key is not None else {})}
    return market.client.post(f"/api/v1{path}", json=body, headers=headers)


def _job_body(market: Market, title: str = "Wheel true") -> dict[str, Any]:
    return {
        "bike_id": market.bike["id"],
        "title": title,
        "description": "Rear wheel rubs the pad",
        "lat_deg": 48.85,
        "lon_deg": 2.35,
    }


def _count(client: TestClient, model: type) -> int:
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(
    client: TestClient, market: Market
) -> None:
    first = _post(market, "/market/jobs", _job_body(market), "retry-1")
    again = _post(market, "/market/jobs", _job_body(market), "retry-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(client, RepairJob) == 1


def test_the_same_key_with_another_body_is_refused(client: TestClient, market: Market) -> None:
    assert _post(market, "/market/jobs", _job_body(market), "k").status_code == 201
    other = _post(market, "/market/jobs", _job_body(market, "Brake bleed"), "k")
    assert other.status_code == 422
    assert "another request" in other.json()["detail"]
    assert _count(client, RepairJob) == 1


def test_keys_are_per_user(client: TestClient, market: Market) -> None:
    assert _post(market, "/market/jobs", _job_body(market), "shared").status_code == 201
    stranger = Market(client)
    assert _post(stranger, "/market/jobs", _job_body(stranger), "shared").status_code == 201


def test_a_post_without_a_key_or_with_a_huge_one_is_refused(market: Market) -> None:
    assert _post(market, "/market/jobs", _job_body(market), None).status_code == 422
    assert _post(market, "/market/jobs", _job_body(market), "k" * 256).status_code == 422


def test_a_refusal_is_replayed_as_it_was(market: Market) -> None:
    job = market.job()
    body = {"transition": "finish"}
    path = f"/market/jobs/{job['id']}/transitions"
    first, again = _post(market, path, body, "f"), _post(market, path, body, "f")
    assert first.status_code == again.status_code == 409
    assert first.json()["detail"] == again.json()["detail"]


def _invoiced(client: TestClient, market: Market) -> str:
    job = market.job()
    mechanic = as_role(client, "mechanic")
    quote = market.quote(mechanic, job["id"], 12_345)
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, job["id"], step)
    return str(job["id"])


def test_a_payment_retried_after_a_provider_timeout_charges_once(
    client: TestClient, market: Market
) -> None:
    job_id = _invoiced(client, market)
    gateway = client.app.state.market_gateway  # type: ignore[attr-defined]
    gateway.timeout_next = 1
    gateway.duplicate_callbacks = True
    path = f"/market/jobs/{job_id}/payments"
    lost = _post(market, path, None, "pay-1")
    assert lost.status_code == 503, lost.text  # charged, but the answer never came
    paid = _post(market, path, None, "pay-1")
    assert paid.status_code == 201, paid.text
    assert paid.json()["state"] == "succeeded"
    assert len(gateway.charges) == 1
    again = _post(market, path, None, "pay-2")  # a new key: refused, the job is paid
    assert again.status_code == 409 and "paid job" in again.json()["detail"]
    assert _count(client, Payment) == 1
    job = market.call(market.rider, "GET", f"/market/jobs/{job_id}")
    assert (job["state"], job["payment_state"]) == ("paid", "succeeded")


def test_a_declined_card_leaves_the_job_invoiced_and_a_new_attempt_can_pay(
    client: TestClient, market: Market
) -> None:
    job_id = _invoiced(client, market)
    client.app.state.market_gateway.decline_next = 1  # type: ignore[attr-defined]
    declined = _post(market, f"/market/jobs/{job_id}/payments", None, "d1")
    assert declined.status_code == 422 and "declined" in declined.json()["detail"]
    paid = _post(market, f"/market/jobs/{job_id}/payments", None, "d2")
    assert paid.status_code == 201 and paid.json()["state"] == "succeeded"
