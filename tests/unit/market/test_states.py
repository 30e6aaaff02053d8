"""The job state machine: each transition by its actor only, refusals name what is allowed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.market.logic.states import (
    ACTORS,
    BY_NAME,
    STATES,
    TERMINAL,
    TRANSITIONS,
    Refusal,
    allowed_transitions,
    apply_transition,
    mermaid_diagram,
)

HAPPY_PATH = [
    ("publish", "rider", "open"),
    ("receive_quote", "mechanic", "quoted"),
    ("receive_quote", "mechanic", "quoted"),
    ("accept", "rider", "accepted"),
    ("start", "mechanic", "in_progress"),
    ("finish", "mechanic", "done"),
    ("invoice", "mechanic", "invoiced"),
    ("pay", "system", "paid"),
    ("review", "rider", "reviewed"),
]


def test_the_happy_path_runs_from_draft_to_reviewed() -> None:
    state = "draft"
    for name, actor, expected in HAPPY_PATH:
        outcome = apply_transition(state, name, actor)  # type: ignore[arg-type]
        assert outcome == expected, (state, name, outcome)
        state = outcome


def test_a_mechanic_cannot_accept_their_own_quote() -> None:
    refusal = apply_transition("quoted", "accept", "mechanic")
    assert isinstance(refusal, Refusal)
    assert "rider" in refusal.reason and refusal.allowed == ("receive_quote",)


def test_finishing_an_open_job_is_refused_with_the_riders_allowed_transitions() -> None:
    refusal = apply_transition("open", "finish", "rider")
    assert isinstance(refusal, Refusal)
    assert refusal.allowed == ("cancel",)


def test_an_unknown_transition_is_refused_by_name() -> None:
    refusal = apply_transition("open", "teleport", "admin")
    assert isinstance(refusal, Refusal) and "teleport" in refusal.reason


@pytest.mark.parametrize("state", sorted(TERMINAL))
def test_terminal_states_allow_nothing(state: str) -> None:
    for actor in ACTORS:
        assert allowed_transitions(state, actor) == ()  # type: ignore[arg-type]


def test_time_based_transitions_belong_to_the_system() -> None:
    for name in ("expire", "lapse_quotes", "auto_invoice", "pay"):
        assert BY_NAME[name].actor == "system"


@given(
    st.sampled_from(STATES),
    st.sampled_from(sorted(BY_NAME)),
    st.sampled_from(ACTORS),
)
def test_a_transition_succeeds_exactly_when_the_table_allows_it(
    state: str, name: str, actor: str
) -> None:
    outcome = apply_transition(state, name, actor)  # type: ignore[arg-type]
    allowed = name in allowed_transitions(state, actor)  # type: ignore[arg-type]
    assert (not isinstance(outcome, Refusal)) == allowed
    if allowed:
        assert outcome == BY_NAME[name].target


def test_every_state_is_reachable_and_the_diagram_names_every_transition() -> None:
    reached, frontier = {"draft"}, ["draft"]
    while frontier:
        state = frontier.pop()
        for t in TRANSITIONS:
            if state in t.sources and t.target not in reached:
                reached.add(t.target)
                frontier.append(t.target)
    assert reached == set(STATES)
    diagram = mermaid_diagram()
    assert all(f": {t.name} ({t.actor})" in diagram for t in TRANSITIONS)
