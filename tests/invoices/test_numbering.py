"""Gapless numbers per series (selling country, kind, year), under concurrency and rollback."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from linkplus.invoices import service
from linkplus.invoices.numbering import Series, document_number, parse_number
from linkplus.invoices.schemas import Buyer
from linkplus.models.accounts import Account
from linkplus.models.invoices import DocumentKind
from linkplus.runtime import Runtime
from tests.invoices.support import DE_BUYER, credit, issue, line
from tests.support import make_owner


class _Abandoned(Exception):
    pass


@pytest.fixture
async def owner(runtime: Runtime) -> Account:
    return await make_owner(runtime)


def test_numbers_name_their_series() -> None:
    assert document_number(Series("DE", DocumentKind.invoice, 2026), 1) == "DE-2026-000001"
    assert document_number(Series("DE", DocumentKind.credit_note, 2026), 42) == (
        "DE-CN-2026-000042"
    )
    assert document_number(Series("SE", DocumentKind.invoice, 2027), 1234567) == ("SE-2027-1234567")
    assert parse_number("DE-CN-2026-000042") == (Series("DE", DocumentKind.credit_note, 2026), 42)
    assert parse_number("AT-2026-000007") == (Series("AT", DocumentKind.invoice, 2026), 7)
    assert parse_number("DE-2026-42") is None
    with pytest.raises(ValueError, match="start at 1"):
        document_number(Series("DE", DocumentKind.invoice, 2026), 0)


async def test_each_country_kind_and_year_counts_from_one(runtime: Runtime, owner: Account) -> None:
    at = Buyer(name="A B", street="Ring 1", postcode="1010", city="Wien", country="AT")
    first = await issue(runtime, owner.id)
    second = await issue(runtime, owner.id)
    austrian = await issue(runtime, owner.id, buyer=at, lines=[line("10.00")])
    note = await credit(runtime, first.id, "1.00")
    next_year = await issue(runtime, owner.id, issued_on=date(2027, 1, 1))
    note_next_year = await credit(runtime, second.id, "1.00", issued_on=date(2027, 1, 2))
    second_note = await credit(runtime, first.id, "1.00")

    assert [first.number, second.number, austrian.number] == [
        "DE-2026-000001",
        "DE-2026-000002",
        "AT-2026-000001",
    ]
    assert [note.number, second_note.number] == ["DE-CN-2026-000001", "DE-CN-2026-000002"]
    assert [next_year.number, note_next_year.number] == ["DE-2027-000001", "DE-CN-2027-000001"]


async def test_a_rolled_back_issue_leaves_no_gap(runtime: Runtime, owner: Account) -> None:
    await issue(runtime, owner.id)
    with pytest.raises(_Abandoned):
        async with runtime.db.transaction() as session:
            lost = await service.issue_invoice(
                session,
                runtime,
                account_id=owner.id,
                buyer=DE_BUYER,
                lines=[line()],
                charge_reference="ch_lost",
                issued_on=date(2026, 11, 21),
                idempotency_key="charge:lost",
            )
            assert lost.number == "DE-2026-000002"
            raise _Abandoned  # e.g. the payment record failed after the invoice was made
    again = await issue(runtime, owner.id, key="charge:lost")
    assert again.number == "DE-2026-000002"
    async with runtime.db.transaction() as session:
        assert await service.document(session, document_id=lost.id) is None


async def test_concurrent_issues_get_every_number_once(runtime: Runtime, owner: Account) -> None:
    count = 40
    second_country = Buyer(name="A B", street="Ring 1", postcode="1010", city="Wien", country="AT")

    async def one(i: int) -> str:
        if i % 4 == 3:
            return (await issue(runtime, owner.id, buyer=second_country)).number
        return (await issue(runtime, owner.id)).number

    numbers = await asyncio.gather(*(one(i) for i in range(count)))
    german = sorted(n for n in numbers if n.startswith("DE-"))
    austrian = sorted(n for n in numbers if n.startswith("AT-"))
    assert german == [f"DE-2026-{i:06d}" for i in range(1, 31)]
    assert austrian == [f"AT-2026-{i:06d}" for i in range(1, 11)]


async def test_concurrent_issues_and_failures_leave_no_gap(
    runtime: Runtime, owner: Account
) -> None:
    """Half the transactions roll back after taking a number: the others still count 1..N."""

    async def one(i: int) -> str | None:
        try:
            async with runtime.db.transaction() as session:
                document = await service.issue_invoice(
                    session,
                    runtime,
                    account_id=owner.id,
                    buyer=DE_BUYER,
                    lines=[line()],
                    charge_reference=f"ch_{i}",
                    issued_on=date(2026, 11, 21),
                    idempotency_key=f"charge:{i}",
                )
                if i % 2:
                    raise _Abandoned
                return document.number
        except _Abandoned:
            return None

    numbers = [n for n in await asyncio.gather(*(one(i) for i in range(20))) if n]
    assert sorted(numbers) == [f"DE-2026-{i:06d}" for i in range(1, 11)]
