"""What a document must be before it is numbered: one set of checks for every invoice, whether it
comes alone or in the billing run's batch, and for credit notes.

Pure: values in, values out (the price and seller catalogues are read-only data files). The
service runs these before it takes a series lock, so a refused request never holds one.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from linkplus.billing.catalogue import Market, price_catalogue
from linkplus.invoices.errors import InvalidDocument, MarketNotInvoiced
from linkplus.invoices.schemas import InvoiceLineIn
from linkplus.invoices.seller import Seller, seller_for
from linkplus.kit.money import sum_money
from linkplus.models.invoices import DocumentKind

MAX_LINES = 100
KEY_MAX = 200
REFERENCE_MAX = 200
REASON_MAX = 500


def check_text(name: str, value: str, longest: int) -> None:
    if not value.strip() or len(value) > longest:
        raise InvalidDocument(f"{name} must be 1 to {longest} characters.")


def check_lines(lines: Sequence[InvoiceLineIn]) -> str:
    """The lines' one currency, after checking they can be printed on a document."""
    if not lines:
        raise InvalidDocument("A document needs at least one line.")
    if len(lines) > MAX_LINES:
        raise InvalidDocument(f"A document has at most {MAX_LINES} lines.")
    currency = lines[0].gross.currency
    for line in lines:
        if line.gross.currency != currency:
            raise InvalidDocument("All lines of a document are in one currency.")
        if line.gross.is_negative:
            raise InvalidDocument("Amounts are positive; a refund is a credit note.")
        if (
            line.period_start is not None
            and line.period_end is not None
            and line.period_end <= line.period_start
        ):
            raise InvalidDocument("A line's period must end after it starts.")
    if sum_money((line.gross for line in lines), currency).is_zero:
        raise InvalidDocument("A document for nothing is not issued.")
    return currency


def amounts(lines: Sequence[InvoiceLineIn]) -> list[list[int | str]]:
    return [[line.gross.minor, line.gross.currency] for line in lines]


def fingerprint(request: dict[str, Any]) -> str:
    """What a key must always come with: who, which charge or refund, how much. A retry that
    differs only in wording, address or date (a run resumed the next day) gets the document
    already issued; a key reused for another amount or payment is a caller's bug and refused."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class CheckedInvoice:
    """An invoice request that passed every check: where it is issued and what its key means."""

    country: str
    fingerprint: str
    selling: Market
    seller: Seller


def check_invoice(
    *,
    account_id: uuid.UUID,
    buyer_country: str,
    lines: Sequence[InvoiceLineIn],
    charge_reference: str,
    idempotency_key: str,
    market: str | None,
) -> CheckedInvoice:
    """Check one invoice request. ``market`` (the car's market, whose prices were charged)
    defaults to the buyer's country; its seller issues the invoice and its VAT is in the lines."""
    country = market or buyer_country
    check_text("idempotency_key", idempotency_key, KEY_MAX)
    check_text("charge_reference", charge_reference, REFERENCE_MAX)
    currency = check_lines(lines)
    seller = seller_for(country)
    selling = price_catalogue().market(country)
    if seller is None or selling is None:
        raise MarketNotInvoiced(
            f"There is no selling entity for {country}: invoices can only be issued in the "
            "markets of the price catalogue."
        )
    if currency != selling.currency:
        raise InvalidDocument(
            f"Lines are in {currency} but {country} is invoiced in {selling.currency}."
        )
    key = fingerprint(
        {
            "kind": DocumentKind.invoice.value,
            "account_id": str(account_id),
            "market": country,
            "amounts": amounts(lines),
            "reference": charge_reference.strip(),
        }
    )
    return CheckedInvoice(country=country, fingerprint=key, selling=selling, seller=seller)
