"""The whole repair flow over HTTP: post, quote, accept, work, invoice, pay, review; the
bike's service log grows, the ledger balances, and each side sees only what it may."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from bikenode.market import ledger
from tests.api.market.conftest import HOME, Market, as_role


def _events(client: TestClient) -> None:
    client.app.state.events.run_until_idle()  # type: ignore[attr-defined]


def test_a_job_goes_from_posted_to_reviewed_and_the_bike_logs_the_service(
    client: TestClient, market: Market
) -> None:
    job = market.job()
    assert job["state"] == "open"
    assert (job["lat_deg"], job["lon_deg"]) != HOME
    assert abs(job["lat_deg"] - HOME[0]) < 0.01 and abs(job["lon_deg"] - HOME[1]) < 0.02
    near, far = as_role(client, "mechanic"), as_role(client, "mechanic")
    listing = market.call(near, "GET", "/market/open-jobs?lat_deg=51.52&lon_deg=-0.1")
    [seen] = [item for item in listing["items"] if item["id"] == job["id"]]
    assert "bike_id" not in seen and "owner_id" not in seen
    exact = (str(HOME[0]), str(HOME[1]))
    for answer in (listing, market.call(market.rider, "GET", f"/market/jobs/{job['id']}")):
        assert not any(value in str(answer) for value in exact)  # the point was never kept
    chosen = market.quote(near, job["id"], 4500)
    other = market.quote(far, job["id"], 3900)
    mine = market.call(market.rider, "GET", f"/market/jobs/{job['id']}")
    assert mine["state"] == "quoted" and len(mine["quotes"]) == 2
    theirs = market.call(far, "GET", f"/market/jobs/{job['id']}")
    assert [q["id"] for q in theirs["quotes"]] == [other["id"]]  # not the rival's price
    assert theirs["bike_id"] is None and theirs["you_are"] == "mechanic"
    market.call(far, "GET", f"/market/quotes/{chosen['id']}/messages", expect=404)  # a rival's
    market.call(far, "POST", f"/market/quotes/{chosen['id']}/accept", expect=404)
    accepted = market.call(market.rider, "POST", f"/market/quotes/{chosen['id']}/accept")
    assert accepted["state"] == "accepted"
    states = {q["id"]: q["state"] for q in accepted["quotes"]}
    assert states == {chosen["id"]: "accepted", other["id"]: "declined"}
    market.move(far, job["id"], "start", 409)  # the declined mechanic may not work on it
    for step in ("start", "finish", "invoice"):
        market.move(near, job["id"], step)
    payment = market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    assert (payment["state"], payment["amount_minor"]) == ("succeeded", 4500)
    done = market.move(market.rider, job["id"], "review", rating=5, text="Silent now")
    assert (done["state"], done["rating"]) == ("reviewed", 5)
    _events(client)
    history = market.call(market.rider, "GET", f"/bikes/{market.bike['id']}/history")
    [service] = [e for e in history["items"] if e["kind"] == "service"]
    assert service["component"]["id"] == market.chain["id"]
    assert "Creaking bottom bracket" in service["notes"] and service["cost"] == 45.0
    _events(client)  # a re-delivery of nothing: still one entry
    again = market.call(market.rider, "GET", f"/bikes/{market.bike['id']}/history")
    assert [e["kind"] for e in again["items"]].count("service") == 1
    with client.app.state.session_factory() as db:  # type: ignore[attr-defined]
        assert ledger.verify(db) == []
        accounts = ledger.accounts_of(uuid.UUID(job["id"]), "EUR")
        assert ledger.balance(db, accounts.mechanic).posted == 4050
        assert ledger.balance(db, accounts.escrow).posted == 0


def test_an_illegal_transition_answers_409_with_the_allowed_ones(market: Market) -> None:
    job = market.job()
    answer: Any = market.client.post(
        f"/api/v1/market/jobs/{job['id']}/transitions",
        json={"transition": "finish"},
        headers={**market.rider, "Idempotency-Key": "k1"},
    )
    assert answer.status_code == 409
    assert "cancel" in answer.json()["detail"]


def test_another_rider_and_an_unquoted_mechanic_get_404_for_a_job(
    client: TestClient, market: Market
) -> None:
    job = market.job()
    other = as_role(client, "rider")
    mechanic = as_role(client, "mechanic")
    for headers in (other, mechanic):
        market.call(headers, "GET", f"/market/jobs/{job['id']}", expect=404)
    market.call(other, "GET", "/market/open-jobs?lat_deg=51.5&lon_deg=-0.12", expect=403)


def test_cancelling_declines_the_quotes_and_a_withdrawal_or_dispute_follows_the_table(
    client: TestClient, market: Market
) -> None:
    mechanic = as_role(client, "mechanic")
    job = market.job()
    quote = market.quote(mechanic, job["id"])
    cancelled = market.move(market.rider, job["id"], "cancel")
    assert cancelled["state"] == "cancelled" and cancelled["quotes"][0]["state"] == "declined"
    market.move(market.rider, job["id"], "publish", 409)  # cancelled is for good
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept", expect=409)

    job = market.job()
    quote = market.quote(mechanic, job["id"])
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    market.move(market.rider, job["id"], "start", 409)  # the mechanic's to take
    withdrawn = market.move(mechanic, job["id"], "withdraw")
    assert withdrawn["state"] == "cancelled"

    job = market.job()
    quote = market.quote(mechanic, job["id"])
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish"):
        market.move(mechanic, job["id"], step)
    market.move(mechanic, job["id"], "dispute", 409)  # the rider's to take
    disputed = market.move(market.rider, job["id"], "dispute")
    assert disputed["state"] == "disputed" and disputed["allowed_transitions"] == []
    market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 409)
