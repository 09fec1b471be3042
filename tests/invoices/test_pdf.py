"""The PDF drawn from a stored document: what it says, in the buyer's language, every time the
same bytes."""

from __future__ import annotations

from datetime import date

from linkplus.invoices import pdf, service
from linkplus.invoices.schemas import Buyer, DocumentOut
from linkplus.runtime import Runtime
from tests.invoices.support import credit, issue, line, pdf_text
from tests.support import make_owner


async def _stored(runtime: Runtime, document: DocumentOut) -> DocumentOut:
    async with runtime.db.transaction() as session:
        found = await service.document(session, document_id=document.id)
    assert found is not None
    return found


async def test_invoice_pdf_states_seller_buyer_lines_vat_and_total(runtime: Runtime) -> None:
    owner = await make_owner(runtime, language="de")
    invoice = await _stored(runtime, await issue(runtime, owner.id))

    for unicode_fonts in (True, False):
        content = pdf.render_pdf(invoice, unicode_fonts=unicode_fonts)
        assert content.startswith(b"%PDF-")
        text = pdf_text(content)
        for expected in (
            "Invoice",
            "Linkplus Connected Services Deutschland GmbH",
            "Leopoldstraße 244",
            f"VAT ID: {invoice.seller.vat_id}",
            "Alex Driver",
            "Hauptstraße 1",
            "10115 Berlin",
            "DE-2026-000001",
            "21. November 2026",
            "Remote services, monthly",
            "21.11.26 – 20.12.26",  # the period's last day is the day before the next charge
            "VIN WDD2050041F123456, package remote",
            "MwSt. 19 %",
            "8,39 €",
            "1,60 €",
            "9,99 €",
            "Total (EUR)",
            invoice.payment_reference,
        ):
            assert expected in text, (expected, unicode_fonts)
        assert pdf.render_pdf(invoice, unicode_fonts=unicode_fonts) == content  # deterministic
    assert pdf.file_name(invoice) == "DE-2026-000001.pdf"


async def test_credit_note_pdf_names_the_invoice_and_the_reason(runtime: Runtime) -> None:
    owner = await make_owner(runtime, language="en")
    invoice = await issue(runtime, owner.id, lines=[line("99.00")])
    note = await _stored(runtime, await credit(runtime, invoice.id, "66.00"))

    text = " ".join(pdf_text(pdf.render_pdf(note)).split())  # wrapped lines joined
    for expected in (
        "Credit note",
        "DE-CN-2026-000001",
        "Corrects invoice",
        "DE-2026-000001",
        "Cancelled: pro-rata refund",
        "Total credited (EUR)",
        # English as written in Germany (en_DE), the buyer's language and country
        "1 December 2026",
        "21/11/2026 – 20/12/2026",
        "66,00 €",
        "10,54 €",
        "55,46 €",
        "The amount of 66,00 € is refunded to the payment method used for invoice "
        "DE-2026-000001. Amounts include MwSt. at 19 %.",
    ):
        assert expected in text, expected


async def test_letters_beyond_western_europe(runtime: Runtime) -> None:
    owner = await make_owner(runtime, country="PL", language="pl")
    buyer = Buyer(
        name="Łukasz Żółć", street="ul. Piotrkowska 1", postcode="90-001", city="Łódź", country="PL"
    )
    invoice = await _stored(
        runtime,
        await issue(
            runtime,
            owner.id,
            buyer=buyer,
            lines=[line("49.00", "PLN", start=date(2026, 11, 21), end=date(2027, 11, 21))],
        ),
    )
    assert invoice.number == "PL-2026-000001"
    assert invoice.vat.display == "9,16\xa0zł"

    fallback = pdf_text(pdf.render_pdf(invoice, unicode_fonts=False))
    assert "Lukasz Zólc" in fallback
    assert "Lódz" in fallback
    assert "49,00 zl" in fallback
    full = pdf_text(pdf.render_pdf(invoice))
    if pdf.unicode_font_files() is not None:
        assert "Łukasz Żółć" in full
        assert "Łódź" in full
        assert "49,00 zł" in full
    else:
        assert full == fallback
