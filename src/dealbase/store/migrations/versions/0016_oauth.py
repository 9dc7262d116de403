"""oauth: apps, authorization codes, grants (refresh tokens) and access tokens

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _ref(table: str, column: str, target: str) -> sa.Column:
    """A reference column named as ``store/tables.py``'s naming convention names it."""
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")
    return sa.Column(column, sa.Integer(), fk, nullable=False)


def _hash(name: str) -> sa.Column:
    return sa.Column(name, sa.String(length=64), nullable=False)


def _time(name: str) -> sa.Column:
    return sa.Column(name, sa.String(length=19), nullable=False)


def upgrade() -> None:
    op.create_table(
        "oauth_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("oauth_apps", "company_id", "companies"),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        _hash("secret_hash"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        _time("add_time"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_apps"),
    )
    op.create_index("ix_oauth_apps_client_id", "oauth_apps", ["client_id"], unique=True)
    op.create_table(
        "oauth_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("oauth_codes", "company_id", "companies"),
        _ref("oauth_codes", "app_id", "oauth_apps"),
        _ref("oauth_codes", "user_id", "users"),
        _hash("code_hash"),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scopes", sa.Text(), nullable=False),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_codes"),
    )
    op.create_index("ix_oauth_codes_code_hash", "oauth_codes", ["code_hash"], unique=True)
    op.create_table(
        "oauth_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("oauth_grants", "company_id", "companies"),
        _ref("oauth_grants", "app_id", "oauth_apps"),
        _ref("oauth_grants", "user_id", "users"),
        _hash("refresh_hash"),
        sa.Column("scopes", sa.Text(), nullable=False),
        _time("expires_at"),
        _time("add_time"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_grants"),
    )
    op.create_index("ix_oauth_grants_refresh_hash", "oauth_grants", ["refresh_hash"], unique=True)
    op.create_table(
        "oauth_access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("oauth_access_tokens", "company_id", "companies"),
        _ref("oauth_access_tokens", "grant_id", "oauth_grants"),
        _hash("token_hash"),
        _time("expires_at"),
        sa.PrimaryKeyConstraint("id", name="pk_oauth_access_tokens"),
    )
    op.create_index("ix_oauth_access_tokens_token_hash", "oauth_access_tokens", ["token_hash"], unique=True)
    op.create_index("ix_oauth_access_tokens_grant_id", "oauth_access_tokens", ["grant_id"])


def downgrade() -> None:
    op.drop_table("oauth_access_tokens")
    op.drop_table("oauth_grants")
    op.drop_table("oauth_codes")
    op.drop_table("oauth_apps")
