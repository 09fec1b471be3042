"""erasure: the owner's requests to erase the account; the audit log and issued invoices may be
pseudonymised (and only that) by the erasure

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import linkplus.models.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns an erasure may rewrite; every other column of these rows stays as it was written.
AUDIT_FIXED = ("id", "at", "actor_type", "action", "subject_type", "request_id")
INVOICE_FIXED = (
    "id", "kind", "number", "series_country", "series_year", "sequence", "corrects_id",
    "idempotency_key", "request_fingerprint", "payment_reference", "reason", "issued_on",
    "created_at", "currency", "vat_rate", "tax_name", "locale", "seller", "buyer", "net_minor",
    "vat_minor", "gross_minor",
)  # fmt: skip
PSEUDONYM = "erased:%"


def upgrade() -> None:
    op.create_table(
        "erasure_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("pseudonym", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("requested_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("erase_after", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("remind_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("started_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_requests")),
    )
    op.create_index("ix_erasure_requests_account", "erasure_requests", ["account_id"])
    op.create_index("ix_erasure_requests_state_due", "erasure_requests", ["state", "erase_after"])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_upgrade()
    else:
        _sqlite_upgrade()


def _postgresql_upgrade() -> None:
    # An UPDATE may change only the pseudonymisable columns, and an audit id only to a pseudonym.
    op.execute(
        f"""
        CREATE FUNCTION audit_log_pseudonymise_only() RETURNS trigger AS $$
        BEGIN
            IF (to_jsonb(NEW) - 'actor_id' - 'subject_id' - 'details')
                   IS DISTINCT FROM (to_jsonb(OLD) - 'actor_id' - 'subject_id' - 'details')
               OR (NEW.actor_id IS DISTINCT FROM OLD.actor_id
                   AND NEW.actor_id NOT LIKE '{PSEUDONYM}')
               OR (NEW.subject_id IS DISTINCT FROM OLD.subject_id
                   AND NEW.subject_id NOT LIKE '{PSEUDONYM}') THEN
                RAISE EXCEPTION 'audit_log is append-only (an erasure may only pseudonymise)';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute("DROP TRIGGER audit_log_no_change ON audit_log")
    op.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_pseudonymise_only BEFORE UPDATE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_pseudonymise_only()"
    )
    op.execute(
        """
        CREATE FUNCTION invoice_documents_pseudonymise_only() RETURNS trigger AS $$
        BEGIN
            IF (to_jsonb(NEW) - 'account_id') IS DISTINCT FROM (to_jsonb(OLD) - 'account_id') THEN
                RAISE EXCEPTION 'invoice_documents rows are immutable once issued';
            END IF;
            RETURN NEW;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    op.execute("DROP TRIGGER invoice_documents_no_change ON invoice_documents")
    op.execute(
        "CREATE TRIGGER invoice_documents_no_delete BEFORE DELETE ON invoice_documents "
        "FOR EACH ROW EXECUTE FUNCTION invoice_documents_immutable()"
    )
    op.execute(
        "CREATE TRIGGER invoice_documents_pseudonymise_only BEFORE UPDATE ON invoice_documents "
        "FOR EACH ROW EXECUTE FUNCTION invoice_documents_pseudonymise_only()"
    )


def _sqlite_upgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_update")
    op.execute(
        f"CREATE TRIGGER audit_log_no_update BEFORE UPDATE OF {', '.join(AUDIT_FIXED)} "
        "ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    )
    for column in ("actor_id", "subject_id"):
        op.execute(
            f"CREATE TRIGGER audit_log_{column}_pseudonym_only BEFORE UPDATE OF {column} "
            f"ON audit_log WHEN NEW.{column} IS NOT OLD.{column} "
            f"AND NEW.{column} NOT LIKE '{PSEUDONYM}' "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only (an erasure may only "
            "pseudonymise)'); END"
        )
    op.execute("DROP TRIGGER invoice_documents_no_update")
    op.execute(
        f"CREATE TRIGGER invoice_documents_no_update BEFORE UPDATE OF {', '.join(INVOICE_FIXED)} "
        "ON invoice_documents "
        "BEGIN SELECT RAISE(ABORT, 'invoice_documents rows are immutable once issued'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_pseudonymise_only ON audit_log")
        op.execute("DROP TRIGGER audit_log_no_delete ON audit_log")
        op.execute("DROP FUNCTION audit_log_pseudonymise_only()")
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute("DROP TRIGGER invoice_documents_pseudonymise_only ON invoice_documents")
        op.execute("DROP TRIGGER invoice_documents_no_delete ON invoice_documents")
        op.execute("DROP FUNCTION invoice_documents_pseudonymise_only()")
        op.execute(
            "CREATE TRIGGER invoice_documents_no_change BEFORE UPDATE OR DELETE ON "
            "invoice_documents FOR EACH ROW EXECUTE FUNCTION invoice_documents_immutable()"
        )
    else:
        for column in ("actor_id", "subject_id"):
            op.execute(f"DROP TRIGGER audit_log_{column}_pseudonym_only")
        op.execute("DROP TRIGGER audit_log_no_update")
        op.execute(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
        )
        op.execute("DROP TRIGGER invoice_documents_no_update")
        op.execute(
            "CREATE TRIGGER invoice_documents_no_update BEFORE UPDATE ON invoice_documents "
            "BEGIN SELECT RAISE(ABORT, 'invoice_documents rows are immutable once issued'); END"
        )
    op.drop_index("ix_erasure_requests_state_due", table_name="erasure_requests")
    op.drop_index("ix_erasure_requests_account", table_name="erasure_requests")
    op.drop_table("erasure_requests")
