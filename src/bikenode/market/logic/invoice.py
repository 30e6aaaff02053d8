"""Quote and invoice arithmetic: line items, tax per line, totals. Pure, integers only.

Units and rules:
- money is integer minor units of the job's currency (cents); never floats;
- a quantity is kept in thousandths (`quantity_milli`): "1.5" hours is 1500, 2 parts 2000;
  at most three decimal places, so any quantity is exact;
- a tax rate is in basis points (1900 = 19 %);
- each line is rounded on its own, half to even (banker's rounding, as EN 16931 allows):
  net = quantity x unit price, then tax = net x rate; the invoice's net, tax and total are
  the sums of the rounded lines, so the lines printed always add up to the total printed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

LineKind = Literal["part", "labour"]
KINDS: tuple[LineKind, ...] = ("part", "labour")
MILLI = 1000
BASIS = 10_000
MAX_LINES = 50
MAX_QUANTITY_MILLI = 10_000 * MILLI  # 10,000 units or hours: beyond is a typing slip
MAX_TAX_BP = 5000  # no VAT rate in the world is above 50 %
MAX_UNIT_MINOR = 10**10
# Default standard VAT / sales tax rates by ISO 3166 country (operators override them in
# BIKENODE_MARKET_TAX_RATES_BP); US sales tax is per state, so 0 unless a line says otherwise.
DEFAULT_TAX_RATES_BP: Mapping[str, int] = {
    "AT": 2000,
    "BE": 2100,
    "CH": 810,
    "DE": 1900,
    "DK": 2500,
    "ES": 2100,
    "FR": 2000,
    "GB": 2000,
    "IE": 2300,
    "IT": 2200,
    "NL": 2100,
    "US": 0,
}
_QUANTITY = re.compile(r"^(\d{1,6})(?:\.(\d{1,3}))?$")


class LineError(ValueError):
    """A line item that cannot be priced: the message says what was expected."""


@dataclass(frozen=True)
class Line:
    kind: LineKind
    description: str
    quantity_milli: int
    unit_minor: int
    tax_bp: int


@dataclass(frozen=True)
class PricedLine:
    line: Line
    net_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        return self.net_minor + self.tax_minor


@dataclass(frozen=True)
class Totals:
    lines: tuple[PricedLine, ...]
    net_minor: int
    tax_minor: int
    total_minor: int


def parse_quantity(value: str | int) -> int:
    """The quantity in thousandths: 2 -> 2000, "1.5" -> 1500; LineError past 3 places."""
    if isinstance(value, bool):
        raise LineError(f"expected a quantity, got {value!r}")
    if isinstance(value, int):
        milli = value * MILLI
    else:
        match = _QUANTITY.match(value.strip())
        if match is None:
            raise LineError(
                f"expected a quantity like 2 or 1.5 (at most 3 decimal places), got {value!r}"
            )
        whole, fraction = match.group(1), (match.group(2) or "").ljust(3, "0")
        milli = int(whole) * MILLI + int(fraction)
    if not 0 < milli <= MAX_QUANTITY_MILLI:
        raise LineError(f"expected a quantity above 0 and at most 10000, got {value!r}")
    return milli


def format_quantity(quantity_milli: int) -> str:
    """Thousandths back to the shortest decimal string: 1500 -> "1.5", 2000 -> "2"."""
    whole, fraction = divmod(quantity_milli, MILLI)
    return f"{whole}.{fraction:03d}".rstrip("0").rstrip(".") if fraction else str(whole)


def divide_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half to even (both non-negative, denominator > 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def price_line(line: Line) -> PricedLine:
    """The line's net (quantity x unit) and tax (net x rate), each rounded half to even."""
    net = divide_half_even(line.quantity_milli * line.unit_minor, MILLI)
    return PricedLine(line, net, divide_half_even(net * line.tax_bp, BASIS))


def totals(lines: Iterable[Line]) -> Totals:
    """Every line priced, and the sums of their rounded net, tax and total."""
    priced = tuple(price_line(line) for line in lines)
    net = sum(p.net_minor for p in priced)
    tax = sum(p.tax_minor for p in priced)
    return Totals(priced, net, tax, net + tax)


def tax_rate_for(country: str | None, rates: Mapping[str, int]) -> int:
    """The default rate of the country, or LineError naming the countries known."""
    if country is None or country.upper() not in rates:
        raise LineError(
            f"expected a tax_rate_bp on each line or a country of {sorted(rates)}, got {country!r}"
        )
    return rates[country.upper()]


def make_line(
    *,
    kind: str,
    description: str,
    quantity: str | int,
    unit_minor: int,
    tax_bp: int | None,
    default_tax_bp: int | None,
) -> Line:
    """A checked line: its own rate, else the default one (LineError when neither)."""
    if kind not in KINDS:
        raise LineError(f"expected a line kind of {list(KINDS)}, got {kind!r}")
    if not 0 <= unit_minor <= MAX_UNIT_MINOR:
        raise LineError(f"expected a unit price from 0 to {MAX_UNIT_MINOR}, got {unit_minor}")
    rate = tax_bp if tax_bp is not None else default_tax_bp
    if rate is None or not 0 <= rate <= MAX_TAX_BP:
        raise LineError(f"expected a tax rate from 0 to {MAX_TAX_BP} basis points, got {rate}")
    return Line(kind, description, parse_quantity(quantity), unit_minor, rate)


SINGLE_PRICE_DESCRIPTION = "Repair as quoted"


def single_price_line(price_minor: int) -> Line:
    """A quote from before line items: one labour line of the whole price, tax included."""
    return Line("labour", SINGLE_PRICE_DESCRIPTION, MILLI, price_minor, 0)


def line_to_json(line: Line) -> dict[str, object]:
    """A line as stored (JSON column) and sent: the quantity as a decimal string."""
    return {
        "kind": line.kind,
        "description": line.description,
        "quantity": format_quantity(line.quantity_milli),
        "unit_minor": line.unit_minor,
        "tax_bp": line.tax_bp,
    }


def line_from_json(data: Mapping[str, object]) -> Line:
    """A stored line back (trusted: written by line_to_json)."""
    return Line(
        data["kind"],  # type: ignore[arg-type]
        str(data["description"]),
        parse_quantity(str(data["quantity"])),
        int(data["unit_minor"]),  # type: ignore[call-overload]
        int(data["tax_bp"]),  # type: ignore[call-overload]
    )


def invoice_number(year: int, seq: int) -> str:
    """The mechanic's invoice number: the year and a gapless sequence, e.g. 2026-000001."""
    return f"{year}-{seq:06d}"


def check_count(lines: Sequence[object]) -> None:
    """LineError past MAX_LINES lines."""
    if len(lines) > MAX_LINES:
        raise LineError(f"expected at most {MAX_LINES} lines, got {len(lines)}")


def tax_rates(overrides: str) -> dict[str, int]:
    """The default rates with an operator's "DE:1900,FR:2000" over them; LineError if garbled."""
    rates = dict(DEFAULT_TAX_RATES_BP)
    for item in filter(None, (part.strip() for part in overrides.split(","))):
        country, _, value = item.partition(":")
        if len(country) != 2 or not value.isdigit() or int(value) > MAX_TAX_BP:
            raise LineError(f"expected COUNTRY:basis_points such as DE:1900, got {item!r}")
        rates[country.upper()] = int(value)
    return rates
