"""Social's pure rules: mentions, comment text and follow decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.social.logic.rules import (
    MAX_COMMENT_CHARS,
    MAX_MENTIONS,
    CommentRejected,
    clean_comment,
    follow_status,
    mention_key,
    parse_mentions,
)


def test_mentions_are_distinct_case_folded_in_order_of_first_use() -> None:
    assert parse_mentions("hi @Anna and @anna, @bob.") == ["anna", "bob"]


def test_an_email_address_or_a_double_at_is_no_mention() -> None:
    assert parse_mentions("mail me@example.org or @@x") == []


def test_a_mention_ends_at_a_space_or_punctuation() -> None:
    assert parse_mentions("(@Cleo) @dan-the-man! @e.f.") == ["cleo", "dan-the-man", "e.f"]


def test_at_most_ten_mentions_are_read() -> None:
    text = " ".join(f"@r{n}" for n in range(50))
    assert parse_mentions(text) == [f"r{n}" for n in range(MAX_MENTIONS)]


def test_a_display_name_is_written_after_at_without_spaces() -> None:
    assert mention_key("Anna  Li") == "annali"
    assert mention_key("ÉLODIE") == mention_key("élodie")


@given(st.text(max_size=500))
def test_mentions_of_any_text_are_bounded_distinct_keys(text: str) -> None:
    found = parse_mentions(text)
    assert len(found) == len(set(found)) <= MAX_MENTIONS
    assert all(key and " " not in key and key == key.casefold() for key in found)


def test_a_comment_is_trimmed_and_keeps_its_newlines() -> None:
    assert clean_comment("  first line\nsecond\t \n") == "first line\nsecond"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "at least 1 character"),
        (" \n\t ", "at least 1 character"),
        ("x" * (MAX_COMMENT_CHARS + 1), f"got {MAX_COMMENT_CHARS + 1}"),
        ("null \x00 byte", "control character 0x0"),
        ("hidden \u202e text", "control character 0x202e"),
    ],
)
def test_a_comment_breaking_a_rule_is_refused_with_the_rule(text: str, expected: str) -> None:
    with pytest.raises(CommentRejected, match=expected):
        clean_comment(text)


def test_a_comment_of_exactly_the_limit_is_kept() -> None:
    assert len(clean_comment("é" * MAX_COMMENT_CHARS)) == MAX_COMMENT_CHARS


@given(st.text(max_size=3000))
def test_a_kept_comment_is_within_the_limits_and_cleaning_it_again_changes_nothing(
    text: str,
) -> None:
    try:
        cleaned = clean_comment(text)
    except CommentRejected:
        return
    assert 1 <= len(cleaned) <= MAX_COMMENT_CHARS
    assert clean_comment(cleaned) == cleaned


def test_a_follow_waits_only_for_a_rider_who_approves_followers() -> None:
    assert follow_status(approve_followers=True) == "pending"
    assert follow_status(approve_followers=False) == "accepted"
