"""The kinds of notification, their channels and defaults, and their texts.

A text is made from the type and ids only: it may name the recipient's own kind of thing
("a component of your bike") but never quotes another object's content (a name, a comment),
so a notification cannot leak what its recipient may no longer see.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

IN_APP, EMAIL = "in_app", "email"
CHANNELS: tuple[str, ...] = (IN_APP, EMAIL)


@dataclass(frozen=True)
class Rendered:
    """What the rider reads: a title, a sentence or two, and where the app shows more."""

    title: str
    text: str
    link: str


@dataclass(frozen=True)
class Kind:
    """A type of notification: its label in settings, defaults per channel, its text."""

    label: str
    defaults: Mapping[str, bool]
    render: Callable[[Mapping[str, Any]], Rendered]


def _component_due(params: Mapping[str, Any]) -> Rendered:
    if params.get("threshold") == "due":
        return Rendered(
            "A component is due for service",
            "A component of one of your bikes has reached its service interval.",
            "/bikes",
        )
    return Rendered(
        "A component is nearly due for service",
        "A component of one of your bikes is close to its service interval.",
        "/bikes",
    )


def _health_alert(params: Mapping[str, Any]) -> Rendered:
    # Health data: the text says that something is unusual, never what or by how much.
    return Rendered(
        "A new health alert",
        "Something in your recent daily health values is unusual. Open Health to see why.",
        "/health",
    )


KINDS: dict[str, Kind] = {
    "component_due": Kind(
        "A component of your bike is due for service",
        {IN_APP: True, EMAIL: True},
        _component_due,
    ),
    # Off by e-mail until the rider asks: an inbox is a less private place than the app.
    "health_alert": Kind(
        "A new alert on your daily health values",
        {IN_APP: True, EMAIL: False},
        _health_alert,
    ),
}


class UnknownKind(ValueError):
    """A type or channel that is not in the catalogue."""


def render(kind: str, params: Mapping[str, Any]) -> Rendered:
    """The title, text and link of a notification of this kind."""
    if kind not in KINDS:
        raise UnknownKind(f"expected a notification type among {sorted(KINDS)}, got {kind!r}")
    return KINDS[kind].render(params)


def effective(kind: str, channel: str, chosen: Mapping[tuple[str, str], bool]) -> bool:
    """Whether the rider gets this kind on this channel: their choice, else the default."""
    if kind not in KINDS or channel not in CHANNELS:
        raise UnknownKind(
            f"expected a type among {sorted(KINDS)} and a channel among "
            f"{list(CHANNELS)}, got {kind!r} on {channel!r}"
        )
    return chosen.get((kind, channel), KINDS[kind].defaults.get(channel, False))
