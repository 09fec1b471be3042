"""vehicle twin: latest values, history, positions, link state, seen messages, inboxes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from linkplus.models.base import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "vehicle_messages_seen",
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_vehicle_messages_seen")),
    )
    with op.batch_alter_table("vehicle_messages_seen", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicle_messages_seen_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "vehicle_positions",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("ts", UTCDateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_positions")),
        sa.UniqueConstraint("vin", "ts", name="uq_vehicle_positions_fix"),
    )
    with op.batch_alter_table("vehicle_positions", schema=None) as batch_op:
        batch_op.create_index("ix_vehicle_positions_ts", ["ts"], unique=False)

    op.create_table(
        "vehicle_signal_history",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("ts", UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", JSONDOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_signal_history")),
        sa.UniqueConstraint("vin", "path", "ts", name="uq_vehicle_signal_history_reading"),
    )
    with op.batch_alter_table("vehicle_signal_history", schema=None) as batch_op:
        batch_op.create_index("ix_vehicle_signal_history_ts", ["ts"], unique=False)

    op.create_table(
        "post_trip_checks",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("trip_ended_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("checked_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("findings", JSONDOC, nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_post_trip_checks_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", "trip_ended_at", name=op.f("pk_post_trip_checks")),
    )
    op.create_table(
        "trip_uploads",
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", JSONDOC, nullable=False),
        sa.Column("consumed_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_trip_uploads_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_trip_uploads")),
    )
    with op.batch_alter_table("trip_uploads", schema=None) as batch_op:
        batch_op.create_index("ix_trip_uploads_vin_occurred", ["vin", "occurred_at"], unique=False)

    op.create_table(
        "vehicle_command_results",
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("command_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_vehicle_command_results_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_vehicle_command_results")),
    )
    with op.batch_alter_table("vehicle_command_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicle_command_results_command_id"), ["command_id"], unique=False
        )

    op.create_table(
        "vehicle_events",
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_vehicle_events_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("msg_id", name=op.f("pk_vehicle_events")),
    )
    with op.batch_alter_table("vehicle_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_vehicle_events_vin_occurred", ["vin", "occurred_at"], unique=False
        )

    op.create_table(
        "vehicle_link_states",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("last_heard_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=True),
        sa.Column("last_ignition_on_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ignition_off_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("asleep_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("awake_since", UTCDateTime(timezone=True), nullable=True),
        sa.Column("parked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("parked_latitude", sa.Float(), nullable=True),
        sa.Column("parked_longitude", sa.Float(), nullable=True),
        sa.Column("parked_heading", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_vehicle_link_states_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_vehicle_link_states")),
    )
    op.create_table(
        "vehicle_twin_signals",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("value", JSONDOC, nullable=False),
        sa.Column("ts", UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_vehicle_twin_signals_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", "path", name=op.f("pk_vehicle_twin_signals")),
    )


def downgrade() -> None:
    op.drop_table("vehicle_twin_signals")
    op.drop_table("vehicle_link_states")
    with op.batch_alter_table("vehicle_events", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_events_vin_occurred")

    op.drop_table("vehicle_events")
    with op.batch_alter_table("vehicle_command_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_command_results_command_id"))

    op.drop_table("vehicle_command_results")
    with op.batch_alter_table("trip_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_trip_uploads_vin_occurred")

    op.drop_table("trip_uploads")
    op.drop_table("post_trip_checks")
    with op.batch_alter_table("vehicle_signal_history", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_signal_history_ts")

    op.drop_table("vehicle_signal_history")
    with op.batch_alter_table("vehicle_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicle_positions_ts")

    op.drop_table("vehicle_positions")
    with op.batch_alter_table("vehicle_messages_seen", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_messages_seen_received_at"))

    op.drop_table("vehicle_messages_seen")
