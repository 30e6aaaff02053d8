"""Merge rules per field kind: LWW by HLC, PN-counter, add-wins OR-set, text with conflicts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bikenode.sync.logic import ZERO, FieldOp, Stamp, apply_op, empty_state, overwrite
from bikenode.sync.logic.merge import FieldState, state_from_json, state_to_json


def stamp(ms: int, node: str = "a", counter: int = 0) -> Stamp:
    return Stamp(ms, counter, node)


def test_lww_keeps_the_newer_stamp_in_any_order() -> None:
    start = empty_state("lww", ZERO)
    old, new = FieldOp(stamp(1), value="road"), FieldOp(stamp(2), value="gravel")
    one = apply_op("lww", apply_op("lww", start, old).state, new)
    other = apply_op("lww", apply_op("lww", start, new).state, old)
    assert one.state.value == other.state.value == "gravel"
    assert other.result == "superseded"


def test_lww_ties_in_the_same_millisecond_are_settled_by_client_id() -> None:
    start = empty_state("lww", ZERO)
    a, b = FieldOp(stamp(5, "a"), value="A"), FieldOp(stamp(5, "b"), value="B")
    assert apply_op("lww", apply_op("lww", start, a).state, b).state.value == "B"
    assert apply_op("lww", apply_op("lww", start, b).state, a).state.value == "B"


def test_counter_adds_up_concurrent_increments() -> None:
    state = empty_state("counter", ZERO)
    for node, amount in [("a", 12.5), ("b", 30), ("a", -2.5)]:
        state = apply_op("counter", state, FieldOp(stamp(1, node), amount=amount)).state
    assert state.value == 40
    assert state.counts == {"a": (12.5, 2.5), "b": (30.0, 0.0)}


def test_set_add_wins_over_a_concurrent_remove() -> None:
    state = apply_op(
        "set", empty_state("set", ZERO), FieldOp(stamp(1, "a"), add=(("a/1/0", "alps"),))
    ).state
    # b saw tag a/1/0 and removes it; c adds "alps" again concurrently (b never saw c's tag)
    state = apply_op("set", state, FieldOp(stamp(3, "c"), add=(("c/1/0", "alps"),))).state
    state = apply_op("set", state, FieldOp(stamp(2, "b"), remove=("a/1/0",))).state
    assert state.value == ["alps"]
    state = apply_op("set", state, FieldOp(stamp(4, "b"), remove=("c/1/0",))).state
    assert state.value == []


def test_text_with_the_current_base_is_applied() -> None:
    state = FieldState("flat", stamp(5, "b"))
    outcome = apply_op("text", state, FieldOp(stamp(3, "a"), value="hilly", base="flat"))
    assert (outcome.result, outcome.state.value, outcome.state.stamp) == (
        "applied",
        "hilly",
        stamp(5, "b"),
    )


def test_text_conflict_keeps_both_and_shows_the_newer() -> None:
    state = FieldState("hilly", stamp(5, "b"))
    outcome = apply_op("text", state, FieldOp(stamp(3, "a"), value="windy", base="flat"))
    assert outcome.result == "conflict" and outcome.conflict is not None
    assert (outcome.conflict.kept, outcome.conflict.other) == ("hilly", "windy")
    assert outcome.state.value == "hilly"


def test_overwrite_reports_nothing_when_nothing_changes() -> None:
    state = FieldState("x", stamp(1))
    assert overwrite("lww", state, "x", stamp(2)) is None
    counter = overwrite("counter", empty_state("counter", ZERO), 10, stamp(2, "server"))
    assert counter is not None and counter.value == 10
    tags = overwrite("set", empty_state("set", ZERO), ["b", "a"], stamp(2, "server"))
    assert tags is not None and tags.value == ["a", "b"]
    trimmed = overwrite("set", tags, ["a"], stamp(3, "server"))
    assert trimmed is not None and trimmed.value == ["a"]


@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.floats(-1e6, 1e6, allow_nan=False)), max_size=30)
)
def test_a_counter_is_the_sum_of_its_steps_in_any_order(steps: list[tuple[str, float]]) -> None:
    forward, backward = empty_state("counter", ZERO), empty_state("counter", ZERO)
    for node, amount in steps:
        forward = apply_op("counter", forward, FieldOp(stamp(1, node), amount=amount)).state
    for node, amount in reversed(steps):
        backward = apply_op("counter", backward, FieldOp(stamp(1, node), amount=amount)).state
    assert abs(float(forward.value) - sum(a for _, a in steps)) < 1e-3
    assert abs(float(forward.value) - float(backward.value)) < 1e-3


def test_states_round_trip_through_storage() -> None:
    state = FieldState(["a"], stamp(9, "n", 2), seq=4, counts={"n": (1.0, 0.5)}, tags={"t": "a"})
    assert state_from_json(state_to_json(state)) == state
