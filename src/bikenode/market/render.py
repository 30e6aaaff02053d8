"""Invoices for people: amounts formatted with Babel (CLDR) and a PDF made with fpdf2.

Money stays integer minor units until this last step; ISO 4217 says how many digits a
currency's minor unit has (EUR 2, JPY 0), Babel's CLDR data how a locale writes it.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale, UnknownLocaleError

__all__ = ["Locale", "invoice_pdf", "locale_of", "money"]
from babel.numbers import format_currency, get_currency_precision
from fpdf import FPDF

from bikenode.errors import InvalidInput
from bikenode.market.models import Invoice

DEFAULT_LOCALE = "en"
# The PDF's own font (Helvetica, built into every reader) covers Latin-1 only: amounts are
# written with the ISO code ("1,234.50 EUR") rather than a sign such as the euro's.
PDF_MONEY = "#,##0.00 \xa4\xa4"


def locale_of(tag: str | None) -> Locale:
    """A Babel locale from a tag such as de_DE or en-GB; InvalidInput for an unknown one."""
    try:
        return Locale.parse((tag or DEFAULT_LOCALE).replace("-", "_"))
    except (ValueError, UnknownLocaleError) as error:
        raise InvalidInput(f"expected a locale such as en_GB or de_DE, got {tag!r}") from error


def money(amount_minor: int, currency: str, locale: Locale, *, pattern: str | None = None) -> str:
    """Integer minor units as the locale writes that currency: 123450 EUR -> "1.234,50 €"."""
    value = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return format_currency(value, currency, format=pattern, locale=locale)


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def invoice_pdf(invoice: Invoice, *, issuer: str, title: str, compress: bool = True) -> bytes:
    """The invoice as a one-page (or longer) A4 PDF: number, date, lines, tax and total."""
    locale = Locale.parse(DEFAULT_LOCALE)

    def cash(minor: int) -> str:
        return money(minor, invoice.currency, locale, pattern=PDF_MONEY)

    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(f"Invoice {invoice.number}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Invoice {invoice.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for text in (
        f"Issued {invoice.issued_at.date().isoformat()} by {issuer}",
        f"For: {title}",
        f"Currency: {invoice.currency}"
        + (f", tax of {invoice.country}" if invoice.country else ""),
    ):
        pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (80, 20, 30, 20, 40)
    pdf.set_font("Helvetica", "B", 10)
    for width, head in zip(widths, ("Item", "Qty", "Unit", "Tax", "Net"), strict=True):
        pdf.cell(width, 7, head, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", size=10)
    for line in invoice.lines:
        cells = (
            f"{line['description']}" + (" (added)" if line.get("extra") else ""),
            str(line["quantity"]),
            cash(int(line["unit_minor"])),  # type: ignore[call-overload]
            f"{int(line['tax_bp']) / 100:g} %",  # type: ignore[call-overload]
            cash(int(line["net_minor"])),  # type: ignore[call-overload]
        )
        for width, text in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _latin1(text[:48]))
        pdf.ln()
    pdf.ln(3)
    for label, minor in (("Net", invoice.net_minor), ("Tax", invoice.tax_minor)):
        pdf.cell(150, 7, label, align="R")
        pdf.cell(40, 7, cash(minor), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(150, 8, "Total", align="R")
    pdf.cell(40, 8, cash(invoice.total_minor), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
