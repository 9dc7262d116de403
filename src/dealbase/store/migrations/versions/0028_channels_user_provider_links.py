"""messaging channels, their conversations and messages; meetings' user provider links

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def _company(table: str) -> list:
    return [
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _stamps() -> list:
    return [
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "channels",
        sa.Column("id", sa.String(length=36), nullable=False),
        *_company("channels"),
        sa.Column("provider_channel_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("avatar_url", sa.Text(), nullable=True),
        sa.Column("provider_type", sa.String(length=16), nullable=False),
        sa.Column("template_support", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        _ref("channels", "user_id", "users"),
        _ref("channels", "app_id", "oauth_apps"),
    )
    op.create_index(
        "ix_channels_company_id_provider_channel_id", "channels", ["company_id", "provider_channel_id"], unique=True
    )
    op.create_index("ix_channels_user_id", "channels", ["user_id"])
    op.create_index("ix_channels_app_id", "channels", ["app_id"])

    op.create_table(
        "channel_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("channel_conversations"),
        sa.Column("channel_id", sa.String(length=36), nullable=False),
        sa.Column("provider_conversation_id", sa.String(length=255), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        *_stamps(),
        _ref("channel_conversations", "channel_id", "channels"),
    )
    op.create_index(
        "ix_channel_conversations_channel_id_provider_conversation_id",
        "channel_conversations",
        ["channel_id", "provider_conversation_id"],
        unique=True,
    )

    op.create_table(
        "channel_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("channel_messages"),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("provider_message_id", sa.String(length=255), nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.String(length=24), nullable=False),
        sa.Column("reply_by", sa.String(length=24), nullable=True),
        sa.Column("attachments", sa.Text(), nullable=False),
        *_stamps(),
        _ref("channel_messages", "conversation_id", "channel_conversations"),
    )
    op.create_index(
        "ix_channel_messages_conversation_id_provider_message_id",
        "channel_messages",
        ["conversation_id", "provider_message_id"],
        unique=True,
    )

    op.create_table(
        "user_provider_links",
        sa.Column("id", sa.Integer(), nullable=False),
        *_company("user_provider_links"),
        sa.Column("user_provider_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("marketplace_client_id", sa.String(length=64), nullable=False),
        *_stamps(),
        _ref("user_provider_links", "user_id", "users"),
    )
    op.create_index(
        "ix_user_provider_links_company_id_user_provider_id",
        "user_provider_links",
        ["company_id", "user_provider_id"],
        unique=True,
    )
    op.create_index("ix_user_provider_links_user_id", "user_provider_links", ["user_id"])


def downgrade() -> None:
    op.drop_table("user_provider_links")
    op.drop_table("channel_messages")
    op.drop_table("channel_conversations")
    op.drop_table("channels")
