"""The CSV import's rows: `day,metric,value[,source]`, each line checked, every error listed.

A header line (`day,metric,value[,source]`) is optional; blank lines are skipped; a missing
or empty source is "manual". The whole file is refused if any line is wrong, so nothing is
half-written; the report names each wrong line by number.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date

from bikenode.health.logic.metrics import MetricRuleError, check_day, check_source, check_value

__all__ = ["MAX_CSV_BYTES", "MAX_CSV_LINES", "CsvRow", "LineError", "parse_csv"]

MAX_CSV_BYTES = 1_000_000
MAX_CSV_LINES = 10_000
MAX_ERRORS_LISTED = 50
HEADER = ["day", "metric", "value", "source"]


@dataclass(frozen=True)
class CsvRow:
    """One checked line."""

    line: int
    day: date
    metric: str
    value: float
    source: str


@dataclass(frozen=True)
class LineError:
    """What is wrong with one line (1 is the first line of the file)."""

    line: int
    error: str


def parse_csv(data: bytes, *, today: date) -> tuple[list[CsvRow], list[LineError]]:
    """The file's rows and the errors of its wrong lines (at most 50 listed); a file that is
    too big, not UTF-8 or has too many lines is one error on line 0."""
    if len(data) > MAX_CSV_BYTES:
        return [], [LineError(0, f"expected at most {MAX_CSV_BYTES} bytes, got {len(data)}")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [LineError(0, f"expected UTF-8 text, got a byte that is not ({error.reason})")]
    try:  # newline="": the csv module reads the line ends itself (a lone \r included)
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:  # e.g. a NUL byte, or a field past the csv module's limit
        return [], [LineError(0, f"expected a CSV file, got one the CSV reader refuses: {error}")]
    if len(lines) > MAX_CSV_LINES + 1:
        return [], [LineError(0, f"expected at most {MAX_CSV_LINES} lines, got {len(lines)}")]
    rows, errors = [], []
    seen: dict[tuple[date, str, str], int] = {}
    for number, fields in enumerate(lines, start=1):
        cells = [cell.strip() for cell in fields]
        if not any(cells) or (number == 1 and [c.lower() for c in cells] == HEADER[: len(cells)]):
            continue
        try:
            row = _row(number, cells, today)
        except MetricRuleError as error:
            errors.append(LineError(number, str(error)))
            continue
        key = (row.day, row.metric, row.source)
        if key in seen:
            errors.append(LineError(number, f"the same day, metric and source as line {seen[key]}"))
            continue
        seen[key] = number
        rows.append(row)
    return rows, errors[:MAX_ERRORS_LISTED]


def _row(number: int, cells: list[str], today: date) -> CsvRow:
    if len(cells) not in (3, 4):
        raise MetricRuleError(
            f"expected 3 or 4 fields (day,metric,value[,source]), got {len(cells)}"
        )
    try:
        day = date.fromisoformat(cells[0])
    except ValueError:
        raise MetricRuleError(f"expected a day as YYYY-MM-DD, got {cells[0][:20]!r}") from None
    try:
        number_value = float(cells[2])
    except ValueError:
        raise MetricRuleError(f"expected a number as the value, got {cells[2][:20]!r}") from None
    if not math.isfinite(number_value):
        raise MetricRuleError(f"expected a finite number as the value, got {cells[2][:20]!r}")
    source = cells[3] if len(cells) == 4 and cells[3] else "manual"
    return CsvRow(
        number,
        check_day(day, today=today),
        cells[1],
        check_value(cells[1], number_value),
        check_source(source),
    )
