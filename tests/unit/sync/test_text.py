"""Three-way text merge: edits of different places both stay; overlapping ones conflict."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bikenode.sync.logic import merge3


def test_edits_of_different_words_both_stay() -> None:
    base = "Morning ride to the lake"
    assert (
        merge3(base, "Rainy morning ride to the lake", "Morning ride to the big lake")
        == "Rainy morning ride to the big lake"
    )


def test_edits_of_different_lines_both_stay() -> None:
    base = "climb\ndescent\nflat\n"
    assert merge3(base, "long climb\ndescent\nflat\n", "climb\ndescent\nflat roads\n") == (
        "long climb\ndescent\nflat roads\n"
    )


def test_edits_of_the_same_word_conflict() -> None:
    assert merge3("flat", "hilly", "windy") is None


def test_two_inserts_at_the_same_place_conflict() -> None:
    assert merge3("a b", "a x b", "a y b") is None


def test_the_same_edit_on_both_sides_is_no_conflict() -> None:
    assert merge3("a b c", "a z c", "a z c") == "a z c"


def test_a_one_sided_edit_wins() -> None:
    assert merge3("a b", "a b", "a c") == "a c"
    assert merge3("a b", "x b", "a b") == "x b"


WORDS = st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), max_size=8).map(" ".join)


@given(WORDS, WORDS)
def test_merging_with_an_unchanged_side_gives_the_other(base: str, edited: str) -> None:
    assert merge3(base, edited, base) == edited
    assert merge3(base, base, edited) == edited


@given(WORDS, WORDS, WORDS)
def test_a_clean_merge_does_not_depend_on_the_order(base: str, ours: str, theirs: str) -> None:
    assert merge3(base, ours, theirs) == merge3(base, theirs, ours)
