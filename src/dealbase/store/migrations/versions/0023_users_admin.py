"""users the admin adds: the company's users version

Revision ID: 0023
Revises: 0022

Every write to a user or an API token bumps ``companies.users_version``, so that a process
answering API tokens from memory sees a deactivated user or a replaced token on the very next
request. (A user's role and access live in the assignments of 0024.)
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("users_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("users_version")
