"""invoices: invoices and credit notes, their lines, gapless number counters

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from linkplus.models.base import UTCDateTime

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
IMMUTABLE = ("invoice_documents", "invoice_lines")


def upgrade() -> None:
    op.create_table(
        "invoice_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("series_country", sa.String(length=2), nullable=False),
        sa.Column("series_year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("corrects_id", sa.Uuid(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=False),
        sa.Column("payment_reference", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("vat_rate", sa.String(length=12), nullable=False),
        sa.Column("tax_name", sa.String(length=32), nullable=False),
        sa.Column("locale", sa.String(length=35), nullable=False),
        sa.Column("seller", JSONDOC, nullable=False),
        sa.Column("buyer", JSONDOC, nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('invoice', 'credit_note')", name=op.f("ck_invoice_documents_kind")
        ),
        sa.CheckConstraint(
            "net_minor + vat_minor = gross_minor", name=op.f("ck_invoice_documents_totals_add_up")
        ),
        sa.CheckConstraint(
            "gross_minor >= 0 AND vat_minor >= 0",
            name=op.f("ck_invoice_documents_amounts_not_negative"),
        ),
        sa.CheckConstraint(
            "(kind = 'invoice') = (corrects_id IS NULL)",
            name=op.f("ck_invoice_documents_credit_note_corrects_an_invoice"),
        ),
        sa.ForeignKeyConstraint(
            ["corrects_id"],
            ["invoice_documents.id"],
            name=op.f("fk_invoice_documents_corrects_id_invoice_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_invoice_documents_number")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_invoice_documents_idempotency_key")),
        sa.UniqueConstraint(
            "series_country",
            "kind",
            "series_year",
            "sequence",
            name="uq_invoice_documents_series",
        ),
    )
    op.create_index(
        "ix_invoice_documents_account", "invoice_documents", ["account_id", "created_at"]
    )
    op.create_index("ix_invoice_documents_corrects", "invoice_documents", ["corrects_id"])
    op.create_table(
        "invoice_lines",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("package", sa.String(length=32), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("vat_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "net_minor + vat_minor = gross_minor", name=op.f("ck_invoice_lines_totals_add_up")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["invoice_documents.id"],
            name=op.f("fk_invoice_lines_document_id_invoice_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_lines")),
        sa.UniqueConstraint("document_id", "position", name="uq_invoice_lines_position"),
    )
    op.create_table(
        "invoice_number_counters",
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("country", "kind", "year", name=op.f("pk_invoice_number_counters")),
    )
    # An issued document is a legal record: the database itself refuses to change or remove it.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION invoice_documents_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows are immutable once issued', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION invoice_documents_immutable()"
            )
    else:
        for table in IMMUTABLE:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} rows are immutable once issued'); END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in IMMUTABLE:
            op.execute(f"DROP TRIGGER {table}_no_change ON {table}")
        op.execute("DROP FUNCTION invoice_documents_immutable()")
    op.drop_table("invoice_number_counters")
    op.drop_table("invoice_lines")
    op.drop_index("ix_invoice_documents_corrects", table_name="invoice_documents")
    op.drop_index("ix_invoice_documents_account", table_name="invoice_documents")
    op.drop_table("invoice_documents")
