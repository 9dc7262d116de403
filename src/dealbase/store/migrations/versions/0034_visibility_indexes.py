"""visibility indexes: (company_id, visible_to, owner_id, id) on the items whose reads follow visibility

Revision ID: 0034
Revises: 0033

A user who is not an admin and sees few of a company's items (the rest owner-only or their
groups') has them gathered from the indexes (``store/visibility.py``): their own by
``(company_id, owner_id)``, the company-visible ones by this index's first two columns and
the group-visible ones (``visible_to`` 3 or 5, the owner among a role's users) by its first
three; without it those lookups read every item of the company.
"""

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

TABLES = ("organizations", "persons", "deals", "leads", "products")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(
            f"ix_{table}_company_id_visible_to_owner_id_id", table, ["company_id", "visible_to", "owner_id", "id"]
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_company_id_visible_to_owner_id_id", table_name=table)
