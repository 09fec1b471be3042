"""telematics: per-vehicle MQTT credentials

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.models.base import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telematics_credentials",
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("secret_hash", sa.String(length=200), nullable=False),
        sa.Column("broker_hash", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("rotated_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["vin"],
            ["vehicles.vin"],
            name=op.f("fk_telematics_credentials_vin_vehicles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("vin", name=op.f("pk_telematics_credentials")),
    )


def downgrade() -> None:
    op.drop_table("telematics_credentials")
