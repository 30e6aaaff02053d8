"""The Bayesian rating, against values worked out by hand."""

from __future__ import annotations

import pytest

from bikenode.market.logic.rating import NEUTRAL_STARS, bayesian_rating, site_mean


def test_a_mechanic_without_reviews_shows_the_prior_mean() -> None:
    assert bayesian_rating(0, 0, 4.2) == pytest.approx(4.2)


def test_one_five_star_review_moves_the_rating_only_a_sixth_of_the_way() -> None:
    # (5 * 4.0 + 5) / (5 + 1) = 25 / 6
    assert bayesian_rating(5, 1, 4.0) == pytest.approx(25 / 6)
    assert bayesian_rating(5, 1, 4.0) < bayesian_rating(45, 10, 4.0)


def test_many_reviews_outweigh_the_prior() -> None:
    # 100 reviews of 2 stars, prior 4.5: (5 * 4.5 + 200) / 105 = 222.5 / 105
    assert bayesian_rating(200, 100, 4.5) == pytest.approx(222.5 / 105)
    assert bayesian_rating(200, 100, 4.5) == pytest.approx(2.119, abs=1e-3)


def test_the_prior_weight_is_a_number_of_reviews() -> None:
    # C = 2: (2 * 3.0 + 4 + 5) / (2 + 2) = 15 / 4
    assert bayesian_rating(9, 2, 3.0, prior_weight=2) == pytest.approx(3.75)


def test_the_site_mean_is_the_mean_of_every_review_or_neutral_without_any() -> None:
    assert site_mean(17, 4) == pytest.approx(4.25)
    assert site_mean(0, 0) == NEUTRAL_STARS


@pytest.mark.parametrize(
    ("stars", "count", "weight"), [(3, -1, 5), (0, 1, 5), (11, 2, 5), (5, 1, 0)]
)
def test_impossible_sums_are_refused(stars: int, count: int, weight: int) -> None:
    with pytest.raises(ValueError, match="expected"):
        bayesian_rating(stars, count, 4.0, prior_weight=weight)
