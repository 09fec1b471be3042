"""How document numbers look. Pure.

Each series (selling country, kind, year) counts from 1 without gaps; the series is visible in
the number so two series can never print the same one: ``DE-2026-000001`` for invoices and
``DE-CN-2026-000001`` for credit notes. Six digits are a minimum width, not a limit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from linkplus.models.invoices import DocumentKind

_PREFIX = {DocumentKind.invoice: "", DocumentKind.credit_note: "CN-"}
_PATTERN = re.compile(r"^(?P<country>[A-Z]{2})-(?P<cn>CN-)?(?P<year>\d{4})-(?P<sequence>\d{6,})$")


@dataclass(frozen=True)
class Series:
    country: str
    kind: DocumentKind
    year: int


def document_number(series: Series, sequence: int) -> str:
    if sequence < 1:
        raise ValueError("numbers start at 1")
    if not (1 <= series.year <= 9999):
        raise ValueError(f"year {series.year} cannot be printed in a number")
    return f"{series.country}-{_PREFIX[series.kind]}{series.year:04d}-{sequence:06d}"


def parse_number(number: str) -> tuple[Series, int] | None:
    """The series and position a number names, or None when it is not one of ours."""
    match = _PATTERN.match(number)
    if match is None:
        return None
    kind = DocumentKind.credit_note if match["cn"] else DocumentKind.invoice
    series = Series(match["country"], kind, int(match["year"]))
    return series, int(match["sequence"])
