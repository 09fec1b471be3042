"""What issuing takes (from the billing run) and what the invoices API returns.

``Buyer`` and ``InvoiceLineIn`` are the billing run's inputs, not request bodies: no endpoint
lets an owner write a document. Amounts go out as minor units with their currency, and as text
formatted for the document's locale so a client shows what the PDF shows.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

import pycountry
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from linkplus.jobs import JobPayload
from linkplus.kit.money import Money, format_money
from linkplus.models.invoices import DocumentKind, InvoiceDocument, InvoiceLine

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Buyer(BaseModel):
    """Who is invoiced: the billing address (the card's, in the subscribe flow)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: _Text
    street: _Text
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)]
    city: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    country: str = Field(description="ISO 3166-1 alpha-2 code, e.g. DE")
    vat_id: Annotated[
        str | None, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)
    ] = None

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        code = value.strip().upper()
        if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
            raise ValueError("use the two-letter ISO country code, e.g. DE")
        return code


class InvoiceLineIn(BaseModel):
    """One charged (or refunded) item, VAT included.

    ``period_end`` is the first day the charge no longer covers (the next charge date), the way
    ``billing.anchors`` counts periods; documents print the day before it as the last day.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    description: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
    ]
    package: Annotated[str, StringConstraints(min_length=1, max_length=32)] | None = None
    vin: Annotated[str, StringConstraints(min_length=1, max_length=17)] | None = None
    period_start: date | None = None
    period_end: date | None = None
    gross: Money


class AmountOut(BaseModel):
    minor: int = Field(description="Whole minor units (cents) of the currency.")
    currency: str
    display: str = Field(description="Formatted for the document's language, as on the PDF.")

    @classmethod
    def of(cls, minor: int, currency: str, locale: str) -> AmountOut:
        return cls(
            minor=minor, currency=currency, display=format_money(Money(minor, currency), locale)
        )


class SellerOut(BaseModel):
    legal_name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str
    registration: str
    email: str


class BuyerOut(BaseModel):
    name: str
    street: str
    postcode: str
    city: str
    country: str
    vat_id: str | None


class LineOut(BaseModel):
    position: int
    description: str
    package: str | None
    vin: str | None
    period_start: date | None
    period_end: date | None = Field(description="First day not covered (exclusive).")
    net: AmountOut
    vat: AmountOut
    gross: AmountOut


def _pdf_url(document_id: uuid.UUID) -> str:
    return f"/api/v1/invoices/{document_id}.pdf"


class DocumentSummary(BaseModel):
    id: uuid.UUID
    kind: DocumentKind
    number: str
    issued_on: date
    created_at: datetime
    corrects_id: uuid.UUID | None = Field(description="For a credit note: the invoice it corrects.")
    gross: AmountOut
    pdf_url: str

    @classmethod
    def of(cls, row: InvoiceDocument) -> DocumentSummary:
        return cls(
            id=row.id,
            kind=DocumentKind(row.kind),
            number=row.number,
            issued_on=row.issued_on,
            created_at=row.created_at,
            corrects_id=row.corrects_id,
            gross=AmountOut.of(row.gross_minor, row.currency, row.locale),
            pdf_url=_pdf_url(row.id),
        )


class DocumentOut(BaseModel):
    """An issued invoice or credit note, everything the PDF prints."""

    id: uuid.UUID
    kind: DocumentKind
    number: str
    account_id: uuid.UUID
    issued_on: date
    created_at: datetime
    corrects_id: uuid.UUID | None
    corrects_number: str | None
    payment_reference: str
    reason: str | None
    currency: str
    vat_rate: Decimal
    tax_name: str
    locale: str
    seller: SellerOut
    buyer: BuyerOut
    lines: list[LineOut]
    net: AmountOut
    vat: AmountOut
    gross: AmountOut
    pdf_url: str

    @classmethod
    def of(
        cls,
        row: InvoiceDocument,
        lines: list[InvoiceLine],
        *,
        corrects_number: str | None,
    ) -> DocumentOut:
        def amount(minor: int) -> AmountOut:
            return AmountOut.of(minor, row.currency, row.locale)

        seller: dict[str, Any] = row.seller
        buyer: dict[str, Any] = row.buyer
        return cls(
            id=row.id,
            kind=DocumentKind(row.kind),
            number=row.number,
            account_id=row.account_id,
            issued_on=row.issued_on,
            created_at=row.created_at,
            corrects_id=row.corrects_id,
            corrects_number=corrects_number,
            payment_reference=row.payment_reference,
            reason=row.reason,
            currency=row.currency,
            vat_rate=Decimal(row.vat_rate),
            tax_name=row.tax_name,
            locale=row.locale,
            seller=SellerOut.model_validate(seller),
            buyer=BuyerOut.model_validate(buyer),
            lines=[
                LineOut(
                    position=line.position,
                    description=line.description,
                    package=line.package,
                    vin=line.vin,
                    period_start=line.period_start,
                    period_end=line.period_end,
                    net=amount(line.net_minor),
                    vat=amount(line.vat_minor),
                    gross=amount(line.gross_minor),
                )
                for line in lines
            ],
            net=amount(row.net_minor),
            vat=amount(row.vat_minor),
            gross=amount(row.gross_minor),
            pdf_url=_pdf_url(row.id),
        )


class DocumentPage(BaseModel):
    """One page, newest first. Pass ``next_before`` and ``next_before_id`` back for the next."""

    items: list[DocumentSummary]
    next_before: datetime | None
    next_before_id: uuid.UUID | None


class ResentOut(BaseModel):
    document_id: uuid.UUID
    number: str
    sent_to: str


# --- job payloads (the task is in ``tasks.py``) ----------------------------------------------


class SendDocumentJob(JobPayload):
    """E-mail one issued document (its PDF attached) to the account's current address."""

    task: ClassVar[str] = "invoices.send"
    document_id: uuid.UUID
