"""counters kept on deals, persons and organizations

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COUNTS = (
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "notes_count",
    "files_count",
    "followers_count",
)
DEAL_COUNTS = ("products_count", "participants_count")


def _columns(table: str) -> list[sa.Column]:
    cols = [sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in COUNTS]
    cols += [
        sa.Column("next_activity_id", sa.Integer(), nullable=True),
        sa.Column("next_activity_date", sa.String(length=10), nullable=True),
        sa.Column("next_activity_time", sa.String(length=8), nullable=True),
        sa.Column("last_activity_id", sa.Integer(), nullable=True),
        sa.Column("last_activity_date", sa.String(length=10), nullable=True),
    ]
    if table == "deals":
        cols += [sa.Column(name, sa.Integer(), server_default="0", nullable=False) for name in DEAL_COUNTS]
        cols += [
            sa.Column("next_activity_subject", sa.String(length=255), nullable=True),
            sa.Column("next_activity_type", sa.String(length=255), nullable=True),
            sa.Column("next_activity_duration", sa.String(length=8), nullable=True),
            sa.Column("next_activity_note", sa.Text(), nullable=True),
            sa.Column("source_lead_id", sa.String(length=36), nullable=True),
        ]
    return cols


def upgrade() -> None:
    for table in ("deals", "persons", "organizations"):
        with op.batch_alter_table(table) as batch:
            for column in _columns(table):
                batch.add_column(column)
    # A deal's person is its first participant.
    op.execute("UPDATE deals SET participants_count = 1 WHERE person_id IS NOT NULL")


def downgrade() -> None:
    for table in ("deals", "persons", "organizations"):
        with op.batch_alter_table(table) as batch:
            for column in reversed(_columns(table)):
                batch.drop_column(column.name)
