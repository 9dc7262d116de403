"""company ids never come again on SQLite: the companies table AUTOINCREMENT there

Revision ID: 0025
Revises: 0024

SQLite gives a new row the largest id + 1, so a company made after the newest one was
deleted (``DELETE /_dealbase/companies/{id}``) took that company's id, and with it what
the process keeps per company id: its request journal, its cached field definitions (same
``fields_version``), its rate limit budget. AUTOINCREMENT keeps the largest id ever given
in ``sqlite_sequence``. On PostgreSQL a sequence never goes back: nothing to do. The table
is copied (SQLite cannot add AUTOINCREMENT in place); every column is copied as it is.
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def _recreate(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("companies", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _recreate(True)


def downgrade() -> None:
    _recreate(False)
