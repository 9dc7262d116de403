"""organization relationships

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "org_relationships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("rel_owner_org_id", sa.Integer(), nullable=False),
        sa.Column("rel_linked_org_id", sa.Integer(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_org_relationships_company_id_companies"),
        sa.ForeignKeyConstraint(
            ["rel_owner_org_id"], ["organizations.id"], name="fk_org_relationships_rel_owner_org_id_organizations"
        ),
        sa.ForeignKeyConstraint(
            ["rel_linked_org_id"], ["organizations.id"], name="fk_org_relationships_rel_linked_org_id_organizations"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_org_relationships"),
    )
    for column in ("rel_owner_org_id", "rel_linked_org_id"):
        op.create_index(f"ix_org_relationships_company_id_{column}", "org_relationships", ["company_id", column])
        # every foreign key column leads an index (tables.py: _index_foreign_keys)
        op.create_index(f"ix_org_relationships_{column}", "org_relationships", [column])


def downgrade() -> None:
    op.drop_table("org_relationships")
