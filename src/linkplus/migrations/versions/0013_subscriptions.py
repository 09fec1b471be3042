"""subscriptions: subscriptions, their charges, refunds and notices; e-mail attachments

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from linkplus.models.base import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSONDOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
LIVE = sa.text("status <> 'ended'")


def upgrade() -> None:
    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("package", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("plan", sa.String(length=16), nullable=True),
        sa.Column("market", sa.String(length=2), nullable=False),
        sa.Column("anchor", sa.Date(), nullable=False),
        sa.Column("trial_months", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("auto_renew", sa.Boolean(), nullable=False),
        sa.Column("payment_reminders", sa.Boolean(), nullable=False),
        sa.Column("head_unit", sa.Boolean(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("payments", JSONDOC, nullable=False),
        sa.Column("charge_period", sa.Integer(), nullable=True),
        sa.Column("charge_attempt", sa.Integer(), nullable=True),
        sa.Column("charge_due_on", sa.Date(), nullable=True),
        sa.Column("charge_awaiting", sa.Boolean(), nullable=True),
        sa.Column("charge_retry_on", sa.Date(), nullable=True),
        sa.Column("service_ends_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("cancel_rule", sa.String(length=32), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("billing_name", sa.String(length=200), nullable=True),
        sa.Column("billing_street", sa.String(length=200), nullable=True),
        sa.Column("billing_postcode", sa.String(length=20), nullable=True),
        sa.Column("billing_city", sa.String(length=100), nullable=True),
        sa.Column("billing_country", sa.String(length=2), nullable=True),
        sa.Column("refer_dealer_id", sa.String(length=32), nullable=True),
        sa.Column("next_run_on", sa.Date(), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriptions")),
    )
    op.create_index("ix_subscriptions_account", "subscriptions", ["account_id"])
    op.create_index("ix_subscriptions_vin", "subscriptions", ["vin"])
    op.create_index("ix_subscriptions_next_run_on", "subscriptions", ["next_run_on"])
    op.create_index(
        "uq_subscriptions_live_package",
        "subscriptions",
        ["vin", "package"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_table(
        "subscription_charges",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("card_id", sa.Uuid(), nullable=True),
        sa.Column("provider_token", sa.String(length=128), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider_charge_id", sa.String(length=64), nullable=True),
        sa.Column("decline_reason", sa.String(length=64), nullable=True),
        sa.Column("invoice_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_charges_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_charges")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_subscription_charges_idempotency_key")
        ),
        sa.UniqueConstraint(
            "subscription_id", "period", "attempt", name="uq_subscription_charges_try"
        ),
    )
    op.create_table(
        "subscription_refunds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column("credit_note_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_refunds_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_refunds")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_subscription_refunds_idempotency_key")
        ),
    )
    op.create_table(
        "subscription_notices",
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("about", sa.Date(), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_subscription_notices_subscription_id_subscriptions"),
        ),
        sa.PrimaryKeyConstraint("subscription_id", "key", name=op.f("pk_subscription_notices")),
    )
    op.create_table(
        "outbound_email_attachments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["outbound_emails.id"],
            name=op.f("fk_outbound_email_attachments_email_id_outbound_emails"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_email_attachments")),
    )
    op.create_index(
        op.f("ix_outbound_email_attachments_email_id"),
        "outbound_email_attachments",
        ["email_id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_outbound_email_attachments_email_id"), table_name="outbound_email_attachments"
    )
    op.drop_table("outbound_email_attachments")
    op.drop_table("subscription_notices")
    op.drop_table("subscription_refunds")
    op.drop_table("subscription_charges")
    op.drop_index("uq_subscriptions_live_package", table_name="subscriptions")
    op.drop_index("ix_subscriptions_next_run_on", table_name="subscriptions")
    op.drop_index("ix_subscriptions_vin", table_name="subscriptions")
    op.drop_index("ix_subscriptions_account", table_name="subscriptions")
    op.drop_table("subscriptions")
