"""users the admin adds: their role, their app access, and the company's users version

Revision ID: 0023
Revises: 0022

``users.access`` is the user's access per app as ``POST /v1/users`` gives it (JSON text;
null: the access ``is_admin`` implies); ``users.role_id`` their role. Every write to a user
or an API token bumps ``companies.users_version``, so that a process answering API tokens
from memory sees a deactivated user or a replaced token on the very next request.
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("access", sa.Text(), nullable=True))
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("users_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("users_version")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("access")
        batch.drop_column("role_id")
