"""Prints the comparison of HLC merging with wall-clock last-writer-wins after the run."""

from __future__ import annotations

from collections import Counter

import pytest

# Filled by the convergence tests: scenarios run and updates each design lost.
REPORT: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REPORT:
        return
    terminalreporter.section("sync: HLC merge vs wall-clock last-writer-wins")
    for source in ("hypothesis", "seeded"):
        if REPORT[f"{source}.scenarios"]:
            terminalreporter.write_line(
                f"{source:>10}: {REPORT[f'{source}.scenarios']} scenarios, "
                f"{REPORT[f'{source}.writes']} writes; lost updates: "
                f"HLC {REPORT[f'{source}.hlc_lost']}, "
                f"wall-clock LWW {REPORT[f'{source}.wall_lost']}; "
                f"conflicts reported (HLC): {REPORT[f'{source}.conflicts']}; "
                f"poison stamps refused: {REPORT[f'{source}.refused']}"
            )
