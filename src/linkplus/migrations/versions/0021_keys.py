"""keys: digital keys of cars, invitations with their share codes, and the revocations sent to
the cars as signed commands (issue 17)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import linkplus.models.base

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "key_revocations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("command_id", sa.Uuid(), nullable=False),
        sa.Column(
            "key_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("requested_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_key_revocations_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_revocations")),
        sa.UniqueConstraint("command_id", name=op.f("uq_key_revocations_command_id")),
    )
    with op.batch_alter_table("key_revocations", schema=None) as batch_op:
        batch_op.create_index("ix_key_revocations_vin", ["vin"], unique=False)

    op.create_table(
        "digital_keys",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("invite_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("certificate", sa.Text(), nullable=False),
        sa.Column("not_before", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "limits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=16), nullable=True),
        sa.Column("revocation_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_digital_keys_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["digital_keys.id"],
            name=op.f("fk_digital_keys_parent_id_digital_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["revocation_id"],
            ["key_revocations.id"],
            name=op.f("fk_digital_keys_revocation_id_key_revocations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_digital_keys_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digital_keys")),
    )
    with op.batch_alter_table("digital_keys", schema=None) as batch_op:
        batch_op.create_index("ix_digital_keys_account", ["account_id"], unique=False)
        batch_op.create_index("ix_digital_keys_parent", ["parent_id"], unique=False)
        batch_op.create_index("ix_digital_keys_vin_state", ["vin", "state"], unique=False)

    op.create_table(
        "key_invites",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("inviter_id", sa.Uuid(), nullable=True),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column(
            "limits",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("not_before", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("not_after", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("created_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", linkplus.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["accounts.id"],
            name=op.f("fk_key_invites_accepted_by_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inviter_id"],
            ["accounts.id"],
            name=op.f("fk_key_invites_inviter_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["digital_keys.id"],
            name=op.f("fk_key_invites_parent_id_digital_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["vin"], ["vehicles.vin"], name=op.f("fk_key_invites_vin_vehicles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_invites")),
    )
    with op.batch_alter_table("key_invites", schema=None) as batch_op:
        batch_op.create_index("ix_key_invites_vin_state", ["vin", "state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("key_invites", schema=None) as batch_op:
        batch_op.drop_index("ix_key_invites_vin_state")

    op.drop_table("key_invites")
    with op.batch_alter_table("digital_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_digital_keys_vin_state")
        batch_op.drop_index("ix_digital_keys_parent")
        batch_op.drop_index("ix_digital_keys_account")

    op.drop_table("digital_keys")
    with op.batch_alter_table("key_revocations", schema=None) as batch_op:
        batch_op.drop_index("ix_key_revocations_vin")

    op.drop_table("key_revocations")
