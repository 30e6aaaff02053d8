"""Mechanics' ratings: a Bayesian average, so one five-star review does not make a top mechanic.

    rating = (C * m + sum of stars) / (C + n)

m is the prior mean (the site-wide mean of all reviews, or NEUTRAL_STARS before there is
any), C the prior's weight in reviews, n the mechanic's review count. With no reviews a
mechanic shows m; as n grows the rating moves towards their own mean.
"""

from __future__ import annotations

PRIOR_WEIGHT = 5  # C: the prior counts as this many reviews
NEUTRAL_STARS = 3.0  # m when the site has no reviews at all


def site_mean(stars_sum: int, count: int) -> float:
    """The mean of every review on the site (the prior); NEUTRAL_STARS when there is none."""
    if count < 0 or stars_sum < 0:
        raise ValueError(f"expected non-negative sums, got {stars_sum}, {count}")
    return stars_sum / count if count else NEUTRAL_STARS


def bayesian_rating(
    stars_sum: int, count: int, prior_mean: float, prior_weight: int = PRIOR_WEIGHT
) -> float:
    """The mechanic's shown rating: their stars pulled towards the prior mean (1-5)."""
    if count < 0 or prior_weight <= 0:
        raise ValueError(f"expected count >= 0 and weight > 0, got {count}, {prior_weight}")
    if count and not count <= stars_sum <= 5 * count:
        raise ValueError(f"expected {count} reviews to sum to 1-5 stars each, got {stars_sum}")
    return (prior_weight * prior_mean + stars_sum) / (prior_weight + count)
