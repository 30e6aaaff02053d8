"""Free text between people keeps what was typed, without controls or bidi overrides."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bikenode.market.logic.text import clean_text


def test_markup_is_kept_as_text_and_overrides_are_dropped() -> None:
    assert clean_text("  <b>Thu</b>\u202e gnimoc\x00\n ok ") == "<b>Thu</b> gnimoc\n ok"


@given(st.text())
def test_cleaning_twice_changes_nothing_and_leaves_no_control(text: str) -> None:
    once = clean_text(text)
    assert clean_text(once) == once
    assert not any(ord(c) < 32 and c not in "\n\t" for c in once)
