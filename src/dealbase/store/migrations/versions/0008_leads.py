"""leads, lead labels, lead conversions; change events of UUID ids

Revision ID: 0008
Revises: 0007
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Every company has these labels to start with (as in bootstrap.py, at the time of writing).
DEFAULT_LABELS = (("Hot", "red"), ("Warm", "yellow"), ("Cold", "blue"))


def _stamps() -> list[sa.Column]:
    return [
        sa.Column("add_time", sa.String(length=19), nullable=False),
        sa.Column("update_time", sa.String(length=19), nullable=True),
    ]


def _company() -> sa.Column:
    return sa.Column("company_id", sa.Integer(), nullable=False)


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=f"fk_{table}_company_id_companies")


def upgrade() -> None:
    with op.batch_alter_table("change_events") as batch:
        batch.alter_column("entity_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("entity_uuid", sa.String(length=36), nullable=True))
        batch.create_index(
            "ix_change_events_company_id_entity_entity_uuid_id", ["company_id", "entity", "entity_uuid", "id"]
        )

    op.create_table(
        "lead_labels",
        sa.Column("id", sa.String(length=36), nullable=False),
        _company(),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        _company_fk("lead_labels"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_labels"),
    )
    op.create_index("ix_lead_labels_company_id_is_deleted_id", "lead_labels", ["company_id", "is_deleted", "id"])

    op.create_table(
        "leads",
        sa.Column("id", sa.String(length=36), nullable=False),
        _company(),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("label_ids", sa.Text(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("expected_close_date", sa.String(length=10), nullable=True),
        sa.Column("visible_to", sa.Integer(), server_default="3", nullable=False),
        sa.Column("is_archived", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("was_seen", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("origin", sa.String(length=64), server_default="API", nullable=False),
        sa.Column("origin_id", sa.String(length=255), nullable=True),
        sa.Column("source_name", sa.String(length=64), server_default="API", nullable=False),
        sa.Column("channel", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.String(length=255), nullable=True),
        sa.Column("source_deal_id", sa.Integer(), nullable=True),
        sa.Column("next_activity_id", sa.Integer(), nullable=True),
        sa.Column("custom_fields", sa.Text(), nullable=True),
        sa.Column("custom_fields_version", sa.Integer(), nullable=True),
        sa.Column("is_deleted", sa.Boolean(), server_default="0", nullable=False),
        *_stamps(),
        _company_fk("leads"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_leads_owner_id_users"),
        sa.ForeignKeyConstraint(["creator_id"], ["users.id"], name="fk_leads_creator_id_users"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name="fk_leads_person_id_persons"),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], name="fk_leads_org_id_organizations"),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
    )
    op.create_index(
        "ix_leads_company_id_is_deleted_is_archived_id", "leads", ["company_id", "is_deleted", "is_archived", "id"]
    )
    op.create_index("ix_leads_company_id_person_id", "leads", ["company_id", "person_id"])
    op.create_index("ix_leads_company_id_org_id", "leads", ["company_id", "org_id"])
    op.create_index("ix_leads_company_id_owner_id", "leads", ["company_id", "owner_id"])

    op.create_table(
        "lead_conversions",
        sa.Column("id", sa.String(length=36), nullable=False),
        _company(),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        *_stamps(),
        _company_fk("lead_conversions"),
        sa.PrimaryKeyConstraint("id", name="pk_lead_conversions"),
    )

    # The default labels for the companies that exist already.
    conn = op.get_bind()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    labels = sa.table(
        "lead_labels",
        sa.column("id", sa.String),
        sa.column("company_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("color", sa.String),
        sa.column("add_time", sa.String),
        sa.column("update_time", sa.String),
    )
    rows = [
        {"id": str(uuid.uuid4()), "company_id": cid, "name": name, "color": color, "add_time": stamp, "update_time": stamp}
        for (cid,) in conn.execute(sa.text("SELECT id FROM companies ORDER BY id"))
        for name, color in DEFAULT_LABELS
    ]
    if rows:
        op.bulk_insert(labels, rows)


def downgrade() -> None:
    op.drop_table("lead_conversions")
    op.drop_index("ix_leads_company_id_owner_id", table_name="leads")
    op.drop_index("ix_leads_company_id_org_id", table_name="leads")
    op.drop_index("ix_leads_company_id_person_id", table_name="leads")
    op.drop_index("ix_leads_company_id_is_deleted_is_archived_id", table_name="leads")
    op.drop_table("leads")
    op.drop_index("ix_lead_labels_company_id_is_deleted_id", table_name="lead_labels")
    op.drop_table("lead_labels")
    # Events of UUID ids have no integer id to keep.
    op.execute("DELETE FROM change_events WHERE entity_id IS NULL")
    with op.batch_alter_table("change_events") as batch:
        batch.drop_index("ix_change_events_company_id_entity_entity_uuid_id")
        batch.drop_column("entity_uuid")
        batch.alter_column("entity_id", existing_type=sa.Integer(), nullable=False)
