"""company snapshots: a company's saved states, restored by the control plane

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "company_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created", sa.String(length=19), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_company_snapshots_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name="pk_company_snapshots"),
    )
    op.create_index("ix_company_snapshots_company_id_name", "company_snapshots", ["company_id", "name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_company_snapshots_company_id_name", table_name="company_snapshots")
    op.drop_table("company_snapshots")
