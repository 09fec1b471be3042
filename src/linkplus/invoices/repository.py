"""All SQL of the invoices domain.

Documents and lines are only ever inserted (the database refuses anything else). The number
counter is the one row that changes: ``lock_counter`` creates the series' row if it is missing
and locks it (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the transaction already holds
the database's write lock from ``BEGIN IMMEDIATE``), so concurrent issues in one series queue up
behind it and each takes the next number in its own transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.db import dialect_insert
from linkplus.invoices.numbering import Series
from linkplus.models.accounts import Account
from linkplus.models.invoices import (
    DocumentKind,
    InvoiceDocument,
    InvoiceLine,
    InvoiceNumberCounter,
)


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> InvoiceDocument | None:
    return await session.get(InvoiceDocument, document_id)


async def get_document_of_account(
    session: AsyncSession, *, account_id: uuid.UUID, document_id: uuid.UUID
) -> InvoiceDocument | None:
    return await session.scalar(
        select(InvoiceDocument).where(
            InvoiceDocument.id == document_id, InvoiceDocument.account_id == account_id
        )
    )


async def lock_invoice(session: AsyncSession, invoice_id: uuid.UUID) -> InvoiceDocument | None:
    """The invoice, locked until commit: credit notes against one invoice are made one at a time,
    so two refunds running at once cannot both fit in what is left to credit."""
    return await session.scalar(
        select(InvoiceDocument)
        .where(InvoiceDocument.id == invoice_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def by_idempotency_key(session: AsyncSession, key: str) -> InvoiceDocument | None:
    return await session.scalar(
        select(InvoiceDocument)
        .where(InvoiceDocument.idempotency_key == key)
        .execution_options(populate_existing=True)
    )


async def lines_of(session: AsyncSession, document_id: uuid.UUID) -> list[InvoiceLine]:
    rows = await session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.document_id == document_id)
        .order_by(InvoiceLine.position)
    )
    return list(rows.all())


async def number_of(session: AsyncSession, document_id: uuid.UUID) -> str | None:
    return await session.scalar(
        select(InvoiceDocument.number).where(InvoiceDocument.id == document_id)
    )


async def credited_minor(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    """What the credit notes already issued against ``invoice_id`` add up to."""
    total = await session.scalar(
        select(func.coalesce(func.sum(InvoiceDocument.gross_minor), 0)).where(
            InvoiceDocument.corrects_id == invoice_id,
            InvoiceDocument.kind == DocumentKind.credit_note.value,
        )
    )
    return int(total or 0)


async def documents_of_account(
    session: AsyncSession,
    *,
    account_id: uuid.UUID,
    limit: int,
    before: datetime | None = None,
    before_id: uuid.UUID | None = None,
) -> list[InvoiceDocument]:
    """Newest first; the page after (``before``, ``before_id``) when given."""
    stmt = select(InvoiceDocument).where(InvoiceDocument.account_id == account_id)
    if before is not None:
        if before_id is None:
            stmt = stmt.where(InvoiceDocument.created_at < before)
        else:
            stmt = stmt.where(
                or_(
                    InvoiceDocument.created_at < before,
                    and_(InvoiceDocument.created_at == before, InvoiceDocument.id < before_id),
                )
            )
    stmt = stmt.order_by(InvoiceDocument.created_at.desc(), InvoiceDocument.id.desc()).limit(limit)
    return list((await session.scalars(stmt)).all())


async def add_document(
    session: AsyncSession, document: InvoiceDocument, lines: list[InvoiceLine]
) -> InvoiceDocument:
    session.add(document)
    await session.flush()
    for line in lines:
        line.document_id = document.id
    session.add_all(lines)
    await session.flush()
    return document


async def lock_counter(session: AsyncSession, series: Series) -> int:
    """The last number given in ``series`` (0 for a new one), with the series locked until the
    transaction ends."""
    values: dict[str, Any] = {
        "country": series.country,
        "kind": series.kind.value,
        "year": series.year,
        "last_number": 0,
    }
    keys = ["country", "kind", "year"]
    await session.execute(
        dialect_insert(session, InvoiceNumberCounter)
        .values(values)
        .on_conflict_do_nothing(index_elements=keys)
    )
    last = await session.scalar(
        select(InvoiceNumberCounter.last_number).where(_series(series)).with_for_update()
    )
    if last is None:
        raise LookupError(f"number counter for {series} vanished")
    return int(last)


async def set_counter(session: AsyncSession, series: Series, last_number: int) -> None:
    await session.execute(
        update(InvoiceNumberCounter).where(_series(series)).values(last_number=last_number)
    )


def _series(series: Series) -> Any:
    return and_(
        InvoiceNumberCounter.country == series.country,
        InvoiceNumberCounter.kind == series.kind.value,
        InvoiceNumberCounter.year == series.year,
    )


async def by_idempotency_keys(
    session: AsyncSession, keys: list[str]
) -> dict[str, tuple[uuid.UUID, str, str]]:
    """Documents already issued under any of ``keys``: key -> (id, request fingerprint, number)."""
    found: dict[str, tuple[uuid.UUID, str, str]] = {}
    for start in range(0, len(keys), 1000):
        rows = await session.execute(
            select(
                InvoiceDocument.idempotency_key,
                InvoiceDocument.id,
                InvoiceDocument.request_fingerprint,
                InvoiceDocument.number,
            ).where(InvoiceDocument.idempotency_key.in_(keys[start : start + 1000]))
        )
        for key, document_id, fingerprint, number in rows.all():
            found[key] = (document_id, fingerprint, number)
    return found


async def add_documents(
    session: AsyncSession, documents: list[dict[str, Any]], lines: list[dict[str, Any]]
) -> None:
    """Insert many documents and their lines, a multi-row statement each (the documents carry
    their ids, so the lines need nothing back)."""
    if documents:
        await session.execute(insert(InvoiceDocument), documents)
    if lines:
        await session.execute(insert(InvoiceLine), lines)


async def reserve_numbers(session: AsyncSession, series: Series, count: int) -> int:
    """Advance ``series`` by ``count`` numbers in one statement; returns the last number given
    before (the reserved ones are that + 1 .. that + count). The series must be locked by this
    transaction (``lock_counter``), so the numbers come back if it rolls back."""
    last = await session.scalar(
        update(InvoiceNumberCounter)
        .where(_series(series))
        .values(last_number=InvoiceNumberCounter.last_number + count)
        .returning(InvoiceNumberCounter.last_number)
    )
    if last is None:
        raise LookupError(f"number counter for {series} vanished")
    return int(last) - count


async def account_contacts(
    session: AsyncSession, account_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, str]]:
    """Current e-mail address and language of each account that still exists."""
    found: dict[uuid.UUID, tuple[str, str]] = {}
    for start in range(0, len(account_ids), 1000):
        rows = await session.execute(
            select(Account.id, Account.email, Account.language).where(
                Account.id.in_(account_ids[start : start + 1000])
            )
        )
        for account_id, email, language in rows.all():
            found[account_id] = (email, language)
    return found


async def account_contact(session: AsyncSession, account_id: uuid.UUID) -> tuple[str, str] | None:
    """The account's current e-mail address and language, or None once it is gone."""
    row = (
        await session.execute(
            select(Account.email, Account.language).where(Account.id == account_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


# --- the owner's data export (invoices.data_export) ---


async def export_rows(
    session: AsyncSession, account_id: uuid.UUID
) -> tuple[list[InvoiceDocument], list[InvoiceLine]]:
    """Every invoice and credit note of the account, oldest first, and their lines."""
    documents = list(
        (
            await session.scalars(
                select(InvoiceDocument)
                .where(InvoiceDocument.account_id == account_id)
                .order_by(InvoiceDocument.created_at, InvoiceDocument.id)
            )
        ).all()
    )
    lines = (
        await session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.document_id.in_([row.id for row in documents]))
            .order_by(InvoiceLine.document_id, InvoiceLine.position)
        )
    ).all()
    return documents, list(lines)


# --- erasure (rights) ------------------------------------------------------------------------


async def pseudonymise(
    session: AsyncSession, *, account_id: uuid.UUID, pseudonym: uuid.UUID
) -> int:
    """Issued documents stay as issued (the tax law's record); only the account id they were
    filed under becomes the pseudonym (the database allows no other change)."""
    result = await session.execute(
        update(InvoiceDocument)
        .where(InvoiceDocument.account_id == account_id)
        .values(account_id=pseudonym)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
