"""call logs

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def _ref(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_call_logs_{column}_{target}")


def upgrade() -> None:
    op.create_table(
        "call_logs",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("duration", sa.String(length=16), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("from_phone_number", sa.String(length=255), nullable=True),
        sa.Column("to_phone_number", sa.String(length=255), nullable=False),
        sa.Column("start_time", sa.String(length=19), nullable=False),
        sa.Column("end_time", sa.String(length=19), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("file_id", sa.Integer(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_call_logs_company_id_companies"),
        _ref("user_id", "users"),
        _ref("activity_id", "activities"),
        _ref("file_id", "files"),
        sa.PrimaryKeyConstraint("id", name="pk_call_logs"),
    )
    op.create_index(
        "ix_call_logs_company_id_user_id_is_deleted_id", "call_logs", ["company_id", "user_id", "is_deleted", "id"]
    )
    for column in ("user_id", "activity_id", "file_id"):
        op.create_index(f"ix_call_logs_{column}", "call_logs", [column])


def downgrade() -> None:
    op.drop_table("call_logs")
