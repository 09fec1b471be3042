"""owner scope: the ended stretches during which an account was a car's primary account

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-07

The running stretch of each car is ``primary_accounts.since``, so existing data needs no
backfill: what ended before this revision was not recorded, and so stays hidden from everyone
(the safe side: an account that lost the role before the upgrade does not get the car's earlier
history back when it claims the role again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "past_primary_periods",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_past_primary_periods_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_past_primary_periods_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_past_primary_periods")),
    )
    op.create_index(
        "ix_past_primary_periods_vin_account", "past_primary_periods", ["vin", "account_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_past_primary_periods_vin_account", table_name="past_primary_periods")
    op.drop_table("past_primary_periods")
