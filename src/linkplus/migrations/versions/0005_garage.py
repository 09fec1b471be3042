"""garage: garage entries, primary accounts, ownership checks, identity checks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["account_id"],
        ["accounts.id"],
        name=op.f(f"fk_{table}_account_id_accounts"),
        ondelete="CASCADE",
    )


def _vehicle_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["vin"], ["vehicles.vin"], name=op.f(f"fk_{table}_vin_vehicles"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "garage_entries",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("added_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("added_via", sa.String(length=8), nullable=False),
        sa.Column("nickname", sa.String(length=40), nullable=True),
        _account_fk("garage_entries"),
        _vehicle_fk("garage_entries"),
        sa.PrimaryKeyConstraint("account_id", "vin", name=op.f("pk_garage_entries")),
    )
    op.create_index("ix_garage_entries_vin", "garage_entries", ["vin"])
    op.create_table(
        "primary_accounts",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        _account_fk("primary_accounts"),
        _vehicle_fk("primary_accounts"),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_primary_accounts")),
    )
    op.create_index(op.f("ix_primary_accounts_account_id"), "primary_accounts", ["account_id"])
    op.create_table(
        "ownership_checks",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("blocked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("passed_at", UTCDateTime(timezone=True), nullable=True),
        _account_fk("ownership_checks"),
        _vehicle_fk("ownership_checks"),
        sa.PrimaryKeyConstraint("account_id", "vin", name=op.f("pk_ownership_checks")),
    )
    op.create_table(
        "identity_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.String(length=20), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.String(length=500), nullable=True),
        _account_fk("identity_checks"),
        _vehicle_fk("identity_checks"),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff_accounts.id"],
            name=op.f("fk_identity_checks_staff_id_staff_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_checks")),
    )
    op.create_index("ix_identity_checks_vin_account", "identity_checks", ["vin", "account_id"])


def downgrade() -> None:
    op.drop_index("ix_identity_checks_vin_account", table_name="identity_checks")
    op.drop_table("identity_checks")
    op.drop_table("ownership_checks")
    op.drop_index(op.f("ix_primary_accounts_account_id"), table_name="primary_accounts")
    op.drop_table("primary_accounts")
    op.drop_index("ix_garage_entries_vin", table_name="garage_entries")
    op.drop_table("garage_entries")
