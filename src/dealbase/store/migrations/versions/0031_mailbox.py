"""mailbox: mail threads, their messages and the messages' parties; e-mail counters and times
on deals, persons and organizations; files' mail_message_id (attachments)

Revision ID: 0031
Revises: 0030
"""

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

PARENTS = ("deals", "persons", "organizations")


def _head(table: str) -> list:
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


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean(), server_default="0", nullable=False)


def upgrade() -> None:
    for parent in PARENTS:
        with op.batch_alter_table(parent) as batch:
            batch.add_column(sa.Column("email_messages_count", sa.Integer(), server_default="0", nullable=False))
            batch.add_column(sa.Column("last_incoming_mail_time", sa.String(length=19), nullable=True))
            batch.add_column(sa.Column("last_outgoing_mail_time", sa.String(length=19), nullable=True))

    op.create_table(
        "mail_threads",
        *_head("mail_threads"),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("folder", sa.String(length=8), nullable=False),
        _flag("read_flag"),
        _flag("shared_flag"),
        _flag("archived_flag"),
        _flag("is_deleted"),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column("lead_id", sa.String(length=36), nullable=True),
        sa.Column("message_count", sa.Integer(), server_default="0", nullable=False),
        _flag("has_attachments"),
        sa.Column("first_message_time", sa.String(length=19), nullable=False),
        sa.Column("last_message_time", sa.String(length=19), nullable=False),
        sa.Column("last_sent_time", sa.String(length=19), nullable=True),
        sa.Column("last_received_time", sa.String(length=19), nullable=True),
        *_stamps(),
        _ref("mail_threads", "user_id", "users"),
        _ref("mail_threads", "deal_id", "deals"),
        _ref("mail_threads", "lead_id", "leads"),
    )
    op.create_index(
        "ix_mail_threads_company_id_folder_is_deleted_last_message_time",
        "mail_threads",
        ["company_id", "folder", "is_deleted", "last_message_time"],
    )
    for column in ("user_id", "deal_id", "lead_id"):
        op.create_index(f"ix_mail_threads_{column}", "mail_threads", [column])

    op.create_table(
        "mail_messages",
        *_head("mail_messages"),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("message_key", sa.String(length=255), nullable=True),
        sa.Column("reply_keys", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("snippet", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("sent_flag", sa.Boolean(), nullable=False),
        sa.Column("message_time", sa.String(length=19), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("attachment_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("problems", sa.Text(), nullable=True),
        _flag("is_deleted"),
        *_stamps(),
        _ref("mail_messages", "thread_id", "mail_threads"),
        _ref("mail_messages", "user_id", "users"),
    )
    op.create_index(
        "ix_mail_messages_company_id_thread_id_message_time",
        "mail_messages",
        ["company_id", "thread_id", "message_time"],
    )
    op.create_index("ix_mail_messages_company_id_message_key", "mail_messages", ["company_id", "message_key"])
    for column in ("thread_id", "user_id"):
        op.create_index(f"ix_mail_messages_{column}", "mail_messages", [column])

    op.create_table(
        "mail_parties",
        *_head("mail_parties"),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=4), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("org_id", sa.Integer(), nullable=True),
        _ref("mail_parties", "message_id", "mail_messages"),
        _ref("mail_parties", "person_id", "persons"),
        _ref("mail_parties", "org_id", "organizations"),
    )
    for column in ("message_id", "person_id", "org_id"):
        op.create_index(f"ix_mail_parties_company_id_{column}", "mail_parties", ["company_id", column])
        op.create_index(f"ix_mail_parties_{column}", "mail_parties", [column])

    with op.batch_alter_table("files") as batch:
        batch.add_column(sa.Column("mail_message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_files_mail_message_id_mail_messages", "mail_messages", ["mail_message_id"], ["id"])
    op.create_index("ix_files_mail_message_id", "files", ["mail_message_id"])


def downgrade() -> None:
    op.drop_index("ix_files_mail_message_id", "files")
    with op.batch_alter_table("files") as batch:
        batch.drop_constraint("fk_files_mail_message_id_mail_messages", type_="foreignkey")
        batch.drop_column("mail_message_id")
    op.drop_table("mail_parties")
    op.drop_table("mail_messages")
    op.drop_table("mail_threads")
    for parent in PARENTS:
        with op.batch_alter_table(parent) as batch:
            for column in ("last_outgoing_mail_time", "last_incoming_mail_time", "email_messages_count"):
                batch.drop_column(column)
