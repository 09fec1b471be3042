"""The job that e-mails an issued document to the account's address.

The PDF is attached (rendered from the stored document, so it is the same file the owner
downloads) and the e-mail also links to it in the web app. The address is read when the job
runs, so a resend goes to the address the owner has now.
"""

from __future__ import annotations

import uuid
from typing import Any

from babel.dates import format_date

from linkplus.invoices import pdf, repository
from linkplus.invoices.schemas import DocumentOut
from linkplus.jobs import JobContext, job
from linkplus.kit.money import Money, format_money
from linkplus.models.invoices import DocumentKind, InvoiceDocument
from linkplus.models.notifications import Category
from linkplus.notifications import service as notifications
from linkplus.notifications.mail import Attachment

SEND_DOCUMENT = "invoices.send"

_NOUN = {DocumentKind.invoice: "invoice", DocumentKind.credit_note: "credit note"}


def download_url(public_url: str, document_id: uuid.UUID) -> str:
    """Where the owner downloads the PDF in the web app (signed in with the browser session)."""
    return f"{public_url.rstrip('/')}/invoices/{document_id}.pdf"


def _message(document: InvoiceDocument, link: str) -> tuple[str, str]:
    noun = _NOUN[DocumentKind(document.kind)]
    amount = format_money(Money(document.gross_minor, document.currency), document.locale)
    day = format_date(document.issued_on, "long", locale=document.locale)
    seller = str(document.seller.get("legal_name", ""))
    what = (
        "is credited to your original payment method"
        if document.kind == (DocumentKind.credit_note.value)
        else "was charged"
    )
    text = (
        "Hello,\n\n"
        f"your {noun} {document.number} of {day} is ready: {amount} {what}.\n\n"
        f"The PDF is attached. You can also download it here:\n{link}\n\n"
        "All your invoices and credit notes are in the app and the web portal under "
        "Account > Invoices.\n\n"
        f"{seller}\n"
    )
    return f"Your {noun} {document.number}", text


@job(SEND_DOCUMENT)
async def send_document(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Queue the e-mail for one document; the job's transaction makes it one e-mail per run."""
    document = await repository.get_document(ctx.session, uuid.UUID(str(payload["document_id"])))
    if document is None:
        return
    contact = await repository.account_contact(ctx.session, document.account_id)
    if contact is None:
        return  # the account was closed; the document stays on record, nobody to mail
    subject, text = _message(document, download_url(ctx.runtime.settings.public_url, document.id))
    lines = await repository.lines_of(ctx.session, document.id)
    corrects = (
        await repository.number_of(ctx.session, document.corrects_id)
        if document.corrects_id
        else None
    )
    printed = DocumentOut.of(document, lines, corrects_number=corrects)
    attachment = Attachment(pdf.file_name(printed), "application/pdf", pdf.render_pdf(printed))
    await notifications.queue_email(
        ctx.session,
        now=ctx.now,
        to=contact[0],
        subject=subject,
        text=text,
        account_id=document.account_id,
        category=Category.billing,
        attachments=[attachment],
    )
