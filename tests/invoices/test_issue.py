"""Issuing invoices and credit notes: VAT, totals, seller and buyer, idempotency, the credit
bound and immutability, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from linkplus.invoices import service
from linkplus.invoices.errors import (
    CreditExceedsInvoice,
    DocumentNotFound,
    IdempotencyKeyReused,
    InvalidDocument,
    MarketNotInvoiced,
    NotAnInvoice,
)
from linkplus.invoices.schemas import Buyer
from linkplus.models.accounts import Account
from linkplus.models.invoices import DocumentKind
from linkplus.runtime import Runtime
from tests.invoices.support import DE_BUYER, credit, issue, line
from tests.support import make_owner


@pytest.fixture
async def owner(runtime: Runtime) -> Account:
    return await make_owner(runtime, country="DE", language="de")


async def test_invoice_splits_the_vat_out_of_the_price(runtime: Runtime, owner: Account) -> None:
    invoice = await issue(runtime, owner.id)

    assert invoice.kind is DocumentKind.invoice
    assert invoice.number == "DE-2026-000001"
    assert (invoice.gross.minor, invoice.net.minor, invoice.vat.minor) == (999, 839, 160)
    assert invoice.currency == "EUR"
    assert invoice.vat_rate == Decimal("0.19")
    assert invoice.tax_name == "MwSt."
    assert invoice.gross.display == "9,99\xa0€"  # the buyer's language: de_DE
    assert invoice.seller.country == "DE"
    assert invoice.seller.vat_id.startswith("DE")
    assert invoice.buyer.name == "Alex Driver"
    assert invoice.buyer.city == "Berlin"
    assert [(item.net.minor, item.vat.minor) for item in invoice.lines] == [(839, 160)]
    assert invoice.lines[0].vin == "WDD2050041F123456"


async def test_lines_add_up_to_the_totals_to_the_cent(runtime: Runtime, owner: Account) -> None:
    invoice = await issue(
        runtime, owner.id, lines=[line("59.00"), line("9.99"), line("0.05"), line("99.00")]
    )

    assert invoice.gross.minor == 16804
    # VAT on the total once (168.04 × 19/119 = 26.83), shared over the lines
    assert invoice.vat.minor == 2683
    assert invoice.net.minor == 16804 - 2683
    assert sum(item.vat.minor for item in invoice.lines) == invoice.vat.minor
    assert sum(item.net.minor for item in invoice.lines) == invoice.net.minor
    assert all(item.net.minor + item.vat.minor == item.gross.minor for item in invoice.lines)


async def test_the_market_decides_seller_rate_and_series(runtime: Runtime, owner: Account) -> None:
    at_buyer = Buyer(
        name="Alex Driver", street="Ring 1", postcode="1010", city="Wien", country="AT"
    )
    austrian = await issue(runtime, owner.id, buyer=at_buyer, lines=[line("12.00")])
    german_car = await issue(runtime, owner.id, buyer=at_buyer, market="DE")

    assert austrian.number == "AT-2026-000001"
    assert austrian.vat.minor == 200
    assert austrian.seller.country == "AT"
    assert austrian.locale == "de_AT"
    assert german_car.number == "DE-2026-000001"
    assert german_car.vat.minor == 160


async def test_refuses_what_cannot_be_invoiced(runtime: Runtime, owner: Account) -> None:
    us_buyer = DE_BUYER.model_copy(update={"country": "US"})
    with pytest.raises(MarketNotInvoiced):
        await issue(runtime, owner.id, buyer=us_buyer)
    with pytest.raises(InvalidDocument, match="GBP"):
        await issue(runtime, owner.id, lines=[line("9.99", "GBP")])
    with pytest.raises(InvalidDocument, match="one currency"):
        await issue(runtime, owner.id, market="DE", lines=[line("1.00"), line("1.00", "GBP")])
    with pytest.raises(InvalidDocument, match="at least one line"):
        await issue(runtime, owner.id, lines=[])
    with pytest.raises(InvalidDocument, match="period"):
        late = line(start=date(2026, 12, 1), end=date(2026, 11, 1))
        await issue(runtime, owner.id, lines=[late])
    with pytest.raises(InvalidDocument, match="no account"):
        await issue(runtime, uuid.uuid4())
    # nothing was numbered by the refusals
    assert (await issue(runtime, owner.id)).number == "DE-2026-000001"


async def test_the_same_key_returns_the_same_invoice(runtime: Runtime, owner: Account) -> None:
    first = await issue(runtime, owner.id, key="sub-1:charge:0:1", lines=[line("19.99")])

    async def retry(gross: str, reference: str) -> uuid.UUID:
        async with runtime.db.transaction() as session:
            document = await service.issue_invoice(
                session,
                runtime,
                account_id=owner.id,
                buyer=DE_BUYER.model_copy(update={"street": "Neue Straße 2"}),
                lines=[line(gross, description="Remote services (monthly)")],
                charge_reference=reference,
                # a run resumed the next day asks again for the same charge
                issued_on=date(2026, 11, 22),
                idempotency_key="sub-1:charge:0:1",
            )
            return document.id

    assert await retry("19.99", first.payment_reference) == first.id
    assert (await issue(runtime, owner.id)).number == "DE-2026-000002"  # no number used up
    with pytest.raises(IdempotencyKeyReused):
        await retry("5.00", first.payment_reference)
    with pytest.raises(IdempotencyKeyReused):
        await retry("19.99", "ch_another_charge")


async def test_concurrent_retries_with_one_key_issue_one_invoice(
    runtime: Runtime, owner: Account
) -> None:
    lines = [line("9.99")]

    async def attempt() -> uuid.UUID:
        async with runtime.db.transaction() as session:
            document = await service.issue_invoice(
                session,
                runtime,
                account_id=owner.id,
                buyer=DE_BUYER,
                lines=lines,
                charge_reference="ch_same",
                issued_on=date(2026, 11, 21),
                idempotency_key="sub-9:charge:3:1",
            )
            return document.id

    ids = await asyncio.gather(*(attempt() for _ in range(6)))
    assert len(set(ids)) == 1
    async with runtime.db.transaction() as session:
        page = await service.owner_documents(session, account_id=owner.id)
    assert [item.number for item in page.items] == ["DE-2026-000001"]


async def test_credit_notes_never_exceed_the_invoice(runtime: Runtime, owner: Account) -> None:
    invoice = await issue(runtime, owner.id, lines=[line("99.00")])

    first = await credit(runtime, invoice.id, "66.00")
    assert first.kind is DocumentKind.credit_note
    assert first.number == "DE-CN-2026-000001"
    assert first.corrects_id == invoice.id
    assert first.corrects_number == invoice.number
    assert (first.gross.minor, first.vat.minor, first.net.minor) == (6600, 1054, 5546)
    assert first.buyer == invoice.buyer
    assert first.seller == invoice.seller
    assert first.reason == "Cancelled: pro-rata refund"

    with pytest.raises(CreditExceedsInvoice, match=r"33\.00"):
        await credit(runtime, invoice.id, "33.01")
    rest = await credit(runtime, invoice.id, "33.00")
    assert rest.number == "DE-CN-2026-000002"
    with pytest.raises(CreditExceedsInvoice):
        await credit(runtime, invoice.id, "0.01")
    async with runtime.db.transaction() as session:
        credited = await service.credited(session, invoice_id=invoice.id)
    assert credited is not None
    assert credited.minor == 9900


async def test_concurrent_refunds_cannot_overdraw_an_invoice(
    runtime: Runtime, owner: Account
) -> None:
    invoice = await issue(runtime, owner.id, lines=[line("99.00")])

    async def refund() -> str:
        try:
            return (await credit(runtime, invoice.id, "60.00")).number
        except CreditExceedsInvoice:
            return "refused"

    outcomes = sorted(await asyncio.gather(*(refund() for _ in range(4))))
    assert outcomes == ["DE-CN-2026-000001", "refused", "refused", "refused"]


async def test_credit_note_rules(runtime: Runtime, owner: Account) -> None:
    invoice = await issue(runtime, owner.id, lines=[line("99.00")])
    note = await credit(runtime, invoice.id, "10.00", key="refund:x")
    assert (await credit(runtime, invoice.id, "10.00", key="refund:x")).id == note.id
    with pytest.raises(NotAnInvoice):
        await credit(runtime, note.id, "1.00")
    with pytest.raises(DocumentNotFound):
        await credit(runtime, uuid.uuid4(), "1.00")
    with pytest.raises(InvalidDocument, match="EUR"):
        await credit(runtime, invoice.id, "1.00", currency="GBP")
    with pytest.raises(InvalidDocument, match="before its invoice"):
        await credit(runtime, invoice.id, "1.00", issued_on=date(2026, 11, 20))


async def test_issued_documents_cannot_be_changed_or_deleted(
    runtime: Runtime, owner: Account
) -> None:
    invoice = await issue(runtime, owner.id)
    statements = [
        ("UPDATE invoice_documents SET gross_minor = 1 WHERE id = :id", {"id": invoice.id}),
        ("DELETE FROM invoice_documents WHERE id = :id", {"id": invoice.id}),
        ("UPDATE invoice_lines SET description = 'x' WHERE document_id = :id", {"id": invoice.id}),
        ("DELETE FROM invoice_lines WHERE document_id = :id", {"id": invoice.id}),
    ]
    for statement, params in statements:
        with pytest.raises((DBAPIError, IntegrityError), match="immutable"):
            async with runtime.db.transaction() as session:
                bound = {
                    k: v if runtime.db.dialect == "postgresql" else v.hex for k, v in params.items()
                }
                await session.execute(text(statement), bound)
    async with runtime.db.transaction() as session:
        stored = await service.document(session, document_id=invoice.id)
    assert stored is not None
    assert stored.gross.minor == 999
    assert stored.lines[0].description


async def test_a_batch_numbers_each_series_in_order_and_keeps_one_document_per_key(
    runtime: Runtime, owner: Account
) -> None:
    def request(key: str, market: str, gross: str = "9.99") -> service.InvoiceRequest:
        return service.InvoiceRequest(
            account_id=owner.id,
            buyer=DE_BUYER,
            lines=[line(gross)],
            charge_reference=f"ch_{key}",
            issued_on=date(2026, 11, 21),
            idempotency_key=key,
            market=market,
        )

    before = await issue(runtime, owner.id, key="single-1")  # DE-2026-000001
    batch = [request("b-1", "DE"), request("b-2", "FR"), request("b-3", "DE"), request("b-4", "FR")]
    async with runtime.db.transaction() as session:
        ids = await service.issue_invoices(session, runtime, batch)
    async with runtime.db.transaction() as session:
        numbers = [(await service.document(session, document_id=i)).number for i in ids]  # type: ignore[union-attr]
    assert before.number == "DE-2026-000001"
    assert numbers == ["DE-2026-000002", "FR-2026-000001", "DE-2026-000003", "FR-2026-000002"]

    # The same batch again (a resumed run) gives the same documents and uses no number.
    async with runtime.db.transaction() as session:
        assert await service.issue_invoices(session, runtime, batch) == ids
    assert (await issue(runtime, owner.id, key="single-2")).number == "DE-2026-000004"

    # A key already issued with other content refuses the whole batch, and nothing is issued.
    changed = [request("b-5", "DE"), request("b-1", "DE", gross="5.00")]
    with pytest.raises(IdempotencyKeyReused):
        async with runtime.db.transaction() as session:
            await service.issue_invoices(session, runtime, changed)
    assert (await issue(runtime, owner.id, key="single-3")).number == "DE-2026-000005"
