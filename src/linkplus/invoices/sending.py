"""The e-mail that carries an issued document to the account's address (sent by the
``invoices.send`` task in ``tasks.py``).

The PDF is attached (rendered from the stored document, so it is the same file the owner
downloads) and the e-mail also links to it in the web app. The address is read when the job
runs, so a resend goes to the address the owner has now.
"""

from __future__ import annotations

import uuid

from babel.dates import format_date

from linkplus.kit.money import Money, format_money
from linkplus.models.invoices import DocumentKind, InvoiceDocument

_NOUN = {DocumentKind.invoice: "invoice", DocumentKind.credit_note: "credit note"}


def download_url(public_url: str, document_id: uuid.UUID) -> str:
    """Where the owner downloads the PDF in the web app (signed in with the browser session)."""
    return f"{public_url.rstrip('/')}/invoices/{document_id}.pdf"


def message(document: InvoiceDocument, link: str) -> tuple[str, str]:
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
