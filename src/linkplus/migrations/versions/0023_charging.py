"""charging: home chargers (OCPP), the cars they charge, charging sessions and their meter
values, the commands sent to chargers, weekly charging windows

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import BigIntPK, JSONDoc, UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, *, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "chargers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("identity", sa.String(length=48), nullable=False),
        sa.Column("activation_code_hash", sa.String(length=64), nullable=False),
        _when("registered_at", nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=60), nullable=True),
        _when("onboarded_at"),
        sa.Column("password_hash", sa.String(length=64), nullable=True),
        sa.Column("id_tag", sa.String(length=20), nullable=True),
        sa.Column("price_per_kwh_e4", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("max_power_w", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=True),
        sa.Column("vendor", sa.String(length=50), nullable=True),
        sa.Column("model", sa.String(length=50), nullable=True),
        sa.Column("serial_number", sa.String(length=50), nullable=True),
        sa.Column("firmware_version", sa.String(length=50), nullable=True),
        _when("booted_at"),
        _when("last_heartbeat_at"),
        sa.Column("connector_status", sa.String(length=20), nullable=True),
        _when("status_at"),
        sa.Column("connected", sa.Boolean(), nullable=False),
        _when("connected_at"),
        sa.Column("next_transaction", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_chargers_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chargers")),
        sa.UniqueConstraint("identity", name=op.f("uq_chargers_identity")),
    )
    op.create_index("ix_chargers_account", "chargers", ["account_id"])
    op.create_table(
        "charger_vehicles",
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        _when("linked_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_charger_vehicles_charger_id_chargers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_charger_vehicles_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("charger_id", "vin", name=op.f("pk_charger_vehicles")),
    )
    op.create_table(
        "charging_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("vin", sa.String(length=17), nullable=True),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("id_tag", sa.String(length=36), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _when("started_at", nullable=False),
        _when("stopped_at"),
        sa.Column("stop_reason", sa.String(length=32), nullable=True),
        sa.Column("meter_start_wh", sa.BigInteger(), nullable=True),
        sa.Column("meter_last_wh", sa.BigInteger(), nullable=True),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("price_per_kwh_e4", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("cost_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_charging_sessions_charger_id_chargers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_charging_sessions_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_charging_sessions_vin_vehicles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_sessions")),
        sa.UniqueConstraint(
            "charger_id", "transaction_id", name="uq_charging_sessions_transaction"
        ),
    )
    op.create_index(
        "ix_charging_sessions_charger_started", "charging_sessions", ["charger_id", "started_at"]
    )
    op.create_index("ix_charging_sessions_account", "charging_sessions", ["account_id"])
    op.create_table(
        "charging_meter_values",
        sa.Column("id", BigIntPK, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        _when("measured_at", nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=True),
        sa.Column("power_w", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["charging_sessions.id"],
            name=op.f("fk_charging_meter_values_session_id_charging_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_meter_values")),
    )
    op.create_index(
        "ix_charging_meter_values_session",
        "charging_meter_values",
        ["session_id", "measured_at"],
    )
    op.create_table(
        "charger_commands",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("arguments", JSONDoc, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        _when("requested_at", nullable=False),
        _when("answered_at"),
        sa.Column("answer", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_charger_commands_charger_id_chargers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_charger_commands_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charger_commands")),
    )
    op.create_index("ix_charger_commands_state", "charger_commands", ["state", "requested_at"])
    op.create_table(
        "charging_windows",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("charger_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        _when("updated_at", nullable=False),
        sa.ForeignKeyConstraint(
            ["charger_id"],
            ["chargers.id"],
            name=op.f("fk_charging_windows_charger_id_chargers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charging_windows")),
        sa.UniqueConstraint("charger_id", "number", name="uq_charging_windows_number"),
    )


def downgrade() -> None:
    op.drop_table("charging_windows")
    op.drop_index("ix_charger_commands_state", table_name="charger_commands")
    op.drop_table("charger_commands")
    op.drop_index("ix_charging_meter_values_session", table_name="charging_meter_values")
    op.drop_table("charging_meter_values")
    op.drop_index("ix_charging_sessions_account", table_name="charging_sessions")
    op.drop_index("ix_charging_sessions_charger_started", table_name="charging_sessions")
    op.drop_table("charging_sessions")
    op.drop_table("charger_vehicles")
    op.drop_index("ix_chargers_account", table_name="chargers")
    op.drop_table("chargers")
