"""privacy and services: consents, privacy mode history, service activations, sell checklist

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("country", sa.String(length=7), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("accepted_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("withdrawn_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_consents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consents")),
    )
    op.create_index("ix_consents_account_document", "consents", ["account_id", "document"])
    op.create_table(
        "privacy_mode_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("location_sharing", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_privacy_mode_changes_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_privacy_mode_changes_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_mode_changes")),
    )
    op.create_index(
        "ix_privacy_mode_changes_vin_changed", "privacy_mode_changes", ["vin", "changed_at"]
    )
    op.create_table(
        "service_activations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("package", sa.String(length=32), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("deactivated_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_service_activations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_service_activations_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_activations")),
        sa.UniqueConstraint(
            "vin", "account_id", "package", name="uq_service_activations_vin_account"
        ),
    )
    op.create_index("ix_service_activations_account", "service_activations", ["account_id"])
    op.create_table(
        "sell_checklist_marks",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("marked_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sell_checklist_marks_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_sell_checklist_marks_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "vin", "step", name=op.f("pk_sell_checklist_marks")),
    )


def downgrade() -> None:
    op.drop_table("sell_checklist_marks")
    op.drop_index("ix_service_activations_account", table_name="service_activations")
    op.drop_table("service_activations")
    op.drop_index("ix_privacy_mode_changes_vin_changed", table_name="privacy_mode_changes")
    op.drop_table("privacy_mode_changes")
    op.drop_index("ix_consents_account_document", table_name="consents")
    op.drop_table("consents")
