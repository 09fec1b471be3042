"""The records an erasure keeps stay as they were written: the database lets an UPDATE change
only what the erasure pseudonymises (migration 0020), on both databases."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from linkplus.audit import service as audit
from linkplus.audit.data_erasure import pseudonym_of
from linkplus.models.audit import AuditEntry
from linkplus.runtime import Runtime
from tests.invoices.support import issue
from tests.support import make_owner


async def test_an_audit_entry_may_only_have_its_ids_replaced_by_a_pseudonym(
    runtime: Runtime,
) -> None:
    owner = str(uuid.uuid4())
    async with runtime.db.transaction() as session:
        await audit.record(
            session,
            now=runtime.clock.now(),
            actor_type="owner",
            actor_id=owner,
            action="x.y",
            subject_type="account",
            subject_id=owner,
        )
    for change in ({"actor_id": str(uuid.uuid4())}, {"subject_id": "someone else"}):
        with pytest.raises(DBAPIError, match="append-only"):
            async with runtime.db.transaction() as session:
                await session.execute(update(AuditEntry).values(**change))
    pseudonym = pseudonym_of(uuid.uuid4())
    async with runtime.db.transaction() as session:
        await session.execute(
            update(AuditEntry).values(actor_id=pseudonym, subject_id=pseudonym, details={})
        )
    async with runtime.db.transaction() as session:
        [entry] = await audit.entries_for(session)
    assert (entry.actor_id, entry.subject_id, entry.action) == (pseudonym, pseudonym, "x.y")


async def test_an_issued_invoice_may_only_be_filed_under_another_account_id(
    runtime: Runtime,
) -> None:
    owner = await make_owner(runtime)
    invoice = await issue(runtime, owner.id)
    pseudonym = uuid.uuid4()

    def bound(value: uuid.UUID) -> object:
        return value if runtime.db.dialect == "postgresql" else value.hex

    async with runtime.db.transaction() as session:
        await session.execute(
            text("UPDATE invoice_documents SET account_id = :to WHERE id = :id"),
            {"to": bound(pseudonym), "id": bound(invoice.id)},
        )
    with pytest.raises((DBAPIError, IntegrityError), match="immutable"):
        async with runtime.db.transaction() as session:
            await session.execute(
                text(
                    "UPDATE invoice_documents SET account_id = :to, gross_minor = 1 WHERE id = :id"
                ),
                {"to": bound(owner.id), "id": bound(invoice.id)},
            )
    async with runtime.db.transaction() as session:
        stored = await session.execute(
            text("SELECT account_id, gross_minor FROM invoice_documents WHERE id = :id"),
            {"id": bound(invoice.id)},
        )
        account_id, gross = stored.one()
    assert (str(account_id).replace("-", ""), gross) == (pseudonym.hex, invoice.gross.minor)
