"""Three-way text merge (diff3) against the version both edits started from.

Multi-line text merges line by line, a single line word by word (whitespace kept), so two
riders who fix different paragraphs of a description, or different words of a name, both
keep their edit. Edits that touch the same or adjacent places are a real conflict: the merge
returns None and the caller keeps both values for the rider to choose.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

_WORDS = re.compile(r"\S+|\s+")


@dataclass(frozen=True)
class _Hunk:
    start: int  # in the base's tokens
    end: int
    tokens: tuple[str, ...]
    side: int  # 0: ours, 1: theirs


def merge3(base: str, ours: str, theirs: str) -> str | None:
    """The merge of two edits of `base`, or None if they overlap (a real conflict)."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    unit = _lines if "\n" in base + ours + theirs else _words
    base_tokens = unit(base)
    hunks = sorted(
        [*_hunks(base_tokens, unit(ours), 0), *_hunks(base_tokens, unit(theirs), 1)],
        key=lambda h: (h.start, h.end),
    )
    merged: list[str] = []
    position = 0
    for group in _overlapping(hunks):
        start = group[0].start
        end = max(h.end for h in group)
        merged.extend(base_tokens[position:start])
        versions = {_side_text(base_tokens, group, side, start, end) for side in (0, 1)}
        sides = {h.side for h in group}
        if len(sides) == 2 and len(versions) == 2:
            return None
        side = next(iter(sides))
        merged.extend(_side_text(base_tokens, group, side, start, end))
        position = end
    merged.extend(base_tokens[position:])
    return "".join(merged)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _hunks(base: list[str], edited: list[str], side: int) -> list[_Hunk]:
    matcher = difflib.SequenceMatcher(None, base, edited, autojunk=False)
    return [
        _Hunk(i1, i2, tuple(edited[j1:j2]), side)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]


def _overlapping(hunks: list[_Hunk]) -> list[list[_Hunk]]:
    """Hunks grouped where their base ranges overlap or touch (git's rule for conflicts)."""
    groups: list[list[_Hunk]] = []
    end = -1
    for hunk in hunks:
        if groups and hunk.start <= end:
            groups[-1].append(hunk)
            end = max(end, hunk.end)
        else:
            groups.append([hunk])
            end = hunk.end
    return groups


def _side_text(
    base: list[str], group: list[_Hunk], side: int, start: int, end: int
) -> tuple[str, ...]:
    """One side's tokens over base[start:end]: its hunks, and the base where it kept it."""
    out: list[str] = []
    position = start
    for hunk in (h for h in group if h.side == side):
        out.extend(base[position : hunk.start])
        out.extend(hunk.tokens)
        position = hunk.end
    out.extend(base[position:end])
    return tuple(out)
