"""The invoices domain's part of the owner's data export: every invoice and credit note with
its lines, and each one's PDF, rendered as the owner downloads it (``invoices.pdf``)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from linkplus.invoices import pdf, repository
from linkplus.invoices.schemas import DocumentOut
from linkplus.models.exported import DomainExport, table_of


async def export(session: AsyncSession, account_id: uuid.UUID) -> DomainExport:
    documents, lines = await repository.export_rows(session, account_id)
    numbers = {row.id: row.number for row in documents}
    files: dict[str, bytes] = {}
    for row in documents:
        printed = DocumentOut.of(
            row,
            [line for line in lines if line.document_id == row.id],
            corrects_number=numbers.get(row.corrects_id) if row.corrects_id else None,
        )
        # Numbers such as "DE-2026-000001" are safe as names; a slash would make a folder.
        name = pdf.file_name(printed).replace("/", "-")
        files[f"invoices/pdf/{name}"] = pdf.render_pdf(printed)
    return DomainExport(
        "invoices",
        [table_of("invoice_documents", documents), table_of("invoice_lines", lines)],
        files,
    )
