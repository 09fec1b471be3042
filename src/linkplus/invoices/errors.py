"""Refusals of the invoices domain. Most are raised to the billing run, not to owners: they mean
a caller asked for a document that cannot exist, and say what to change."""

from __future__ import annotations

from linkplus.errors import Conflict, InvalidInput, NotFound


class DocumentNotFound(NotFound):
    code = "invoice_not_found"
    title = "Invoice not found"


class InvalidDocument(InvalidInput):
    code = "invalid_invoice"
    title = "The invoice cannot be issued"


class MarketNotInvoiced(InvalidInput):
    code = "market_not_invoiced"
    title = "No seller in this market"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key already used for another document"


class NotAnInvoice(InvalidInput):
    code = "not_an_invoice"
    title = "A credit note corrects an invoice"


class CreditExceedsInvoice(Conflict):
    code = "credit_exceeds_invoice"
    title = "More than the invoice has left to credit"
