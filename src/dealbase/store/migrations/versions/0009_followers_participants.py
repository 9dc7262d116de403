"""followers, deal participants and their history

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

FOLLOWED = (("deal", "deals"), ("person", "persons"), ("organization", "organizations"))


def _ref(table: str, column: str, target: str, nullable: bool = False) -> sa.Column:
    """A reference column named as ``store/tables.py``'s naming convention names it."""
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{column}_{target}")
    return sa.Column(column, sa.Integer(), fk, nullable=nullable)


def _id(table: str) -> list:
    return [sa.Column("id", sa.Integer(), nullable=False), sa.PrimaryKeyConstraint("id", name=f"pk_{table}")]


def upgrade() -> None:
    op.create_table(
        "followers",
        *_id("followers"),
        _ref("followers", "company_id", "companies"),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        _ref("followers", "user_id", "users"),
        sa.Column("add_time", sa.String(length=19), nullable=False),
    )
    op.create_index(
        "ix_followers_company_id_object_type_object_id_user_id",
        "followers",
        ["company_id", "object_type", "object_id", "user_id"],
        unique=True,
    )
    op.create_index("ix_followers_company_id_user_id", "followers", ["company_id", "user_id"])
    op.create_table(
        "deal_participants",
        *_id("deal_participants"),
        _ref("deal_participants", "company_id", "companies"),
        _ref("deal_participants", "deal_id", "deals"),
        _ref("deal_participants", "person_id", "persons"),
        _ref("deal_participants", "added_by_user_id", "users", nullable=True),
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("active_flag", sa.Boolean(), server_default="1", nullable=False),
    )
    op.create_index(
        "ix_deal_participants_company_id_deal_id_active_flag_id",
        "deal_participants",
        ["company_id", "deal_id", "active_flag", "id"],
    )
    op.create_index(
        "ix_deal_participants_company_id_person_id_active_flag",
        "deal_participants",
        ["company_id", "person_id", "active_flag"],
    )
    op.create_table(
        "people_changes",
        *_id("people_changes"),
        _ref("people_changes", "company_id", "companies"),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("time", sa.String(length=19), nullable=False),
    )
    op.create_index(
        "ix_people_changes_company_id_kind_object_type_object_id_id",
        "people_changes",
        ["company_id", "kind", "object_type", "object_id", "id"],
    )
    # What 0004's counters already say: a deal's person is its participant, and (as for
    # items made from now on) an item's owner follows it.
    op.execute(
        "INSERT INTO deal_participants (company_id, deal_id, person_id, added_by_user_id, add_time, active_flag) "
        "SELECT company_id, id, person_id, creator_user_id, add_time, true FROM deals WHERE person_id IS NOT NULL"
    )
    op.execute("UPDATE deals SET participants_count = CASE WHEN person_id IS NULL THEN 0 ELSE 1 END")
    for object_type, table in FOLLOWED:
        op.execute(
            "INSERT INTO followers (company_id, object_type, object_id, user_id, add_time) "
            f"SELECT company_id, '{object_type}', id, owner_id, add_time FROM {table}"
        )
        op.execute(f"UPDATE {table} SET followers_count = 1")


def downgrade() -> None:
    for _object_type, table in FOLLOWED:
        op.execute(f"UPDATE {table} SET followers_count = 0")
    op.drop_index("ix_people_changes_company_id_kind_object_type_object_id_id", table_name="people_changes")
    op.drop_table("people_changes")
    op.drop_index("ix_deal_participants_company_id_person_id_active_flag", table_name="deal_participants")
    op.drop_index("ix_deal_participants_company_id_deal_id_active_flag_id", table_name="deal_participants")
    op.drop_table("deal_participants")
    op.drop_index("ix_followers_company_id_user_id", table_name="followers")
    op.drop_index("ix_followers_company_id_object_type_object_id_user_id", table_name="followers")
    op.drop_table("followers")
