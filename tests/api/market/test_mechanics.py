"""Mechanic profiles, their search, reviews of paid jobs with one reply, edits for 14 days,
Bayesian ratings, and what erasure leaves of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from bikenode.events.models import OutboxEvent
from bikenode.market.models import Review
from tests.api.market.conftest import Market, as_role

SHOP = (51.50731, -0.12765)  # the mechanic's exact address: only its ~1 km cell is kept


def _profile(market: Market, mechanic: dict[str, str], **overrides: Any) -> Any:
    body = {
        "display_name": "Spoke & Chain",
        "bio": "Twenty years of wheels.\u202e",
        "services": ["brakes", "wheels"],
        "lat_deg": SHOP[0],
        "lon_deg": SHOP[1],
        "radius_km": 15,
        "hours": "Mon-Fri 9-18",
        "accepting": True,
    } | overrides
    return market.call(mechanic, "PUT", "/market/me/mechanic", body)


def _reviewed(market: Market, mechanic: dict[str, str], stars: int, text: str = "Good") -> str:
    """A job of the rider's done, paid and reviewed with these stars; the review's id."""
    job = market.job()
    quote = market.quote(mechanic, job["id"])
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, job["id"], step)
    market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    reviewed = market.move(market.rider, job["id"], "review", rating=stars, text=text)
    assert reviewed["state"] == "reviewed"
    me = market.call(mechanic, "GET", "/api/v1/me".removeprefix("/api/v1"))
    page = market.call(market.rider, "GET", f"/market/mechanics/{me['id']}/reviews")
    [review] = [r for r in page["items"] if r["job_id"] == job["id"]]
    return str(review["id"])


def _session(client: TestClient) -> Any:
    return client.app.state.session_factory()  # type: ignore[attr-defined]


def test_a_profile_keeps_only_a_cell_and_its_public_view_no_place(
    client: TestClient, market: Market
) -> None:
    mechanic = as_role(client, "mechanic")
    own = _profile(market, mechanic)
    assert (own["lat_deg"], own["lon_deg"]) != SHOP
    assert abs(own["lat_deg"] - SHOP[0]) < 0.01 and abs(own["lon_deg"] - SHOP[1]) < 0.02
    assert own["bio"] == "Twenty years of wheels."  # the bidi override is gone
    public = market.call(market.rider, "GET", f"/market/mechanics/{own['id']}")
    assert "lat_deg" not in public and "lon_deg" not in public
    assert str(SHOP[0])[:6] not in str(public)
    assert public["review_count"] == 0 and public["services"] == ["brakes", "wheels"]


def test_only_mechanics_have_profiles_and_bad_ones_are_refused(
    client: TestClient, market: Market
) -> None:
    market.call(market.rider, "PUT", "/market/me/mechanic", _body(), 403)
    mechanic = as_role(client, "mechanic")
    market.call(mechanic, "GET", "/market/me/mechanic", None, 404)
    market.call(mechanic, "PUT", "/market/me/mechanic", _body(services=["juggling"]), 422)
    market.call(mechanic, "PUT", "/market/me/mechanic", _body(bio="x" * 2001), 422)
    market.call(mechanic, "PUT", "/market/me/mechanic", _body(radius_km=0), 422)
    market.call(market.rider, "GET", f"/market/mechanics/{uuid.uuid4()}", None, 404)


def _body(**overrides: Any) -> dict[str, Any]:
    base = {"display_name": "Shop", "lat_deg": 51.5, "lon_deg": -0.1, "radius_km": 5}
    return base | overrides


def test_search_finds_mechanics_in_range_by_service_and_sorts_by_rating_or_distance(
    client: TestClient, market: Market
) -> None:
    close, further, elsewhere = (as_role(client, "mechanic") for _ in range(3))
    ids = {}
    for name, who, point in (
        ("close", close, (51.508, -0.128)),
        ("further", further, (51.55, -0.128)),  # ~4.6 km north
        ("elsewhere", elsewhere, (48.85, 2.35)),  # Paris
    ):
        ids[name] = _profile(market, who, lat_deg=point[0], lon_deg=point[1])["id"]
    _profile(market, close, services=["chain"], lat_deg=51.508, lon_deg=-0.128)
    _reviewed(market, further, 5)
    _reviewed(market, further, 5)
    _reviewed(market, elsewhere, 1)  # the site's mean falls below five: unreviewed sink
    near = "near=51.508,-0.128&radius_km=10"
    by_distance = market.call(market.rider, "GET", f"/market/mechanics?{near}&sort=distance")
    assert [m["id"] for m in by_distance["items"]] == [ids["close"], ids["further"]]
    # Whole km from the cells' centres (each within ~0.8 km of the real place).
    close_km, further_km = (m["distance_km"] for m in by_distance["items"])
    assert isinstance(close_km, int) and close_km <= 1 and 4 <= further_km <= 6
    by_rating = market.call(market.rider, "GET", f"/market/mechanics?{near}&sort=rating")
    assert [m["id"] for m in by_rating["items"]] == [ids["further"], ids["close"]]
    assert by_rating["items"][0]["review_count"] == 2
    brakes = market.call(market.rider, "GET", f"/market/mechanics?{near}&service=brakes")
    assert [m["id"] for m in brakes["items"]] == [ids["further"]]
    market.call(market.rider, "GET", f"/market/mechanics?{near}&service=juggling", None, 422)
    market.call(market.rider, "GET", "/market/mechanics?near=north", None, 422)
    market.call(market.rider, "GET", "/market/mechanics?near=91,0", None, 422)
    second = market.call(market.rider, "GET", f"/market/mechanics?{near}&page=2")
    assert second["items"] == []


def test_the_rider_reviews_once_the_mechanic_replies_once_and_events_go_out(
    client: TestClient, market: Market
) -> None:
    mechanic, other = as_role(client, "mechanic"), as_role(client, "mechanic")
    _profile(market, mechanic)
    review_id = _reviewed(market, mechanic, 4, "Quick and tidy")
    path = f"/market/reviews/{review_id}/reply"
    market.call(other, "POST", path, {"text": "Thanks"}, 404)
    market.call(market.rider, "POST", path, {"text": "Me too"}, 404)
    replied = market.call(mechanic, "POST", path, {"text": "Thanks, ride safe"})
    assert replied["reply"] == "Thanks, ride safe"
    market.call(mechanic, "POST", path, {"text": "Again"}, 409)
    with _session(client) as db:
        kinds = db.scalars(select(OutboxEvent.type).where(OutboxEvent.type.like("market.review%")))
        assert sorted(kinds) == ["market.review_posted", "market.review_replied"]


def test_a_review_needs_a_paid_job_and_stays_one(client: TestClient, market: Market) -> None:
    mechanic = as_role(client, "mechanic")
    job = market.job()
    market.move(market.rider, job["id"], "review", 409, rating=5)
    quote = market.quote(mechanic, job["id"])
    market.call(market.rider, "POST", f"/market/quotes/{quote['id']}/accept")
    for step in ("start", "finish", "invoice"):
        market.move(mechanic, job["id"], step)
    market.call(market.rider, "POST", f"/market/jobs/{job['id']}/payments", None, 201)
    market.move(market.rider, job["id"], "review", 422, rating=5, text="x" * 2001)
    market.move(market.rider, job["id"], "review", rating=5)
    market.move(market.rider, job["id"], "review", 409, rating=1)
    with _session(client) as db:
        stars = db.scalars(select(Review.stars).where(Review.job_id == uuid.UUID(job["id"])))
        assert list(stars) == [5]


def test_the_rider_edits_within_14_days_only_and_nobody_else_can(
    client: TestClient, market: Market
) -> None:
    mechanic = as_role(client, "mechanic")
    _profile(market, mechanic)
    review_id = _reviewed(market, mechanic, 2, "Slow")
    path = f"/market/reviews/{review_id}"
    market.call(mechanic, "PATCH", path, {"stars": 5}, 404)
    edited = market.call(market.rider, "PATCH", path, {"stars": 3, "text": "Slow but good"})
    assert (edited["stars"], edited["text"]) == (3, "Slow but good")
    assert edited["edited_at"] is not None
    market.call(market.rider, "PATCH", path, {"stars": 6}, 422)
    with _session(client) as db:
        old = datetime.now(UTC) - timedelta(days=15)
        db.execute(update(Review).where(Review.id == uuid.UUID(review_id)).values(created_at=old))
        db.commit()
    market.call(market.rider, "PATCH", path, {"stars": 5}, 409)


def test_ratings_are_bayesian_over_the_site_mean(client: TestClient, market: Market) -> None:
    """Two mechanics: one with a single 5, one with 3 and 3. The site's mean is 11/3; with
    C = 5 the single five shows (5 * 11/3 + 5) / 6 and the pair (5 * 11/3 + 6) / 7."""
    with _session(client) as db:  # other tests' reviews would move the prior
        assert db.scalar(select(Review.id)) is None
    lucky, steady = as_role(client, "mechanic"), as_role(client, "mechanic")
    lucky_id = _profile(market, lucky)["id"]
    steady_id = _profile(market, steady)["id"]
    _reviewed(market, lucky, 5)
    _reviewed(market, steady, 3)
    _reviewed(market, steady, 3)
    mean = 11 / 3
    shown = market.call(market.rider, "GET", f"/market/mechanics/{lucky_id}")
    assert shown["rating"] == round((5 * mean + 5) / 6, 2) == 3.89
    assert shown["review_count"] == 1
    shown = market.call(market.rider, "GET", f"/market/mechanics/{steady_id}")
    assert shown["rating"] == round((5 * mean + 6) / 7, 2) == 3.48


def test_erasure_keeps_a_riders_stars_but_not_their_words_and_removes_a_mechanics_replies(
    client: TestClient, market: Market
) -> None:
    from bikenode.market import erase_user_data, iter_user_export

    mechanic = as_role(client, "mechanic")
    mechanic_id = uuid.UUID(_profile(market, mechanic)["id"])
    review_id = uuid.UUID(_reviewed(market, mechanic, 4, "Quick and tidy"))
    market.call(mechanic, "POST", f"/market/reviews/{review_id}/reply", {"text": "Thanks"})
    rider_id = uuid.UUID(market.call(market.rider, "GET", "/me")["id"])
    with _session(client) as db:
        files = dict(iter_user_export(db, rider_id))
        assert b"Quick and tidy" in files["market/reviews_written.json"]
        files = dict(iter_user_export(db, mechanic_id))
        assert b"Spoke & Chain" in files["market/mechanic_profile.json"]
        assert b"Thanks" in files["market/reviews_received.json"]
        erase_user_data(db, rider_id)
        db.commit()
        review = db.get(Review, review_id)
        assert review is not None
        assert (review.rider_id, review.text, review.stars) == (None, "(erased)", 4)
        assert review.reply == "Thanks"
        erase_user_data(db, mechanic_id)
        db.commit()
        db.refresh(review)
        assert (review.mechanic_id, review.reply, review.stars) == (None, None, 4)
    market.call(as_role(client, "rider"), "GET", f"/market/mechanics/{mechanic_id}", None, 404)
