"""Which moderation action fits which object, and appeal text limits (social/logic/rules.py)."""

from __future__ import annotations

import pytest

from bikenode.social.logic.rules import (
    MAX_APPEAL_CHARS,
    CommentRejected,
    check_action,
    clean_appeal,
)


@pytest.mark.parametrize(
    ("kind", "object_kind", "timed"),
    [
        ("hide", "ride", False),
        ("hide", "comment", False),
        ("warn", "user", False),
        ("suspend", "comment", True),
        ("suspend", "user", False),
        ("dismiss", "user", False),
    ],
)
def test_actions_that_fit_their_object_pass(kind: str, object_kind: str, timed: bool) -> None:
    check_action(kind, object_kind, timed)


@pytest.mark.parametrize(
    ("kind", "object_kind", "timed", "words"),
    [
        ("hide", "user", False, "expected a ride or a comment to hide, got a user"),
        ("warn", "ride", True, "expected no end date for a warn"),
        ("dismiss", "user", True, "expected no end date for a dismiss"),
    ],
)
def test_actions_that_do_not_fit_say_why(
    kind: str, object_kind: str, timed: bool, words: str
) -> None:
    with pytest.raises(CommentRejected, match=words):
        check_action(kind, object_kind, timed)


def test_an_appeal_holds_up_to_2000_characters() -> None:
    assert clean_appeal("  x" * 1 + "y" * (MAX_APPEAL_CHARS - 1)) == "x" + "y" * 1999
    with pytest.raises(CommentRejected, match="at most 2000"):
        clean_appeal("y" * (MAX_APPEAL_CHARS + 1))
