"""saved filters

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "company_id",
            sa.Integer(),
            sa.ForeignKey("companies.id", name="fk_filters_company_id_companies"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_filters_user_id_users"), nullable=False),
        sa.Column("visible_to", sa.Integer(), server_default="1", nullable=False),
        sa.Column("filter_code", sa.String(length=64), nullable=True),
        sa.Column("temporary_flag", sa.Boolean(), nullable=True),
        sa.Column("custom_view_id", sa.Integer(), nullable=True),
        sa.Column("last_used_time", sa.String(length=19), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_filters"),
    )
    op.create_index("ix_filters_company_id_type_is_deleted", "filters", ["company_id", "type", "is_deleted"])


def downgrade() -> None:
    op.drop_index("ix_filters_company_id_type_is_deleted", table_name="filters")
    op.drop_table("filters")
