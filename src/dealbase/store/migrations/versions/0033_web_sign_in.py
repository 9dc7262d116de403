"""web sign-in: users' password hashes and the web app's sessions

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def _head(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=f"fk_{table}_user_id_users"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def upgrade() -> None:
    op.create_table(
        "user_passwords",
        *_head("user_passwords"),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    )
    op.create_index("ix_user_passwords_user_id", "user_passwords", ["user_id"], unique=True)
    op.create_index("ix_user_passwords_company_id", "user_passwords", ["company_id"])
    op.create_table(
        "web_sessions",
        *_head("web_sessions"),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("expires_at", sa.String(length=19), nullable=False),
    )
    op.create_index("ix_web_sessions_token_digest", "web_sessions", ["token_digest"], unique=True)
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_index("ix_web_sessions_company_id", "web_sessions", ["company_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_table("user_passwords")
