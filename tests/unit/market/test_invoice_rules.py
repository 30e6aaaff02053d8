"""Line items, tax and totals: integer arithmetic, each line rounded half to even."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bikenode.market.logic import invoice as rules
from bikenode.market.logic.invoice import Line, LineError


def _line(quantity: str | int, unit_minor: int, tax_bp: int) -> Line:
    return rules.make_line(
        kind="labour",
        description="Labour",
        quantity=quantity,
        unit_minor=unit_minor,
        tax_bp=tax_bp,
        default_tax_bp=None,
    )


@pytest.mark.parametrize(
    ("text", "milli"), [(2, 2000), ("1.5", 1500), ("0.125", 125), ("10", 10000), (" 3.10 ", 3100)]
)
def test_quantities_are_kept_in_thousandths(text: str | int, milli: int) -> None:
    assert rules.parse_quantity(text) == milli


@pytest.mark.parametrize("text", ["1.2345", "-1", "0", "0.000", "1e3", "abc", "", "1,5", True])
def test_a_quantity_past_three_places_or_not_positive_is_refused(text: str | int) -> None:
    with pytest.raises(LineError, match="expected a quantity"):
        rules.parse_quantity(text)


def test_quantities_format_back_to_their_shortest_decimal() -> None:
    assert [rules.format_quantity(m) for m in (1500, 2000, 125, 3100)] == [
        "1.5",
        "2",
        "0.125",
        "3.1",
    ]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (15, 10, 2), (25, 10, 2), (26, 10, 3), (24, 10, 2), (0, 3, 0)],
)
def test_halves_round_to_the_even_neighbour(
    numerator: int, denominator: int, expected: int
) -> None:
    assert rules.divide_half_even(numerator, denominator) == expected


def test_a_line_rounds_its_net_then_its_tax() -> None:
    # 1.5 h at 33.33: 49.995 -> 50.00 (half to even: 4999.5 -> 5000); tax 19 %: 950.00
    priced = rules.price_line(_line("1.5", 3333, 1900))
    assert (priced.net_minor, priced.tax_minor, priced.total_minor) == (5000, 950, 5950)
    # 0.5 x 1 cent: 0.5 -> 0 (even), 1.5 x 1 cent -> 2 (even)
    assert rules.price_line(_line("0.5", 1, 0)).net_minor == 0
    assert rules.price_line(_line("1.5", 1, 0)).net_minor == 2


def test_the_total_is_the_sum_of_the_rounded_lines() -> None:
    lines = [_line(1, 2999, 1900), _line("1.5", 4000, 1900), _line(2, 105, 700)]
    totals = rules.totals(lines)
    assert totals.net_minor == 2999 + 6000 + 210
    assert totals.tax_minor == 570 + 1140 + 15  # 569.81 -> 570, 1140, 14.7 -> 15
    assert totals.total_minor == totals.net_minor + totals.tax_minor


def test_a_line_without_its_own_rate_takes_the_country_default() -> None:
    default = rules.tax_rate_for("de", rules.DEFAULT_TAX_RATES_BP)
    line = rules.make_line(
        kind="part",
        description="BB",
        quantity=1,
        unit_minor=100,
        tax_bp=None,
        default_tax_bp=default,
    )
    assert line.tax_bp == 1900
    with pytest.raises(LineError, match="country of"):
        rules.tax_rate_for("XX", rules.DEFAULT_TAX_RATES_BP)


def test_operators_override_the_default_rates_and_garbled_ones_are_refused() -> None:
    rates = rules.tax_rates("DE:700, se:2500")
    assert (rates["DE"], rates["SE"], rates["FR"]) == (700, 2500, 2000)
    with pytest.raises(LineError, match="COUNTRY:basis_points"):
        rules.tax_rates("DE=19")


def test_bad_kinds_prices_and_rates_are_refused() -> None:
    with pytest.raises(LineError, match="kind"):
        rules.make_line(
            kind="tip", description="x", quantity=1, unit_minor=1, tax_bp=0, default_tax_bp=None
        )
    with pytest.raises(LineError, match="tax rate"):
        _line(1, 100, 6000)
    with pytest.raises(LineError, match="unit price"):
        _line(1, -1, 0)


def test_a_stored_line_reads_back_the_same() -> None:
    line = _line("2.25", 1234, 2100)
    assert rules.line_from_json(rules.line_to_json(line)) == line


def test_invoice_numbers_carry_the_year_and_six_digits() -> None:
    assert rules.invoice_number(2026, 1) == "2026-000001"
    assert rules.invoice_number(2026, 123456) == "2026-123456"


@given(
    quantity_milli=st.integers(1, rules.MAX_QUANTITY_MILLI),
    unit_minor=st.integers(0, 10**8),
    tax_bp=st.integers(0, rules.MAX_TAX_BP),
)
def test_a_line_agrees_with_decimal_half_even_rounding(
    quantity_milli: int, unit_minor: int, tax_bp: int
) -> None:
    line = Line("part", "x", quantity_milli, unit_minor, tax_bp)
    priced = rules.price_line(line)
    net = (Decimal(quantity_milli) * unit_minor / 1000).quantize(Decimal(1), ROUND_HALF_EVEN)
    tax = (net * tax_bp / 10000).quantize(Decimal(1), ROUND_HALF_EVEN)
    assert (priced.net_minor, priced.tax_minor) == (int(net), int(tax))
