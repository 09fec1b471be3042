"""abuse limits: per-car ownership-check block and its wrong readings, registrations per client,
one notice per address per hour

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicle_ownership_guards",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("counted_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("blocked_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_vehicle_ownership_guards_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_vehicle_ownership_guards")),
    )
    op.create_table(
        "ownership_failures",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_ownership_failures_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_ownership_failures_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownership_failures")),
    )
    op.create_index(
        "ix_ownership_failures_vin_failed_at", "ownership_failures", ["vin", "failed_at"]
    )
    op.create_table(
        "registration_throttles",
        sa.Column("client_key_hash", sa.String(length=64), nullable=False),
        sa.Column("window_started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts_in_window", sa.Integer(), nullable=False),
        sa.Column("previous_window_attempts", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_key_hash", name=op.f("pk_registration_throttles")),
    )
    op.create_table(
        "address_notices",
        sa.Column("email_key_hash", sa.String(length=64), nullable=False),
        sa.Column("last_sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email_key_hash", name=op.f("pk_address_notices")),
    )


def downgrade() -> None:
    op.drop_table("address_notices")
    op.drop_table("registration_throttles")
    op.drop_index("ix_ownership_failures_vin_failed_at", table_name="ownership_failures")
    op.drop_table("ownership_failures")
    op.drop_table("vehicle_ownership_guards")
