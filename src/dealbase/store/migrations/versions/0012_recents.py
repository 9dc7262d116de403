"""change events keep the caller's user agent and whether the write was a bulk one
(shown by the changelogs and the flow)

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("change_events") as batch:
        batch.add_column(sa.Column("change_source_user_agent", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("is_bulk_update", sa.Boolean(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("change_events") as batch:
        batch.drop_column("is_bulk_update")
        batch.drop_column("change_source_user_agent")
