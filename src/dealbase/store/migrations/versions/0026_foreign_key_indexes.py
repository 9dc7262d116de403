"""foreign key indexes: an index on every foreign key column no index started with

Revision ID: 0026
Revises: 0025

Removing a referenced row (a reset or a restore removes thousands, a company's delete all)
makes the database look for rows pointing at it: SQLite and PostgreSQL alike, without an index
starting with the referencing column, scan that table, every company's rows of it, once per
row removed. The indexes ``tables.py`` adds in ``_index_foreign_keys``.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

FOREIGN_KEYS = (
    ("activities", "creator_user_id"),
    ("activities", "owner_id"),
    ("api_tokens", "user_id"),
    ("filters", "user_id"),
    ("followers", "user_id"),
    ("goals", "owner_id"),
    ("oauth_codes", "app_id"),
    ("oauth_codes", "user_id"),
    ("oauth_grants", "app_id"),
    ("oauth_grants", "user_id"),
    ("organizations", "owner_id"),
    ("products", "owner_id"),
    ("projects_phases", "board_id"),
    ("webhooks", "app_id"),
    ("webhooks", "owner_id"),
    ("webhooks", "user_id"),
    ("persons", "org_id"),
    ("persons", "owner_id"),
    ("product_images", "product_id"),
    ("product_variations", "product_id"),
    ("projects", "board_id"),
    ("projects", "owner_id"),
    ("projects", "phase_id"),
    ("deals", "creator_user_id"),
    ("deals", "org_id"),
    ("deals", "owner_id"),
    ("deals", "person_id"),
    ("deals", "pipeline_id"),
    ("deals", "stage_id"),
    ("leads", "creator_id"),
    ("leads", "org_id"),
    ("leads", "owner_id"),
    ("leads", "person_id"),
    ("product_prices", "product_id"),
    ("product_prices", "variation_id"),
    ("projects_plan", "project_id"),
    ("tasks", "creator_id"),
    ("tasks", "project_id"),
    ("deal_discounts", "deal_id"),
    ("deal_installments", "deal_id"),
    ("deal_participants", "added_by_user_id"),
    ("deal_participants", "deal_id"),
    ("deal_participants", "person_id"),
    ("deal_products", "deal_id"),
    ("deal_products", "product_id"),
    ("deal_stage_moves", "deal_id"),
    ("role_assignments", "role_id"),
    ("role_assignments", "user_id"),
    ("role_hidden_pipelines", "pipeline_id"),
    ("role_hidden_pipelines", "role_id"),
    ("permission_set_assignments", "user_id"),
    ("legacy_teams", "created_by_user_id"),
    ("legacy_teams", "manager_id"),
    ("legacy_team_users", "team_id"),
    ("legacy_team_users", "user_id"),
)


def upgrade() -> None:
    for table, column in FOREIGN_KEYS:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in reversed(FOREIGN_KEYS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
