"""activities

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ADDRESS_PARTS = (
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)
INDEXES = (
    ("company_id", "is_deleted", "id"),
    ("company_id", "owner_id", "id"),
    ("company_id", "deal_id", "is_deleted"),
    ("company_id", "person_id", "is_deleted"),
    ("company_id", "org_id", "is_deleted"),
    ("company_id", "lead_id"),
    ("company_id", "update_time"),
    ("company_id", "due_date"),
)


def _index_name(columns: tuple[str, ...]) -> str:
    return "ix_activities_" + "_".join(columns)


def upgrade() -> None:
    op.create_table(
        "activities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("creator_user_id", sa.Integer(), nullable=True),
        sa.Column("update_user_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.String(length=10), nullable=False),
        sa.Column("due_time", sa.String(length=5), nullable=True),
        sa.Column("duration", sa.String(length=5), nullable=True),
        sa.Column("busy", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("done", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("marked_as_done_time", sa.String(length=19), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("public_description", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=512), nullable=True),
        *[sa.Column(f"location_{part}", sa.String(length=255), nullable=True) for part in ADDRESS_PARTS],
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Text(), nullable=True),
        sa.Column("attendees", sa.Text(), nullable=True),
        sa.Column("conference_meeting_client", sa.String(length=255), nullable=True),
        sa.Column("conference_meeting_url", sa.String(length=1024), nullable=True),
        sa.Column("conference_meeting_id", sa.String(length=255), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_activities_company_id_companies")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_activities_owner_id_users")),
        sa.ForeignKeyConstraint(["creator_user_id"], ["users.id"], name=op.f("fk_activities_creator_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activities")),
    )
    with op.batch_alter_table("activities") as batch:
        for columns in INDEXES:
            batch.create_index(_index_name(columns), list(columns), unique=False)


def downgrade() -> None:
    with op.batch_alter_table("activities") as batch:
        for columns in reversed(INDEXES):
            batch.drop_index(_index_name(columns))
    op.drop_table("activities")
