"""Quotes with line items and the invoice over HTTP: tax per line, revisions until accepted,
extra lines at invoicing, JSON with Babel's formatting, a PDF, and no one else's eyes."""

from __future__ import annotations

import re
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.market.conftest import Market, as_role

LINES = [
    {"kind": "part", "description": "Shimano BB-RS500", "quantity": 1, "unit_minor": 2999},
    {"kind": "labour", "description": "Fit and face", "quantity": "1.5", "unit_minor": 4000},
]


def _offer(job_id: str, **change: Any) -> dict[str, Any]:
    return {
        "job_id": job_id,
        "currency": "EUR",
        "country": "DE",
        "lines": LINES,
        "valid_until": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
    } | change


def _pdf_text(pdf: bytes) -> bytes:
    """The PDF's content streams, inflated where fpdf2 compressed them."""
    text = b""
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text += zlib.decompress(stream)
        except zlib.error:
            text += stream
    return text


def _invoiced(market: Market, mechanic: dict[str, str], extra: list[dict[str, Any]]) -> str:
    job = market.job()
    quote = market.call(mechanic, "POST", "/market/quotes", _offer(job["id"]), 201)
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish"):
        market.move(mechanic, job["id"], step)
    market.move(mechanic, job["id"], "invoice", extra_lines=extra)
    return str(job["id"])


def test_a_quote_of_lines_is_priced_per_line_and_revisable_until_accepted(
    client: TestClient, market: Market
) -> None:
    mechanic = as_role(client, "mechanic")
    job = market.job()
    quote = market.call(mechanic, "POST", "/market/quotes", _offer(job["id"]), 201)
    # 29.99 + 1.5 h x 40.00 = 89.99 net; 19 % per line: 5.70 (569.81) + 11.40 = 17.10
    assert (quote["net_minor"], quote["tax_minor"], quote["price_minor"]) == (8999, 1710, 10709)
    assert [line["quantity"] for line in quote["lines"]] == ["1", "1.5"]
    assert [line["tax_bp"] for line in quote["lines"]] == [1900, 1900]
    revised = _offer(job["id"], lines=[LINES[0] | {"tax_rate_bp": 700}])
    again = market.call(mechanic, "POST", "/market/quotes", revised, 201)
    assert (again["id"], again["price_minor"]) == (quote["id"], 2999 + 210)
    seen = market.call(market.rider, "GET", f"/market/jobs/{job['id']}")
    assert [q["lines"][0]["description"] for q in seen["quotes"]] == ["Shimano BB-RS500"]
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    # accepted: the job is no longer open to quotes, so a revision finds none
    market.call(mechanic, "POST", "/market/quotes", _offer(job["id"]), 404)


def test_a_single_price_quote_reads_as_one_line(client: TestClient, market: Market) -> None:
    job = market.job()
    quote = market.quote(as_role(client, "mechanic"), job["id"], 4500)
    [line] = quote["lines"]
    assert (line["quantity"], line["unit_minor"], line["total_minor"]) == ("1", 4500, 4500)
    assert (line["description"], line["tax_bp"]) == ("Repair as quoted", 0)  # tax included


@pytest.mark.parametrize(
    "change",
    [
        {"lines": [LINES[1] | {"quantity": "1.2345"}]},  # four decimal places
        {"lines": [LINES[1] | {"quantity": 0}]},
        {"country": None},  # no rate on the lines and no country to take one from
        {"country": "XX"},
        {"price_minor": 100},  # not the lines' total
        {"lines": [LINES[0] | {"tax_rate_bp": 9000}]},
        {"lines": [LINES[0]] * 51},
        {"lines": None},  # neither lines nor a price
    ],
)
def test_bad_line_items_are_refused_with_422(
    client: TestClient, market: Market, change: dict[str, Any]
) -> None:
    job = market.job()
    market.call(
        as_role(client, "mechanic"), "POST", "/market/quotes", _offer(job["id"], **change), 422
    )


def test_the_invoice_adds_the_extra_lines_and_the_rider_pays_its_total(
    client: TestClient, market: Market
) -> None:
    mechanic = as_role(client, "mechanic")
    extra = [{"kind": "part", "description": "Cable", "quantity": 2, "unit_minor": 350}]
    job_id = _invoiced(market, mechanic, extra)
    invoice = market.call(market.rider, "GET", f"/market/jobs/{job_id}/invoice")
    assert re.fullmatch(r"\d{4}-000001", invoice["number"])
    assert [line["extra"] for line in invoice["lines"]] == [False, False, True]
    assert invoice["total_minor"] == 10709 + 700 + 133
    assert invoice["total_display"] == "€115.42"
    german = market.call(mechanic, "GET", f"/market/jobs/{job_id}/invoice?locale=de_DE")
    assert german["total_display"] == "115,42\xa0€" and german["number"] == invoice["number"]
    market.call(mechanic, "GET", f"/market/jobs/{job_id}/invoice?locale=xx_YY", expect=422)
    payment = market.call(market.rider, "POST", f"/market/jobs/{job_id}/payments", None, 201)
    assert payment["amount_minor"] == invoice["total_minor"]
    second = _invoiced(market, mechanic, [])
    number = market.call(market.rider, "GET", f"/market/jobs/{second}/invoice")["number"]
    assert number.endswith("-000002")  # the same mechanic's next, without a gap


def test_the_invoice_pdf_holds_its_number_and_total(client: TestClient, market: Market) -> None:
    mechanic = as_role(client, "mechanic")
    job_id = _invoiced(market, mechanic, [])
    answer = client.get(f"/api/v1/market/jobs/{job_id}/invoice.pdf", headers=market.rider)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-") and answer.content.rstrip().endswith(b"%%EOF")
    invoice = market.call(market.rider, "GET", f"/market/jobs/{job_id}/invoice")
    text = _pdf_text(answer.content)
    assert invoice["number"].encode() in text
    assert b"107.09 EUR" in text and b"Shimano BB-RS500" in text


def test_only_the_rider_and_the_mechanic_see_an_invoice_and_none_before_it_is_issued(
    client: TestClient, market: Market
) -> None:
    mechanic, rival = as_role(client, "mechanic"), as_role(client, "mechanic")
    job = market.job()
    market.call(market.rider, "GET", f"/market/jobs/{job['id']}/invoice", expect=404)
    market.quote(rival, job["id"])  # a quoting mechanic sees the job, never its invoice
    job_id = _invoiced(market, mechanic, [])
    for stranger in (as_role(client, "rider"), as_role(client, "mechanic")):
        for path in ("invoice", "invoice.pdf"):
            market.call(stranger, "GET", f"/market/jobs/{job_id}/{path}", expect=404)
    for path in ("invoice", "invoice.pdf"):
        assert client.get(f"/api/v1/market/jobs/{job_id}/{path}").status_code == 401


def test_erasure_keeps_invoices_whole_without_the_people_and_export_holds_them(
    client: TestClient, market: Market
) -> None:
    from sqlalchemy import select

    from bikenode.market import erase_user_data, iter_user_export
    from bikenode.market.models import Invoice, InvoiceCounter, RepairJob

    mechanic = as_role(client, "mechanic")
    job_id = uuid.UUID(_invoiced(market, mechanic, []))  # invoiced, not paid
    rider_id = uuid.UUID(market.call(market.rider, "GET", "/me")["id"])
    mechanic_id = uuid.UUID(market.call(mechanic, "GET", "/me")["id"])
    app: Any = client.app
    with app.state.session_factory() as db:
        received = dict(iter_user_export(db, rider_id))["market/invoices_received.json"]
        issued = dict(iter_user_export(db, mechanic_id))["market/invoices_issued.json"]
        assert b"Shimano BB-RS500" in received and b"10709" in issued
        for person in (rider_id, mechanic_id):
            erase_user_data(db, person)
            db.commit()
        [invoice] = db.scalars(select(Invoice).where(Invoice.job_id == job_id)).all()
        assert (invoice.rider_id, invoice.owner_id) == (None, None)
        assert invoice.total_minor == 10709 and invoice.number.endswith("-000001")
        assert len(invoice.lines) == 2
        job = db.get(RepairJob, job_id)  # the invoiced job stays, anonymised
        assert job is not None and (job.owner_id, job.description) == (None, "(erased)")
        assert (
            db.scalar(select(InvoiceCounter).where(InvoiceCounter.user_id == mechanic_id)) is None
        )
