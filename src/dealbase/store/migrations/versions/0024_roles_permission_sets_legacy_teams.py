"""roles, their assignments and hidden pipelines, permission set assignments, legacy teams

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def _company(table: str) -> list:
    return [
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
        "roles",
        _id(),
        *_company("roles"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("parent_role_id", sa.Integer(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *[
            sa.Column(f"{item}_default_visibility", sa.Integer(), nullable=True)
            for item in ("deal", "lead", "org", "person", "product")
        ],
        *_stamps(),
    )
    op.create_index("ix_roles_company_id_is_deleted_id", "roles", ["company_id", "is_deleted", "id"])

    op.create_table(
        "role_assignments",
        _id(),
        *_company("role_assignments"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        _ref("role_assignments", "user_id", "users"),
        _ref("role_assignments", "role_id", "roles"),
    )
    op.create_index(
        "ix_role_assignments_company_id_user_id", "role_assignments", ["company_id", "user_id"], unique=True
    )
    op.create_index("ix_role_assignments_company_id_role_id", "role_assignments", ["company_id", "role_id"])

    op.create_table(
        "role_hidden_pipelines",
        _id(),
        *_company("role_hidden_pipelines"),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        _ref("role_hidden_pipelines", "role_id", "roles"),
        _ref("role_hidden_pipelines", "pipeline_id", "pipelines"),
    )
    op.create_index(
        "ix_role_hidden_pipelines_company_id_role_id_pipeline_id",
        "role_hidden_pipelines",
        ["company_id", "role_id", "pipeline_id"],
        unique=True,
    )

    op.create_table(
        "permission_set_assignments",
        _id(),
        *_company("permission_set_assignments"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("app", sa.String(length=32), nullable=False),
        sa.Column("permission_set_id", sa.String(length=36), nullable=False),
        _ref("permission_set_assignments", "user_id", "users"),
    )
    op.create_index(
        "ix_permission_set_assignments_company_id_user_id_app",
        "permission_set_assignments",
        ["company_id", "user_id", "app"],
        unique=True,
    )
    op.create_index(
        "ix_permission_set_assignments_company_id_permission_set_id",
        "permission_set_assignments",
        ["company_id", "permission_set_id"],
    )

    op.create_table(
        "legacy_teams",
        _id(),
        *_company("legacy_teams"),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("active_flag", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        _ref("legacy_teams", "manager_id", "users"),
        _ref("legacy_teams", "created_by_user_id", "users"),
    )
    op.create_index("ix_legacy_teams_company_id_is_deleted_id", "legacy_teams", ["company_id", "is_deleted", "id"])

    op.create_table(
        "legacy_team_users",
        _id(),
        *_company("legacy_team_users"),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        _ref("legacy_team_users", "team_id", "legacy_teams"),
        _ref("legacy_team_users", "user_id", "users"),
    )
    op.create_index(
        "ix_legacy_team_users_company_id_team_id_user_id",
        "legacy_team_users",
        ["company_id", "team_id", "user_id"],
        unique=True,
    )
    op.create_index("ix_legacy_team_users_company_id_user_id", "legacy_team_users", ["company_id", "user_id"])


def downgrade() -> None:
    for table in (
        "legacy_team_users",
        "legacy_teams",
        "permission_set_assignments",
        "role_hidden_pipelines",
        "role_assignments",
        "roles",
    ):
        op.drop_table(table)
