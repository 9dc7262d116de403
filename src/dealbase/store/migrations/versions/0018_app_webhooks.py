"""app webhooks: a webhook made by an OAuth app belongs to that app

Revision ID: 0018
Revises: 0017

Pipedrive's app-specific webhooks (``type: "application"``) are listed and deleted only by
the app that made them, and go when the user who installed it revokes it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.add_column(sa.Column("app_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_webhooks_app_id_oauth_apps", "oauth_apps", ["app_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("webhooks") as batch:
        batch.drop_constraint("fk_webhooks_app_id_oauth_apps", type_="foreignkey")
        batch.drop_column("app_id")
