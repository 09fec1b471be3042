"""Invoices and credit notes: issuing them for the billing run, showing them to owners and staff.

The billing run calls ``issue_invoice`` for every successful charge and ``issue_credit_note`` for
every refund, in the transaction that records the payment. Both are idempotent by key: a retried
or resumed run that asks again gets the document already issued, never a second one. Numbers are
gapless per series (selling country, kind, year) because the counter is taken and advanced in the
same transaction as the document; a transaction that rolls back gives its number back.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.audit import access
from linkplus.audit import service as audit
from linkplus.audit.reasons import AccessReason, ViewKind
from linkplus.billing.vat import split_lines
from linkplus.invoices import checks, pdf, repository
from linkplus.invoices.errors import (
    CreditExceedsInvoice,
    DocumentNotFound,
    IdempotencyKeyReused,
    InvalidDocument,
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
    SendDocumentJob,
)
from linkplus.jobs import enqueue
from linkplus.jobs.queue import enqueue_many
from linkplus.kit.money import Money
from linkplus.models.accounts import StaffAccount
from linkplus.models.invoices import DocumentKind, InvoiceDocument, InvoiceLine
from linkplus.runtime import Runtime

MAX_PAGE = 100

# --- issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceRequest:
    """One invoice: who buys, the lines (VAT included in every ``gross``), the charge it is for.

    ``market`` is the country whose prices were charged (the car's market): its seller issues
    the invoice, its VAT rate is inside the price and its series numbers it. It defaults to the
    buyer's country.
    """

    account_id: uuid.UUID
    buyer: Buyer
    lines: Sequence[InvoiceLineIn]
    charge_reference: str
    issued_on: date
    idempotency_key: str
    market: str | None = None


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
    """The invoice for one charge: ``issue_invoices`` with a batch of one.

    Asking again with the same ``idempotency_key`` and the same content returns the invoice
    already issued; the same key with other content is refused.
    """
    request = InvoiceRequest(
        account_id=account_id,
        buyer=buyer,
        lines=lines,
        charge_reference=charge_reference,
        issued_on=issued_on,
        idempotency_key=idempotency_key,
        market=market,
    )
    [document_id] = await issue_invoices(session, runtime, [request])
    issued = await document(session, document_id=document_id)
    assert issued is not None  # issued or found in this transaction
    return issued


async def issue_invoices(
    session: AsyncSession, runtime: Runtime, requests: Sequence[InvoiceRequest]
) -> list[uuid.UUID]:
    """Invoices for many charges at once (the billing run's chunk): the ids of the documents,
    in the order asked, each issued once per key (a key already issued with the same content
    gives that document; with other content it is refused, and so is the batch).

    Every request passes ``checks.check_invoice`` before any lock is taken. Then a handful of
    statements per batch: every series involved is locked (in one order, so concurrent batches
    cannot deadlock), the keys are looked up under those locks (a concurrent run with the same
    keys has committed by then), each series is advanced by the number of new documents with one
    update, and documents, lines and e-mail jobs are each one multi-row insert. The counters move
    in the caller's transaction, so a batch that rolls back leaves no gap.
    """
    now = runtime.clock.now()
    checked = [
        checks.check_invoice(
            account_id=request.account_id,
            buyer_country=request.buyer.country,
            lines=request.lines,
            charge_reference=request.charge_reference,
            idempotency_key=request.idempotency_key,
            market=request.market,
        )
        for request in requests
    ]
    keys = [request.idempotency_key for request in requests]
    if len(set(keys)) != len(keys):
        raise InvalidDocument("A batch asks for the same idempotency key twice.")
    if not requests:
        return []
    contacts = await repository.account_contacts(
        session, sorted({request.account_id for request in requests})
    )
    all_series = sorted(
        {
            Series(done.country, DocumentKind.invoice, request.issued_on.year)
            for request, done in zip(requests, checked, strict=True)
        },
        key=lambda s: (s.country, s.kind.value, s.year),
    )
    for series in all_series:
        await repository.lock_counter(session, series)
    existing = await repository.by_idempotency_keys(session, keys)
    ids: list[uuid.UUID] = []
    new: dict[Series, list[tuple[InvoiceRequest, checks.CheckedInvoice, uuid.UUID]]] = {}
    for request, done in zip(requests, checked, strict=True):
        found = existing.get(request.idempotency_key)
        if found is not None:
            found_id, found_fingerprint, found_number = found
            if found_fingerprint != done.fingerprint:
                raise IdempotencyKeyReused(
                    f"The key {request.idempotency_key!r} already issued {found_number} with "
                    "other content. Use a new key for a new document."
                )
            ids.append(found_id)
            continue
        if request.account_id not in contacts:
            raise InvalidDocument(f"There is no account {request.account_id} to invoice.")
        document_id = uuid.uuid4()
        ids.append(document_id)
        series = Series(done.country, DocumentKind.invoice, request.issued_on.year)
        new.setdefault(series, []).append((request, done, document_id))
    documents: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    for series in all_series:
        batch = new.get(series)
        if not batch:
            continue
        last = await repository.reserve_numbers(session, series, len(batch))
        for offset, (request, done, document_id) in enumerate(batch):
            sequence = last + 1 + offset
            splits, total = split_lines(
                [line.gross for line in request.lines], done.selling.vat_rate
            )
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
                    "request_fingerprint": done.fingerprint,
                    "payment_reference": request.charge_reference.strip(),
                    "reason": None,
                    "issued_on": request.issued_on,
                    "created_at": now,
                    "currency": total.gross.currency,
                    "vat_rate": str(done.selling.vat_rate),
                    "tax_name": done.selling.tax_name,
                    "locale": _buyer_locale(
                        contacts[request.account_id][1],
                        request.buyer.country,
                        fallback=done.selling.locale,
                    ),
                    "seller": done.seller.snapshot(),
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
        [(SendDocumentJob(document_id=d["id"]), f"invoices.send:{d['id']}") for d in documents],
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
    checks.check_text("idempotency_key", idempotency_key, checks.KEY_MAX)
    checks.check_text("refund_reference", refund_reference, checks.REFERENCE_MAX)
    checks.check_text("reason", reason, checks.REASON_MAX)
    currency = checks.check_lines(lines)
    invoice = await repository.lock_invoice(session, invoice_id)
    if invoice is None:
        raise DocumentNotFound(f"There is no invoice {invoice_id}.")
    if invoice.kind != DocumentKind.invoice.value:
        raise NotAnInvoice(f"{invoice.number} is a credit note; a credit note corrects an invoice.")
    fingerprint = checks.fingerprint(
        {
            "kind": DocumentKind.credit_note.value,
            "invoice_id": str(invoice_id),
            "amounts": checks.amounts(lines),
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
        SendDocumentJob(document_id=document.id),
        now=now,
        dedupe_key=f"invoices.send:{document.id}",
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
    reason: AccessReason | None,
) -> DocumentPage:
    """A customer's documents for the customer centre (audited); needs a reason, recorded for
    the customer ("who saw my data")."""
    given = access.require(reason)
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
    await access.record_view(
        session,
        now=runtime.clock.now(),
        staff=staff,
        account_ids=[account_id],
        what=ViewKind.invoices,
        subject=f"account:{account_id}",
        reason=given,
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
    await enqueue(session, SendDocumentJob(document_id=row.id), now=now)
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
