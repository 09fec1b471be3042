"""vehicles: the vehicle registry, spent head-unit pairing codes, preferred dealers

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("model_code", sa.String(length=16), nullable=False),
        sa.Column("model_year", sa.Integer(), nullable=False),
        sa.Column("market", sa.String(length=2), nullable=False),
        sa.Column("multimedia", sa.String(length=8), nullable=False),
        sa.Column("first_delivery_date", sa.Date(), nullable=True),
        sa.Column("registration_plate", sa.String(length=16), nullable=True),
        sa.Column("plate_key", sa.String(length=16), nullable=True),
        sa.Column("telematics_unit", sa.Boolean(), nullable=False),
        sa.Column("head_unit_public_key", sa.String(length=64), nullable=True),
        sa.Column("odometer_km", sa.Integer(), nullable=True),
        sa.Column("odometer_reported_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_vehicles")),
    )
    op.create_index(op.f("ix_vehicles_plate_key"), "vehicles", ["plate_key"])
    op.create_table(
        "used_pairing_codes",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("used_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_used_pairing_codes_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", "nonce", name=op.f("pk_used_pairing_codes")),
    )
    op.create_table(
        "preferred_dealers",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("dealer_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_preferred_dealers_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_preferred_dealers")),
    )


def downgrade() -> None:
    op.drop_table("preferred_dealers")
    op.drop_table("used_pairing_codes")
    op.drop_index(op.f("ix_vehicles_plate_key"), table_name="vehicles")
    op.drop_table("vehicles")
