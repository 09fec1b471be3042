"""remote: remote commands, their state changes, per-car counters and timers, climate schedules,
stolen-vehicle-tracking flag

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from linkplus.models.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "remote_climate_schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("weekdays", JSONDOC, nullable=False),
        sa.Column("at_time", sa.String(length=5), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("settings", JSONDOC, nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_command_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_remote_climate_schedules_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_remote_climate_schedules_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_climate_schedules")),
    )
    op.create_index(
        "ix_remote_climate_schedules_vin", "remote_climate_schedules", ["vin"], unique=False
    )
    op.create_table(
        "remote_commands",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("schedule_id", sa.Uuid(), nullable=True),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("subsystem", sa.String(length=16), nullable=False),
        sa.Column("params", JSONDOC, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("counter", sa.BigInteger(), nullable=True),
        sa.Column("busy_key", sa.String(length=40), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_fingerprint", sa.String(length=64), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("runs_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_remote_commands_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_remote_commands_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_commands")),
        sa.UniqueConstraint("account_id", "idempotency_key", name="uq_remote_commands_idempotency"),
        sa.UniqueConstraint("busy_key", name=op.f("uq_remote_commands_busy_key")),
    )
    op.create_index(
        "ix_remote_commands_account_created",
        "remote_commands",
        ["account_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_remote_commands_vin_created", "remote_commands", ["vin", "created_at"], unique=False
    )
    op.create_table(
        "remote_vehicle_states",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("last_counter", sa.BigInteger(), nullable=False),
        sa.Column("climate_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("climate_renewals_used", sa.Integer(), nullable=False),
        sa.Column("climate_advanced", sa.Boolean(), nullable=False),
        sa.Column("engine_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("hazard_until", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_remote_vehicle_states_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_remote_vehicle_states")),
    )
    op.create_table(
        "svt_active",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("since", UTCDateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_svt_active_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_svt_active")),
    )
    op.create_table(
        "remote_command_changes",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("command_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["command_id"],
            ["remote_commands.id"],
            name=op.f("fk_remote_command_changes_command_id_remote_commands"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_command_changes")),
    )
    op.create_index(
        "ix_remote_command_changes_vin", "remote_command_changes", ["vin", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_remote_command_changes_vin", table_name="remote_command_changes")
    op.drop_table("remote_command_changes")
    op.drop_table("svt_active")
    op.drop_table("remote_vehicle_states")
    op.drop_index("ix_remote_commands_vin_created", table_name="remote_commands")
    op.drop_index("ix_remote_commands_account_created", table_name="remote_commands")
    op.drop_table("remote_commands")
    op.drop_index("ix_remote_climate_schedules_vin", table_name="remote_climate_schedules")
    op.drop_table("remote_climate_schedules")
