"""statistics and goals: the stages deals entered, and goals

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _ref(table: str, column: str, target: str, nullable: bool = False) -> sa.Column:
    """A reference column named as ``store/tables.py``'s naming convention names it."""
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")
    return sa.Column(column, sa.Integer(), fk, nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "deal_stage_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("deal_stage_moves", "company_id", "companies"),
        _ref("deal_stage_moves", "deal_id", "deals"),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("from_pipeline_id", sa.Integer(), nullable=True),
        sa.Column("from_stage_id", sa.Integer(), nullable=True),
        sa.Column("to_stage_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("time", sa.String(length=19), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_deal_stage_moves"),
    )
    for columns in (("company_id", "pipeline_id", "time"), ("company_id", "to_stage_id", "time")):
        op.create_index(f"ix_deal_stage_moves_{'_'.join(columns)}", "deal_stage_moves", list(columns))
    op.create_index("ix_deal_stage_moves_company_id_deal_id_id", "deal_stage_moves", ["company_id", "deal_id", "id"])
    # Deals made before this revision: the stage they are in, entered when they were made
    # (their earlier moves are not known).
    op.execute(
        "INSERT INTO deal_stage_moves (company_id, deal_id, pipeline_id, from_stage_id, to_stage_id, user_id, time)"
        " SELECT company_id, id, pipeline_id, NULL, stage_id, creator_user_id, COALESCE(stage_change_time, add_time)"
        " FROM deals ORDER BY id"
    )
    op.create_table(
        "goals",
        sa.Column("id", sa.String(length=32), nullable=False),
        _ref("goals", "company_id", "companies"),
        _ref("goals", "owner_id", "users"),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("type_name", sa.String(length=32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=False),
        sa.Column("assignee_type", sa.String(length=16), nullable=False),
        sa.Column("interval", sa.String(length=16), nullable=False),
        sa.Column("duration_start", sa.String(length=10), nullable=False),
        sa.Column("duration_end", sa.String(length=10), nullable=True),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("tracking_metric", sa.String(length=16), nullable=False),
        sa.Column("currency_id", sa.Integer(), nullable=True),
        sa.Column("report_ids", sa.Text(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_goals"),
    )
    op.create_index("ix_goals_company_id_is_deleted_id", "goals", ["company_id", "is_deleted", "id"])


def downgrade() -> None:
    op.drop_index("ix_goals_company_id_is_deleted_id", table_name="goals")
    op.drop_table("goals")
    for name in (
        "ix_deal_stage_moves_company_id_deal_id_id",
        "ix_deal_stage_moves_company_id_to_stage_id_time",
        "ix_deal_stage_moves_company_id_pipeline_id_time",
    ):
        op.drop_index(name, table_name="deal_stage_moves")
    op.drop_table("deal_stage_moves")
