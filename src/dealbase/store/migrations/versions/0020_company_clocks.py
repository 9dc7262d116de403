"""company clocks: a company's time can be set, frozen and advanced (the sandbox's clock)

Revision ID: 0020
Revises: 0019

``clock_now`` is the company's time when the clock was set, ``clock_set_at`` the real time
then; frozen, the company's time stays ``clock_now``, else it runs on from there at real
speed. Both null: the company lives in real time.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("clock_set_at", sa.String(19), nullable=True))
        batch.add_column(sa.Column("clock_now", sa.String(19), nullable=True))
        batch.add_column(sa.Column("clock_frozen", sa.Boolean(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("clock_frozen")
        batch.drop_column("clock_now")
        batch.drop_column("clock_set_at")
