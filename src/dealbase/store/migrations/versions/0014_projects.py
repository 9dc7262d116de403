"""projects: boards, phases, projects and their plan; every company gets the default board

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BOARD = "Delivery"
PHASES = ("Planning", "In progress", "Done")


def _ref(table: str, column: str, target: str, nullable: bool = False) -> sa.Column:
    """A reference column named as ``store/tables.py``'s naming convention names it."""
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")
    return sa.Column(column, sa.Integer(), fk, nullable=nullable)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "projects_boards",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("projects_boards", "company_id", "companies"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("order_nr", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_projects_boards"),
    )
    op.create_index(
        "ix_projects_boards_company_id_is_deleted_order_nr", "projects_boards", ["company_id", "is_deleted", "order_nr"]
    )
    op.create_table(
        "projects_phases",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("projects_phases", "company_id", "companies"),
        _ref("projects_phases", "board_id", "projects_boards"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("order_nr", sa.Integer(), server_default="0", nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_projects_phases"),
    )
    op.create_index(
        "ix_projects_phases_company_id_board_id_order_nr", "projects_phases", ["company_id", "board_id", "order_nr"]
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("projects", "company_id", "companies"),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), server_default="open", nullable=False),
        _ref("projects", "board_id", "projects_boards"),
        _ref("projects", "phase_id", "projects_phases"),
        _ref("projects", "owner_id", "users"),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("end_date", sa.String(length=10), nullable=True),
        sa.Column("deal_ids", sa.Text(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("person_ids", sa.Text(), nullable=True),
        sa.Column("org_ids", sa.Text(), nullable=True),
        sa.Column("label_ids", sa.Text(), nullable=True),
        sa.Column("health_status", sa.String(length=16), nullable=True),
        sa.Column("status_change_time", sa.String(length=19), nullable=True),
        sa.Column("is_archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("archive_time", sa.String(length=19), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("custom_fields", sa.Text(), nullable=True),
        sa.Column("custom_fields_version", sa.Integer(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
    )
    op.create_index(
        "ix_projects_company_id_is_deleted_is_archived_id", "projects", ["company_id", "is_deleted", "is_archived", "id"]
    )
    op.create_index("ix_projects_company_id_phase_id", "projects", ["company_id", "phase_id"])
    op.create_table(
        "projects_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("projects_plan", "company_id", "companies"),
        _ref("projects_plan", "project_id", "projects"),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_projects_plan"),
    )
    op.create_index(
        "ix_projects_plan_company_id_project_id_item_type_item_id",
        "projects_plan",
        ["company_id", "project_id", "item_type", "item_id"],
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        _ref("tasks", "company_id", "companies"),
        sa.Column("title", sa.String(length=255), nullable=False),
        _ref("tasks", "project_id", "projects"),
        sa.Column("parent_task_id", sa.Integer(), nullable=True),
        _ref("tasks", "creator_id", "users", nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("assignee_ids", sa.Text(), nullable=True),
        sa.Column("is_done", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("is_milestone", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("due_date", sa.String(length=10), nullable=True),
        sa.Column("start_date", sa.String(length=10), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("marked_as_done_time", sa.String(length=19), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint("id", name="pk_tasks"),
    )
    op.create_index("ix_tasks_company_id_project_id_id", "tasks", ["company_id", "project_id", "id"])
    # Companies made before this revision get the board and phases a new company starts with.
    stamp = "strftime('%Y-%m-%d %H:%M:%S', 'now')"
    if op.get_bind().dialect.name == "postgresql":
        stamp = "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')"
    op.execute(
        f"INSERT INTO projects_boards (company_id, name, order_nr, is_deleted, add_time, update_time)"
        f" SELECT id, '{BOARD}', 1, false, {stamp}, {stamp} FROM companies ORDER BY id"
    )
    for i, name in enumerate(PHASES, start=1):
        op.execute(
            f"INSERT INTO projects_phases (company_id, board_id, name, order_nr, is_deleted, add_time, update_time)"
            f" SELECT company_id, id, '{name}', {i}, false, add_time, add_time FROM projects_boards ORDER BY id"
        )


def downgrade() -> None:
    op.drop_index("ix_tasks_company_id_project_id_id", table_name="tasks")
    op.drop_table("tasks")
    op.drop_index("ix_projects_plan_company_id_project_id_item_type_item_id", table_name="projects_plan")
    op.drop_table("projects_plan")
    op.drop_index("ix_projects_company_id_phase_id", table_name="projects")
    op.drop_index("ix_projects_company_id_is_deleted_is_archived_id", table_name="projects")
    op.drop_table("projects")
    op.drop_index("ix_projects_phases_company_id_board_id_order_nr", table_name="projects_phases")
    op.drop_table("projects_phases")
    op.drop_index("ix_projects_boards_company_id_is_deleted_order_nr", table_name="projects_boards")
    op.drop_table("projects_boards")
