"""Which riders a club's heatmap release counts: active members, each in at most three clubs."""

from __future__ import annotations

import uuid

from bikenode.segments.club_heat import CLUB_POLICY, MAX_CLUBS_PER_RIDER, heat_clubs


def test_a_rider_counts_only_in_the_first_clubs_they_joined() -> None:
    clubs = [uuid.uuid4() for _ in range(5)]
    anna, bob = uuid.uuid4(), uuid.uuid4()
    memberships = [(c, anna) for c in clubs] + [(clubs[4], bob)]
    counted = heat_clubs(memberships)
    assert [anna in counted[c] for c in clubs] == [True, True, True, False, False]
    assert counted[clubs[4]] == {bob}
    assert MAX_CLUBS_PER_RIDER == 3


def test_the_club_policy_keeps_the_instance_budget_and_asks_for_more_riders() -> None:
    assert (CLUB_POLICY.epsilon, CLUB_POLICY.delta, CLUB_POLICY.max_cells) == (1.0, 1e-6, 32)
    assert CLUB_POLICY.min_riders == 5
    assert 141.0 < CLUB_POLICY.threshold < 142.0  # the figure docs/security.md states
