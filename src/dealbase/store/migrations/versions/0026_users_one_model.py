"""users: their role and access kept once, in the role and permission set assignments

Revision ID: 0026
Revises: 0025

0023 gave users a ``role_id`` and an ``access`` (JSON text) of their own, while 0024 keeps a
user's role in ``role_assignments`` and their set per app in ``permission_set_assignments``.
The assignments are the one model now: these two columns go. Nothing wrote ``role_id``; what
``access`` held beyond the admin flag (``users.is_admin``, which stays) is not carried over,
since no release ever wrote it (0023 and 0024 came in together, unreleased).
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("access")
        batch.drop_column("role_id")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("role_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("access", sa.Text(), nullable=True))
