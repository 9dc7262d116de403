"""webhooks: subscriptions, the delivery outbox, the company's webhooks version

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _ref(table: str, column: str, target: str, nullable: bool = False) -> sa.Column:
    """A reference column named as ``store/tables.py``'s naming convention names it."""
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")
    return sa.Column(column, sa.Integer(), fk, nullable=nullable)


def upgrade() -> None:
    # A plain ADD COLUMN: a batch copy of ``companies`` would trip every foreign key to it.
    op.add_column("companies", sa.Column("webhooks_version", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "webhooks",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("webhooks", "company_id", "companies"),
        _ref("webhooks", "owner_id", "users"),
        _ref("webhooks", "user_id", "users"),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("event_action", sa.String(length=16), nullable=False),
        sa.Column("event_object", sa.String(length=32), nullable=False),
        sa.Column("subscription_url", sa.Text(), nullable=False),
        sa.Column("version", sa.String(length=3), nullable=False),
        sa.Column("type", sa.String(length=16), server_default="general", nullable=False),
        sa.Column("http_auth_user", sa.String(length=255), nullable=True),
        sa.Column("http_auth_password", sa.String(length=255), nullable=True),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("remove_time", sa.String(length=19), nullable=True),
        sa.Column("remove_reason", sa.String(length=255), nullable=True),
        sa.Column("last_delivery_time", sa.String(length=19), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("last_success_time", sa.String(length=19), nullable=True),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("banned_until", sa.String(length=19), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_webhooks"),
    )
    op.create_index("ix_webhooks_company_id_is_deleted", "webhooks", ["company_id", "is_deleted"])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("webhook_deliveries", "company_id", "companies"),
        _ref("webhook_deliveries", "webhook_id", "webhooks"),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("entity_key", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.Column("claimed_until", sa.Float(), nullable=True),
        sa.Column("claimed_by", sa.String(length=36), nullable=True),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("last_attempt_time", sa.String(length=19), nullable=True),
        sa.Column("last_http_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_status_next_at", "webhook_deliveries", ["status", "next_at"])
    op.create_index(
        "ix_webhook_deliveries_webhook_id_entity_key_status_id",
        "webhook_deliveries",
        ["webhook_id", "entity_key", "status", "id"],
    )
    op.create_index(
        "ix_webhook_deliveries_company_id_webhook_id_id", "webhook_deliveries", ["company_id", "webhook_id", "id"]
    )


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("webhooks")
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("webhooks_version")
