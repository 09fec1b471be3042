"""trips: saved trips with scores and samples, trips not saved with their reason

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from linkplus.models.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "trips",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("trip_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("fuel_used_l", sa.Float(), nullable=True),
        sa.Column("energy_used_kwh", sa.Float(), nullable=True),
        sa.Column("regenerated_kwh", sa.Float(), nullable=True),
        sa.Column("powertrain", sa.String(length=16), nullable=False),
        sa.Column("coaching_kind", sa.String(length=32), nullable=False),
        sa.Column("rebuilt", sa.Boolean(), nullable=False),
        sa.Column("location_known", sa.Boolean(), nullable=False),
        sa.Column("score_trip", sa.Float(), nullable=False),
        sa.Column("score_acceleration", sa.Float(), nullable=False),
        sa.Column("score_braking", sa.Float(), nullable=False),
        sa.Column("score_constant_speed", sa.Float(), nullable=True),
        sa.Column("constant_speed_absent", sa.String(length=40), nullable=True),
        sa.Column("insurance_speeding", sa.Float(), nullable=True),
        sa.Column("insurance_braking", sa.Float(), nullable=True),
        sa.Column("insurance_cornering", sa.Float(), nullable=True),
        sa.Column("insurance_accelerating", sa.Float(), nullable=True),
        sa.Column("insurance_combined", sa.Float(), nullable=True),
        sa.Column("insurance_unavailable", sa.String(length=32), nullable=True),
        sa.Column("coaching", JSONDOC, nullable=False),
        sa.Column("samples", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trips_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_trips_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trips")),
        sa.UniqueConstraint("vin", "trip_id", name="uq_trips_vin_trip"),
    )
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trips_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_trips_vin_started", ["vin", "started_at"], unique=False)

    op.create_table(
        "trips_not_saved",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("trip_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_trips_not_saved_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_trips_not_saved_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", "trip_id", name=op.f("pk_trips_not_saved")),
    )
    with op.batch_alter_table("trips_not_saved", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trips_not_saved_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_trips_not_saved_vin_started", ["vin", "started_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("trips_not_saved", schema=None) as batch_op:
        batch_op.drop_index("ix_trips_not_saved_vin_started")
        batch_op.drop_index(batch_op.f("ix_trips_not_saved_account_id"))
    op.drop_table("trips_not_saved")
    with op.batch_alter_table("trips", schema=None) as batch_op:
        batch_op.drop_index("ix_trips_vin_started")
        batch_op.drop_index(batch_op.f("ix_trips_account_id"))
    op.drop_table("trips")
