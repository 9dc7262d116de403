"""project templates and their tasks

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def _company(table: str) -> list:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _ref(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _stamps() -> list:
    return [
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "project_templates",
        *_company("project_templates"),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("board_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        _ref("project_templates", "board_id", "projects_boards"),
        _ref("project_templates", "owner_id", "users"),
    )
    op.create_index(
        "ix_project_templates_company_id_is_deleted_id", "project_templates", ["company_id", "is_deleted", "id"]
    )
    op.create_index("ix_project_templates_board_id", "project_templates", ["board_id"])
    op.create_index("ix_project_templates_owner_id", "project_templates", ["owner_id"])

    op.create_table(
        "project_template_tasks",
        *_company("project_template_tasks"),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("order_nr", sa.Integer(), server_default="0", nullable=False),
        *_stamps(),
        _ref("project_template_tasks", "template_id", "project_templates"),
        _ref("project_template_tasks", "phase_id", "projects_phases"),
    )
    op.create_index(
        "ix_project_template_tasks_company_id_template_id_order_nr",
        "project_template_tasks",
        ["company_id", "template_id", "order_nr"],
    )
    op.create_index("ix_project_template_tasks_template_id", "project_template_tasks", ["template_id"])
    op.create_index("ix_project_template_tasks_phase_id", "project_template_tasks", ["phase_id"])


def downgrade() -> None:
    op.drop_table("project_template_tasks")
    op.drop_table("project_templates")
