"""docs/market.md draws the state machine the code declares."""

from __future__ import annotations

from pathlib import Path

from bikenode.market.logic.states import mermaid_diagram

DOC = Path(__file__).parents[3] / "docs" / "market.md"


def test_the_documented_diagram_is_the_declared_state_machine() -> None:
    assert f"```mermaid\n{mermaid_diagram()}```" in DOC.read_text(encoding="utf-8")
