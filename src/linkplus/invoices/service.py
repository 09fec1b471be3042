"""Invoices and credit notes: issuing them for the billing run, showing them to owners and staff.

The billing run calls ``issue_invoice`` for every successful charge and ``issue_credit_note`` for
every refund, in the transaction that records the payment. Both are idempotent by key: a retried
or resumed run that asks again gets the document already issued, never a second one. Numbers are
gapless per series (selling country, kind, year) because the counter is taken and advanced in the
same transaction as the document; a transaction that rolls back gives its number back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import service as audit
from linkplus.billing.catalogue import price_catalogue
from linkplus.billing.vat import split_lines
from linkplus.invoices import pdf, repository
from linkplus.invoices.errors import (
    CreditExceedsInvoice,
    DocumentNotFound,
    IdempotencyKeyReused,
    InvalidDocument,
    MarketNotInvoiced,
    NotAnInvoice,
)
from linkplus.invoices.numbering import Series, document_number
from linkplus.invoices.schemas import (
    Buyer,
    DocumentOut,
    DocumentPage,
    DocumentSummary,
    InvoiceLineIn,
    ResentOut,
)
from linkplus.invoices.seller import seller_for
from linkplus.invoices.sending import SEND_DOCUMENT
from linkplus.jobs import enqueue
from linkplus.jobs.queue import enqueue_many
from linkplus.kit.money import Money, sum_money
from linkplus.models.accounts import StaffAccount
from linkplus.models.invoices import DocumentKind, InvoiceDocument, InvoiceLine
from linkplus.runtime import Runtime

MAX_PAGE = 100
MAX_LINES = 100
_KEY_MAX = 200
_REFERENCE_MAX = 200
_REASON_MAX = 500

# --- issuing ---------------------------------------------------------------------------------


async def issue_invoice(
    session: AsyncSession,
    runtime: Runtime,
    *,
    account_id: uuid.UUID,
    buyer: Buyer,
    lines: Sequence[InvoiceLineIn],
    charge_reference: str,
    issued_on: date,
    idempotency_key: str,
    market: str | None = None,
) -> DocumentOut:
    """The invoice for one charge, VAT included in every line's ``gross``.

    ``market`` is the country whose prices were charged (the car's market): its seller issues
    the invoice, its VAT rate is inside the price and its series numbers it. It defaults to the
    buyer's country. Asking again with the same ``idempotency_key`` and the same content returns
    the invoice already issued; the same key with other content is refused.
    """
    country = market or buyer.country
    _check_text("idempotency_key", idempotency_key, _KEY_MAX)
    _check_text("charge_reference", charge_reference, _REFERENCE_MAX)
    currency = _check_lines(lines)
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
    fingerprint = _fingerprint(
        {
            "kind": DocumentKind.invoice.value,
            "account_id": str(account_id),
            "market": country,
            "amounts": _amounts(lines),
            "reference": charge_reference.strip(),
        }
    )
    existing = await _already_issued(session, idempotency_key, fingerprint)
    if existing is not None:
        return existing
    contact = await repository.account_contact(session, account_id)
    if contact is None:
        raise InvalidDocument(f"There is no account {account_id} to invoice.")
    series = Series(country, DocumentKind.invoice, issued_on.year)
    last = await repository.lock_counter(session, series)
    # Checked again under the series lock: a concurrent run with the same key has committed by now.
    existing = await _already_issued(session, idempotency_key, fingerprint)
    if existing is not None:
        return existing
    document = InvoiceDocument(
        kind=DocumentKind.invoice.value,
        account_id=account_id,
        corrects_id=None,
        payment_reference=charge_reference.strip(),
        reason=None,
        currency=currency,
        vat_rate=str(selling.vat_rate),
        tax_name=selling.tax_name,
        locale=_buyer_locale(contact[1], buyer.country, fallback=selling.locale),
        seller=seller.snapshot(),
        buyer=buyer.model_dump(mode="json"),
    )
    return await _issue(
        session,
        runtime,
        document,
        series,
        last,
        lines,
        selling.vat_rate,
        issued_on,
        (idempotency_key, fingerprint),
    )


@dataclass(frozen=True)
class InvoiceRequest:
    """One invoice of a batch: the same arguments as ``issue_invoice`` takes."""

    account_id: uuid.UUID
    buyer: Buyer
    lines: Sequence[InvoiceLineIn]
    charge_reference: str
    issued_on: date
    idempotency_key: str
    market: str | None = None


async def issue_invoices(
    session: AsyncSession, runtime: Runtime, requests: Sequence[InvoiceRequest]
) -> list[uuid.UUID]:
    """Many invoices at once (the billing run's chunk), with ``issue_invoice``'s rules: the ids
    of the documents, in the order asked, each issued once per key (a key already issued with
    the same content gives that document; with other content it is refused, and so is the batch).

    A handful of statements per batch instead of about ten per invoice: every series involved is
    locked (in one order, so concurrent batches cannot deadlock), the keys are looked up once
    under those locks, each series is advanced by the number of new documents with one update,
    and documents, lines and e-mail jobs are each one multi-row insert. The counters move in the
    caller's transaction, so a batch that rolls back leaves no gap.
    """
    now = runtime.clock.now()
    # (request, selling country, request fingerprint, the country's market in the catalogue)
    prepared: list[tuple[InvoiceRequest, str, str, Any]] = []
    for request in requests:
        country = request.market or request.buyer.country
        _check_text("idempotency_key", request.idempotency_key, _KEY_MAX)
        _check_text("charge_reference", request.charge_reference, _REFERENCE_MAX)
        currency = _check_lines(request.lines)
        selling = price_catalogue().market(country)
        if seller_for(country) is None or selling is None:
            raise MarketNotInvoiced(
                f"There is no selling entity for {country}: invoices can only be issued in the "
                "markets of the price catalogue."
            )
        if currency != selling.currency:
            raise InvalidDocument(
                f"Lines are in {currency} but {country} is invoiced in {selling.currency}."
            )
        fingerprint = _fingerprint(
            {
                "kind": DocumentKind.invoice.value,
                "account_id": str(request.account_id),
                "market": country,
                "amounts": _amounts(request.lines),
                "reference": request.charge_reference.strip(),
            }
        )
        prepared.append((request, country, fingerprint, selling))
    keys = [request.idempotency_key for request in requests]
    if len(set(keys)) != len(keys):
        raise InvalidDocument("A batch asks for the same idempotency key twice.")
    if not prepared:
        return []
    contacts = await repository.account_contacts(
        session, sorted({request.account_id for request in requests})
    )
    all_series = sorted(
        {Series(country, DocumentKind.invoice, r.issued_on.year) for r, country, _, _ in prepared},
        key=lambda s: (s.country, s.kind.value, s.year),
    )
    for series in all_series:
        await repository.lock_counter(session, series)
    # Looked up under the series locks: a concurrent run with the same keys has committed by now.
    existing = await repository.by_idempotency_keys(session, keys)
    ids: list[uuid.UUID] = []
    new: dict[Series, list[tuple[InvoiceRequest, str, str, Any, uuid.UUID]]] = {}
    for request, country, fingerprint, selling in prepared:
        found = existing.get(request.idempotency_key)
        if found is not None:
            if found[1] != fingerprint:
                raise IdempotencyKeyReused(
                    f"The key {request.idempotency_key!r} already issued a document with other "
                    "content. Use a new key for a new document."
                )
            ids.append(found[0])
            continue
        if request.account_id not in contacts:
            raise InvalidDocument(f"There is no account {request.account_id} to invoice.")
        document_id = uuid.uuid4()
        ids.append(document_id)
        series = Series(country, DocumentKind.invoice, request.issued_on.year)
        new.setdefault(series, []).append((request, country, fingerprint, selling, document_id))
    documents: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for series in all_series:
        batch = new.get(series)
        if not batch:
            continue
        last = await repository.reserve_numbers(session, series, len(batch))
        for offset, (request, country, fingerprint, selling, document_id) in enumerate(batch):
            sequence = last + 1 + offset
            splits, total = split_lines([line.gross for line in request.lines], selling.vat_rate)
            seller = seller_for(country)
            assert seller is not None  # checked above
            documents.append(
                {
                    "id": document_id,
                    "kind": DocumentKind.invoice.value,
                    "number": document_number(series, sequence),
                    "series_country": series.country,
                    "series_year": series.year,
                    "sequence": sequence,
                    "account_id": request.account_id,
                    "corrects_id": None,
                    "idempotency_key": request.idempotency_key,
                    "request_fingerprint": fingerprint,
                    "payment_reference": request.charge_reference.strip(),
                    "reason": None,
                    "issued_on": request.issued_on,
                    "created_at": now,
                    "currency": total.gross.currency,
                    "vat_rate": str(selling.vat_rate),
                    "tax_name": selling.tax_name,
                    "locale": _buyer_locale(
                        contacts[request.account_id][1],
                        request.buyer.country,
                        fallback=selling.locale,
                    ),
                    "seller": seller.snapshot(),
                    "buyer": request.buyer.model_dump(mode="json"),
                    "net_minor": total.net.minor,
                    "vat_minor": total.vat.minor,
                    "gross_minor": total.gross.minor,
                }
            )
            for position, (line, split) in enumerate(
                zip(request.lines, splits, strict=True), start=1
            ):
                line_rows.append(
                    {
                        "document_id": document_id,
                        "position": position,
                        "description": line.description,
                        "package": line.package,
                        "vin": line.vin,
                        "period_start": line.period_start,
                        "period_end": line.period_end,
                        "net_minor": split.net.minor,
                        "vat_minor": split.vat.minor,
                        "gross_minor": split.gross.minor,
                    }
                )
    await repository.add_documents(session, documents, line_rows)
    await enqueue_many(
        session,
        SEND_DOCUMENT,
        [({"document_id": str(d["id"])}, f"{SEND_DOCUMENT}:{d['id']}") for d in documents],
        now=now,
    )
    return ids


async def issue_credit_note(
    session: AsyncSession,
    runtime: Runtime,
    *,
    invoice_id: uuid.UUID,
    lines: Sequence[InvoiceLineIn],
    refund_reference: str,
    issued_on: date,
    idempotency_key: str,
    reason: str,
) -> DocumentOut:
    """The credit note for one refund against ``invoice_id``.

    Seller, buyer, currency and VAT rate are the invoice's. All credit notes of an invoice
    together never exceed its total: the invoice row is locked while this one is checked.
    """
    _check_text("idempotency_key", idempotency_key, _KEY_MAX)
    _check_text("refund_reference", refund_reference, _REFERENCE_MAX)
    _check_text("reason", reason, _REASON_MAX)
    currency = _check_lines(lines)
    invoice = await repository.lock_invoice(session, invoice_id)
    if invoice is None:
        raise DocumentNotFound(f"There is no invoice {invoice_id}.")
    if invoice.kind != DocumentKind.invoice.value:
        raise NotAnInvoice(f"{invoice.number} is a credit note; a credit note corrects an invoice.")
    fingerprint = _fingerprint(
        {
            "kind": DocumentKind.credit_note.value,
            "invoice_id": str(invoice_id),
            "amounts": _amounts(lines),
            "reference": refund_reference.strip(),
        }
    )
    existing = await _already_issued(session, idempotency_key, fingerprint)
    if existing is not None:
        return existing
    if currency != invoice.currency:
        raise InvalidDocument(f"Invoice {invoice.number} is in {invoice.currency}, not {currency}.")
    if issued_on < invoice.issued_on:
        raise InvalidDocument(
            f"A credit note cannot be dated before its invoice ({invoice.issued_on.isoformat()})."
        )
    remaining = invoice.gross_minor - await repository.credited_minor(session, invoice.id)
    asked = sum(line.gross.minor for line in lines)
    if asked > remaining:
        left = Money(remaining, currency)
        raise CreditExceedsInvoice(
            f"Invoice {invoice.number} has {left} left to credit; {Money(asked, currency)} was "
            "asked. Credit at most what is left.",
        )
    series = Series(invoice.series_country, DocumentKind.credit_note, issued_on.year)
    last = await repository.lock_counter(session, series)
    document = InvoiceDocument(
        kind=DocumentKind.credit_note.value,
        account_id=invoice.account_id,
        corrects_id=invoice.id,
        payment_reference=refund_reference.strip(),
        reason=reason.strip(),
        currency=currency,
        vat_rate=invoice.vat_rate,
        tax_name=invoice.tax_name,
        locale=invoice.locale,
        seller=dict(invoice.seller),
        buyer=dict(invoice.buyer),
    )
    return await _issue(
        session,
        runtime,
        document,
        series,
        last,
        lines,
        Decimal(invoice.vat_rate),
        issued_on,
        (idempotency_key, fingerprint),
        corrects_number=invoice.number,
    )


async def _issue(
    session: AsyncSession,
    runtime: Runtime,
    document: InvoiceDocument,
    series: Series,
    last: int,
    lines: Sequence[InvoiceLineIn],
    rate: Decimal,
    issued_on: date,
    keys: tuple[str, str],  # the idempotency key and the request's fingerprint
    *,
    corrects_number: str | None = None,
) -> DocumentOut:
    """Number, split the VAT, store, queue the e-mail: the part both kinds share."""
    now = runtime.clock.now()
    splits, total = split_lines([line.gross for line in lines], rate)
    sequence = last + 1
    document.id = uuid.uuid4()
    document.idempotency_key, document.request_fingerprint = keys
    document.series_country = series.country
    document.series_year = series.year
    document.sequence = sequence
    document.number = document_number(series, sequence)
    document.issued_on = issued_on
    document.created_at = now
    document.net_minor = total.net.minor
    document.vat_minor = total.vat.minor
    document.gross_minor = total.gross.minor
    rows = [
        InvoiceLine(
            position=position,
            description=line.description,
            package=line.package,
            vin=line.vin,
            period_start=line.period_start,
            period_end=line.period_end,
            net_minor=split.net.minor,
            vat_minor=split.vat.minor,
            gross_minor=split.gross.minor,
        )
        for position, (line, split) in enumerate(zip(lines, splits, strict=True), start=1)
    ]
    await repository.add_document(session, document, rows)
    await repository.set_counter(session, series, sequence)
    await enqueue(
        session,
        SEND_DOCUMENT,
        {"document_id": str(document.id)},
        now=now,
        dedupe_key=f"{SEND_DOCUMENT}:{document.id}",
    )
    return DocumentOut.of(document, rows, corrects_number=corrects_number)


async def _already_issued(
    session: AsyncSession, idempotency_key: str, fingerprint: str
) -> DocumentOut | None:
    found = await repository.by_idempotency_key(session, idempotency_key)
    if found is None:
        return None
    if found.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"The key {idempotency_key!r} already issued {found.number} with other content. "
            "Use a new key for a new document."
        )
    return await _out(session, found)


def _check_text(name: str, value: str, longest: int) -> None:
    if not value.strip() or len(value) > longest:
        raise InvalidDocument(f"{name} must be 1 to {longest} characters.")


def _check_lines(lines: Sequence[InvoiceLineIn]) -> str:
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


def _amounts(lines: Sequence[InvoiceLineIn]) -> list[list[int | str]]:
    return [[line.gross.minor, line.gross.currency] for line in lines]


def _fingerprint(request: dict[str, Any]) -> str:
    """What a key must always come with: who, which charge or refund, how much. A retry that
    differs only in wording, address or date (a run resumed the next day) gets the document
    already issued; a key reused for another amount or payment is a caller's bug and refused."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _buyer_locale(language: str, country: str, *, fallback: str) -> str:
    """The buyer's language as used in their country (``de_AT``), for amounts and dates."""
    for candidate in (f"{language}_{country}", language, fallback):
        try:
            return str(Locale.parse(candidate.replace("-", "_")))
        except (UnknownLocaleError, ValueError):
            continue
    return "en"


# --- reading ---------------------------------------------------------------------------------


async def _out(session: AsyncSession, row: InvoiceDocument) -> DocumentOut:
    lines = await repository.lines_of(session, row.id)
    corrects = await repository.number_of(session, row.corrects_id) if row.corrects_id else None
    return DocumentOut.of(row, lines, corrects_number=corrects)


async def document(session: AsyncSession, *, document_id: uuid.UUID) -> DocumentOut | None:
    """Any document by id, for the billing run and staff tools (no ownership check)."""
    row = await repository.get_document(session, document_id)
    return await _out(session, row) if row is not None else None


async def credited(session: AsyncSession, *, invoice_id: uuid.UUID) -> Money | None:
    """What has been credited on an invoice so far (None for no such invoice)."""
    row = await repository.get_document(session, invoice_id)
    if row is None or row.kind != DocumentKind.invoice.value:
        return None
    return Money(await repository.credited_minor(session, invoice_id), row.currency)


async def _page(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    limit: int,
    before: datetime | None,
    before_id: uuid.UUID | None,
) -> DocumentPage:
    limit = max(1, min(limit, MAX_PAGE))
    rows = await repository.documents_of_account(
        session, account_id=account_id, limit=limit, before=before, before_id=before_id
    )
    more = len(rows) == limit
    return DocumentPage(
        items=[DocumentSummary.of(row) for row in rows],
        next_before=rows[-1].created_at if more else None,
        next_before_id=rows[-1].id if more else None,
    )


async def owner_documents(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    limit: int = 20,
    before: datetime | None = None,
    before_id: uuid.UUID | None = None,
) -> DocumentPage:
    """The account's invoices and credit notes, newest first."""
    return await _page(
        session, account_id=account_id, limit=limit, before=before, before_id=before_id
    )


async def _owned(
    session: AsyncSession, *, account_id: uuid.UUID, document_id: uuid.UUID
) -> InvoiceDocument:
    row = await repository.get_document_of_account(
        session, account_id=account_id, document_id=document_id
    )
    if row is None:
        # Another account's document gets the same answer as one that does not exist.
        raise DocumentNotFound("There is no such invoice in your account.")
    return row


async def owner_document(
    session: AsyncSession, *, account_id: uuid.UUID, document_id: uuid.UUID
) -> DocumentOut:
    return await _out(
        session, await _owned(session, account_id=account_id, document_id=document_id)
    )


async def owner_pdf(
    session: AsyncSession, *, account_id: uuid.UUID, document_id: uuid.UUID
) -> tuple[str, bytes]:
    """The file name and PDF of one of the account's documents (web app and API downloads)."""
    found = await owner_document(session, account_id=account_id, document_id=document_id)
    return pdf.file_name(found), pdf.render_pdf(found)


# --- staff -----------------------------------------------------------------------------------


async def staff_account_documents(
    session: AsyncSession,
    runtime: Runtime,
    staff: StaffAccount,
    *,
    account_id: uuid.UUID,
    limit: int = 20,
    before: datetime | None = None,
    before_id: uuid.UUID | None = None,
) -> DocumentPage:
    """A customer's documents for the customer centre (audited)."""
    page = await _page(
        session, account_id=account_id, limit=limit, before=before, before_id=before_id
    )
    await audit.record(
        session,
        now=runtime.clock.now(),
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.invoices_viewed",
        subject_type="account",
        subject_id=str(account_id),
    )
    return page


async def staff_resend(
    session: AsyncSession, runtime: Runtime, staff: StaffAccount, *, document_id: uuid.UUID
) -> ResentOut:
    """E-mail a document again to the account's current address (audited)."""
    row = await repository.get_document(session, document_id)
    contact = await repository.account_contact(session, row.account_id) if row else None
    if row is None or contact is None:
        raise DocumentNotFound("There is no such invoice, or its account no longer exists.")
    now = runtime.clock.now()
    await enqueue(session, SEND_DOCUMENT, {"document_id": str(row.id)}, now=now)
    await audit.record(
        session,
        now=now,
        actor_type="staff",
        actor_id=str(staff.id),
        action="staff.invoice_resent",
        subject_type="invoice",
        subject_id=str(row.id),
        details={"number": row.number, "account_id": str(row.account_id), "to": contact[0]},
    )
    return ResentOut(document_id=row.id, number=row.number, sent_to=contact[0])
