"""notes, note comments, files and pictures; persons.picture_id

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PINNED = ("deal", "person", "organization", "lead", "project", "task")


def _company() -> sa.Column:
    return sa.Column("company_id", sa.Integer(), nullable=False)


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    ]


def _keys(table: str) -> list:
    return [
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _index(table: str, *columns: str, unique: bool = False) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns), unique=unique)


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), nullable=False),
        _company(),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("last_update_user_id", sa.Integer(), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        *[sa.Column(f"pinned_to_{item}_flag", sa.Boolean(), server_default="0", nullable=False) for item in PINNED],
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        *_keys("notes"),
    )
    _index("notes", "company_id", "is_deleted", "id")
    _index("notes", "company_id", "deal_id", "is_deleted")
    _index("notes", "company_id", "person_id", "is_deleted")
    _index("notes", "company_id", "org_id", "is_deleted")
    _index("notes", "company_id", "lead_id")
    _index("notes", "company_id", "update_time")

    op.create_table(
        "note_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        _company(),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("updater_id", sa.Integer(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        *_keys("note_comments"),
    )
    _index("note_comments", "company_id", "uuid", unique=True)
    _index("note_comments", "company_id", "note_id", "is_deleted", "id")

    op.create_table(
        "files",
        sa.Column("id", sa.Integer(), nullable=False),
        _company(),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("activity_id", sa.Integer(), nullable=True),
        sa.Column("note_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("file_name", sa.String(length=512), nullable=True),
        sa.Column("file_type", sa.String(length=32), nullable=True),
        sa.Column("file_size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("inline_flag", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("remote_location", sa.String(length=32), nullable=True),
        sa.Column("remote_id", sa.String(length=255), nullable=True),
        sa.Column("blob_key", sa.String(length=64), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        *_keys("files"),
    )
    _index("files", "company_id", "is_deleted", "id")
    _index("files", "company_id", "deal_id", "is_deleted")
    _index("files", "company_id", "person_id", "is_deleted")
    _index("files", "company_id", "org_id", "is_deleted")
    _index("files", "company_id", "product_id", "is_deleted")

    op.create_table(
        "pictures",
        sa.Column("id", sa.Integer(), nullable=False),
        _company(),
        sa.Column("item_type", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(length=64), nullable=True),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("file_size", sa.Integer(), server_default="0", nullable=False),
        sa.Column("crop", sa.Text(), nullable=True),
        sa.Column("added_by_user_id", sa.Integer(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        *_keys("pictures"),
    )
    _index("pictures", "company_id", "item_type", "item_id")

    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("picture_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("picture_id")
    for table in ("pictures", "files", "note_comments", "notes"):
        op.drop_table(table)
