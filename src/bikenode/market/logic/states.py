"""The repair job's state machine, declared once as a table of named transitions.

Each transition names the states it leaves, the state it enters and the one actor allowed to
take it (rider: the job's owner; mechanic: a mechanic, the accepted one once a quote is
accepted; admin; system: the clock or the payment provider). `apply_transition` is the only
judge; the service asks it before every change, and docs/market.md draws the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal[
    "draft",
    "open",
    "quoted",
    "accepted",
    "in_progress",
    "done",
    "invoiced",
    "paid",
    "reviewed",
    "cancelled",
    "expired",
    "disputed",
]
Actor = Literal["rider", "mechanic", "admin", "system"]
ACTORS: tuple[Actor, ...] = ("rider", "mechanic", "admin", "system")


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[State]
    target: State
    actor: Actor


def _t(name: str, sources: str, target: State, actor: Actor) -> Transition:
    return Transition(name, frozenset(sources.split()), target, actor)  # type: ignore[arg-type]


TRANSITIONS: tuple[Transition, ...] = (
    _t("publish", "draft", "open", "rider"),
    _t("receive_quote", "open quoted", "quoted", "mechanic"),
    _t("lapse_quotes", "quoted", "open", "system"),  # every quote expired or withdrawn
    _t("accept", "quoted", "accepted", "rider"),
    _t("start", "accepted", "in_progress", "mechanic"),
    _t("finish", "in_progress", "done", "mechanic"),
    _t("invoice", "done", "invoiced", "mechanic"),
    _t("auto_invoice", "done", "invoiced", "system"),  # N days after done
    _t("pay", "invoiced", "paid", "system"),  # the provider confirmed the payment
    _t("review", "paid", "reviewed", "rider"),
    _t("cancel", "draft open quoted accepted", "cancelled", "rider"),
    _t("withdraw", "accepted", "cancelled", "mechanic"),
    _t("expire", "open", "expired", "system"),
    _t("dispute", "done invoiced", "disputed", "rider"),  # before paying: no money moved
    _t("resolve", "disputed", "done", "admin"),
    _t("refund", "paid", "cancelled", "admin"),  # escrow back to the rider
)
BY_NAME = {t.name: t for t in TRANSITIONS}
STATES: tuple[State, ...] = State.__args__  # type: ignore[attr-defined]
TERMINAL: frozenset[State] = frozenset({"reviewed", "cancelled", "expired"})


@dataclass(frozen=True)
class Refusal:
    """Why a transition may not be taken, and what this actor may do from here instead."""

    reason: str
    allowed: tuple[str, ...]


def allowed_transitions(state: State, actor: Actor) -> tuple[str, ...]:
    """The names of the transitions `actor` may take from `state`, in declaration order."""
    return tuple(t.name for t in TRANSITIONS if state in t.sources and t.actor == actor)


def apply_transition(state: State, name: str, actor: Actor) -> State | Refusal:
    """The state after `actor` takes transition `name` from `state`, or why not."""
    transition = BY_NAME.get(name)
    allowed = allowed_transitions(state, actor)
    if transition is None:
        return Refusal(f"expected a transition of {sorted(BY_NAME)}, got {name!r}", allowed)
    if transition.actor != actor:
        return Refusal(f"{name!r} is taken by the {transition.actor}, not the {actor}", allowed)
    if state not in transition.sources:
        return Refusal(f"a {state} job cannot {name}", allowed)
    return transition.target


def mermaid_diagram() -> str:
    """The state machine as a Mermaid state diagram (docs/market.md embeds it)."""
    lines = ["stateDiagram-v2", "    [*] --> draft"]
    for t in TRANSITIONS:
        for source in sorted(t.sources):
            lines.append(f"    {source} --> {t.target}: {t.name} ({t.actor})")
    lines += [f"    {s} --> [*]" for s in sorted(TERMINAL)]
    return "\n".join(lines) + "\n"
