"""safety: emergency and theft cases, their attempts, timeline, positions and police links, each
car's emergency system, the reactivation after a theft, and the location holds of privacy

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import linkplus.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "location_holds",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("started_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_location_holds_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_holds")),
    )
    with op.batch_alter_table("location_holds", schema=None) as batch_op:
        batch_op.create_index("ix_location_holds_vin_started", ["vin", "started_at"], unique=False)

    op.create_table(
        "safety_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("opened_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("msd", sa.LargeBinary(length=140), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("call_state", sa.String(length=16), nullable=True),
        sa.Column("occupant", sa.String(length=16), nullable=True),
        sa.Column("taken_by", sa.Uuid(), nullable=True),
        sa.Column("taken_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "dispatched",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("closed_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("police_reference", sa.String(length=40), nullable=True),
        sa.Column("reported_via", sa.String(length=16), nullable=True),
        sa.Column(
            "checks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("tracking", sa.String(length=16), nullable=False),
        sa.Column(
            "tracking_started_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "tracking_ended_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("tracking_ended_by", sa.String(length=16), nullable=True),
        sa.Column("reactivated_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_safety_cases_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["taken_by"],
            ["staff_accounts.id"],
            name=op.f("fk_safety_cases_taken_by_staff_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_safety_cases_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_cases")),
        sa.UniqueConstraint("vin", "incident_id", name="uq_safety_cases_vin_incident"),
    )
    with op.batch_alter_table("safety_cases", schema=None) as batch_op:
        batch_op.create_index("ix_safety_cases_state_opened", ["state", "opened_at"], unique=False)
        batch_op.create_index("ix_safety_cases_vin_opened", ["vin", "opened_at"], unique=False)

    op.create_table(
        "safety_systems",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("light", sa.String(length=24), nullable=True),
        sa.Column("light_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "switched_off_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("switched_off_by", sa.Uuid(), nullable=True),
        sa.Column("switched_off_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["switched_off_by"],
            ["staff_accounts.id"],
            name=op.f("fk_safety_systems_switched_off_by_staff_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_safety_systems_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_safety_systems")),
    )
    op.create_table(
        "safety_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("msg_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("occurred_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("call_state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["safety_cases.id"],
            name=op.f("fk_safety_attempts_case_id_safety_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_attempts")),
        sa.UniqueConstraint("msg_id", name=op.f("uq_safety_attempts_msg_id")),
    )
    with op.batch_alter_table("safety_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_safety_attempts_case_id"), ["case_id"], unique=False)

    op.create_table(
        "safety_case_entries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["safety_cases.id"],
            name=op.f("fk_safety_case_entries_case_id_safety_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_case_entries")),
    )
    with op.batch_alter_table("safety_case_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_case_entries_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "safety_police_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("expires_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["safety_cases.id"],
            name=op.f("fk_safety_police_links_case_id_safety_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["staff_accounts.id"],
            name=op.f("fk_safety_police_links_created_by_staff_accounts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_police_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_safety_police_links_token_hash")),
    )
    with op.batch_alter_table("safety_police_links", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_police_links_case_id"), ["case_id"], unique=False
        )

    op.create_table(
        "safety_positions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("ts", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("heading", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["safety_cases.id"],
            name=op.f("fk_safety_positions_case_id_safety_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_positions")),
        sa.UniqueConstraint("case_id", "ts", name="uq_safety_positions_case_ts"),
    )
    op.create_table(
        "safety_reactivations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_safety_reactivations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["safety_cases.id"],
            name=op.f("fk_safety_reactivations_case_id_safety_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safety_reactivations")),
    )
    with op.batch_alter_table("safety_reactivations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safety_reactivations_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("safety_reactivations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_reactivations_case_id"))

    op.drop_table("safety_reactivations")
    op.drop_table("safety_positions")
    with op.batch_alter_table("safety_police_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_police_links_case_id"))

    op.drop_table("safety_police_links")
    with op.batch_alter_table("safety_case_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_case_entries_case_id"))

    op.drop_table("safety_case_entries")
    with op.batch_alter_table("safety_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safety_attempts_case_id"))

    op.drop_table("safety_attempts")
    op.drop_table("safety_systems")
    with op.batch_alter_table("safety_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_safety_cases_vin_opened")
        batch_op.drop_index("ix_safety_cases_state_opened")

    op.drop_table("safety_cases")
    with op.batch_alter_table("location_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_location_holds_vin_started")

    op.drop_table("location_holds")
