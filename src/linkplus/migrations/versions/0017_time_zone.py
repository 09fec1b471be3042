"""time zone: the owner's IANA time zone, in which the app shows times; existing accounts get
their country's zone

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from linkplus.accounts.time_zones import zone_for_country

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
        )
    accounts = sa.table("accounts", sa.column("country", sa.String), sa.column("time_zone"))
    connection = op.get_bind()
    countries = connection.execute(sa.select(accounts.c.country).distinct()).scalars().all()
    for country in countries:
        connection.execute(
            accounts.update()
            .where(accounts.c.country == country)
            .values(time_zone=zone_for_country(country))
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("time_zone")
