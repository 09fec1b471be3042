"""staff access records: each time staff saw an owner's personal data, with the reason, for the
owner's privacy portal ("who saw my data"); rows are never changed

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "staff_access_records",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("staff_role", sa.String(length=32), nullable=False),
        sa.Column("organisation", sa.String(length=100), nullable=False),
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason_text", sa.String(length=200), nullable=False),
        sa.Column("reason_source", sa.String(length=16), nullable=False),
        sa.Column("staff_session", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_staff_access_records_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_staff_access_records_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_access_records")),
    )
    op.create_index("ix_staff_access_records_account", "staff_access_records", ["account_id", "id"])
    op.create_index(
        "ix_staff_access_records_session", "staff_access_records", ["staff_session", "subject"]
    )
    # A record, once written, is never changed. (Deleting stays possible: the records go with
    # the owner's account, and the retention job may purge old ones.)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION staff_access_records_unchanged() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'staff_access_records are never changed';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER staff_access_records_no_update BEFORE UPDATE ON staff_access_records "
            "FOR EACH ROW EXECUTE FUNCTION staff_access_records_unchanged()"
        )
    else:
        op.execute(
            "CREATE TRIGGER staff_access_records_no_update BEFORE UPDATE ON staff_access_records "
            "BEGIN SELECT RAISE(ABORT, 'staff_access_records are never changed'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER staff_access_records_no_update ON staff_access_records")
        op.execute("DROP FUNCTION staff_access_records_unchanged()")
    op.drop_table("staff_access_records")
