"""Refusals: huge or impossible input, far-future validity, other people's bikes and jobs,
roles; and the events a job's life announces through the outbox."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bikenode.events.models import OutboxEvent
from tests.api.market.conftest import Market, as_role


def _raw(market: Market, path: str, text: str, headers: dict[str, str]) -> Any:
    return market.client.post(
        f"/api/v1{path}",
        content=text,
        headers={**headers, "Idempotency-Key": "raw", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize(
    "change",
    [
        {"description": "x" * 4001},
        {"title": ""},
        {"lat_deg": 91.0},
        {"lon_deg": -180.5},
        {"component_ids": ["00000000-0000-4000-8000-000000000000"] * 21},
        {"currency": "euro"},
        {"bike_id": "not-a-uuid"},
        {"publish": "yes"},
    ],
)
def test_a_job_with_impossible_fields_is_refused(market: Market, change: dict[str, Any]) -> None:
    body = {
        "bike_id": market.bike["id"],
        "title": "t",
        "description": "d",
        "lat_deg": 1.0,
        "lon_deg": 1.0,
    } | change
    market.call(market.rider, "POST", "/market/jobs", body, 422)


def test_nan_coordinates_are_refused(market: Market) -> None:
    text = json.dumps({"bike_id": market.bike["id"], "title": "t", "description": "d"})
    text = text[:-1] + ', "lat_deg": NaN, "lon_deg": 1.0}'
    assert _raw(market, "/market/jobs", text, market.rider).status_code == 422


def test_another_riders_bike_or_part_is_not_found(client: TestClient, market: Market) -> None:
    stranger = Market(client)
    market.call(stranger.rider, "POST", "/market/jobs", _job(stranger, market.bike["id"]), 404)
    theirs = _job(stranger, stranger.bike["id"]) | {"component_ids": [market.chain["id"]]}
    market.call(stranger.rider, "POST", "/market/jobs", theirs, 404)


def _job(market: Market, bike_id: str) -> dict[str, Any]:
    return {"bike_id": bike_id, "title": "t", "description": "d", "lat_deg": 1.0, "lon_deg": 1.0}


@pytest.mark.parametrize(
    "change, expect",
    [
        ({"price_minor": 0}, 422),
        ({"price_minor": 10**11}, 422),
        ({"price_minor": 12.5}, 422),
        ({"valid_until": "9999-12-31T00:00:00Z"}, 422),
        ({"valid_until": "2020-01-01T00:00:00Z"}, 422),
        ({"valid_until": "2030-01-01T00:00:00"}, 422),  # no time zone
        ({"currency": "USD"}, 422),  # not the job's
        ({"message": "x" * 4001}, 422),
    ],
)
def test_a_quote_out_of_bounds_is_refused(
    client: TestClient, market: Market, change: dict[str, Any], expect: int
) -> None:
    job = market.job()
    mechanic = as_role(client, "mechanic")
    body = {
        "job_id": job["id"],
        "price_minor": 100,
        "currency": "EUR",
        "valid_until": "2099-01-01T00:00:00Z",
    }
    market.call(mechanic, "POST", "/market/quotes", body | change, expect)


def test_only_mechanics_quote_and_only_on_open_jobs(client: TestClient, market: Market) -> None:
    draft = market.job(publish=False)
    mechanic, rider = as_role(client, "mechanic"), as_role(client, "rider")
    market.quote(rider, market.job()["id"], expect=403)
    market.quote(mechanic, draft["id"], expect=404)  # a draft is the rider's alone
    market.call(mechanic, "GET", f"/market/jobs/{draft['id']}", expect=404)
    market.move(market.rider, draft["id"], "publish")
    market.quote(mechanic, draft["id"])


def test_a_quote_is_revised_until_accepted_then_refused(client: TestClient, market: Market) -> None:
    job = market.job()
    mechanic = as_role(client, "mechanic")
    first = market.quote(mechanic, job["id"], 5000)
    revised = market.quote(mechanic, job["id"], 4000)
    assert revised["id"] == first["id"] and revised["price_minor"] == 4000
    market.call(market.rider, "POST", f"/market/quotes/{first['id']}/accept")
    market.quote(mechanic, job["id"], 3000, expect=404)  # the job is no longer open


def test_the_jobs_life_is_announced_through_the_outbox(client: TestClient, market: Market) -> None:
    job = market.job()
    mechanic = as_role(client, "mechanic")
    quote = market.quote(mechanic, job["id"])
    market.call(mechanic, "POST", f"/market/quotes/{quote['id']}/messages", {"body": "Hi"}, 201)
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, job["id"], step)
    market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        types = db.scalars(
            select(OutboxEvent.type)
            .where(OutboxEvent.type.like("market.%"))
            .order_by(OutboxEvent.id)
        ).all()
    assert types == [
        "market.quote_received",
        "market.message_posted",
        "market.quote_accepted",
        "market.job_started",
        "market.job_completed",
        "market.payment_succeeded",
    ]
