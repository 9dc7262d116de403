"""company seats: a company's plan and seats set its rate limits

Revision ID: 0022
Revises: 0021

``companies.plan`` was kept already; ``seats`` joins it. Together they are the company's daily
token budget and burst window (``api/rate_limits.py``). A company made before this has one seat.
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("seats", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("seats")
