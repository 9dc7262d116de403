"""company mail names: each company's Smart BCC address, <mail_name>@<DEALBASE_SMTP_DOMAIN>

Revision ID: 0032
Revises: 0031

The local part of a company's Smart BCC address, unique so that a message's envelope recipient
names one company. Pipedrive builds the address from the company's domain; so does this: the
domain made fit for an address, with ``-<id>`` after it where an earlier company has it already.
The rule is frozen here as it was written (``store/companies.py: mail_name_for`` makes new ones).
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def _base(domain: str) -> str:
    return re.sub(r"[^a-z0-9_.-]+", "-", (domain or "").lower()).strip("-.")[:40] or "company"


def upgrade() -> None:
    with op.batch_alter_table("companies") as batch:
        batch.add_column(sa.Column("mail_name", sa.String(length=64), nullable=True))
    conn = op.get_bind()
    companies = sa.table("companies", sa.column("id", sa.Integer), sa.column("domain"), sa.column("mail_name"))
    taken: set[str] = set()
    for company_id, domain in conn.execute(sa.select(companies.c.id, companies.c.domain).order_by(companies.c.id)):
        name = _base(domain)
        if name in taken:
            name = f"{name}-{company_id}"
        taken.add(name)
        conn.execute(sa.update(companies).where(companies.c.id == company_id).values(mail_name=name))
    op.create_index("ix_companies_mail_name", "companies", ["mail_name"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_companies_mail_name", table_name="companies")
    with op.batch_alter_table("companies") as batch:
        batch.drop_column("mail_name")
