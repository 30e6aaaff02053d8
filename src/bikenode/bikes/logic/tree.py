"""Rules for where a component may go: no overlapping windows, no component inside itself."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

from bikenode.bikes.logic.usage import Installation, windows_overlap


def first_overlap(
    start: datetime, end: datetime | None, windows: Iterable[Installation]
) -> Installation | None:
    """The first of the windows that shares an instant with [start, end), if any."""
    for window in windows:
        if windows_overlap(start, end, window.installed_at, window.removed_at):
            return window
    return None


def ancestors(
    component_id: uuid.UUID, parents: Mapping[uuid.UUID, Iterable[uuid.UUID]]
) -> set[uuid.UUID]:
    """Every component the given one ever sat in, directly or further up (at any time)."""
    seen: set[uuid.UUID] = set()
    todo = [component_id]
    while todo:
        for parent in parents.get(todo.pop(), ()):
            if parent not in seen:
                seen.add(parent)
                todo.append(parent)
    return seen


def would_nest_in_itself(
    component_id: uuid.UUID,
    parent_id: uuid.UUID,
    parents: Mapping[uuid.UUID, Iterable[uuid.UUID]],
) -> bool:
    """Whether putting the component into `parent_id` puts it inside itself: the parent is
    the component or one of its descendants (the component is among the parent's ancestors)."""
    return parent_id == component_id or component_id in ancestors(parent_id, parents)
