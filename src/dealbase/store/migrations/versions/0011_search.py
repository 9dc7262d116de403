"""search: one row of texts per item, full-text indexes over them, filled from existing rows

Revision ID: 0011
Revises: 0010

SQLite: an FTS5 table with the trigram tokenizer (any part of a word of three or more
characters matches, case-insensitively), external content kept by triggers on
``search_items``. PostgreSQL: the pg_trgm extension and a GIN trigram index over the
lower-cased texts (without the extension, searches still work by scanning).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = ("title", "email", "phone", "address", "code", "custom", "notes")
# Item type → (table, the notes column pointing at it or None).
ITEMS = {
    "deal": ("deals", "deal_id"),
    "person": ("persons", "person_id"),
    "organization": ("organizations", "org_id"),
    "product": ("products", None),
    "lead": ("leads", "lead_id"),
    "file": ("files", None),
}
# Kept equal to ``store/repository.py: _pg_text``: queries must use the indexed expression.
PG_TEXT = "lower(" + " || E'\\n' || ".join(f"coalesce({c}, '')" for c in COLUMNS) + ")"


def _sqlite_fts() -> None:
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE search_fts USING fts5({cols}, content='search_items', content_rowid='id', "
        "tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER search_items_ai AFTER INSERT ON search_items BEGIN "
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER search_items_ad AFTER DELETE ON search_items BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        "CREATE TRIGGER search_items_au AFTER UPDATE ON search_items BEGIN "
        f"INSERT INTO search_fts(search_fts, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO search_fts(rowid, {cols}) VALUES (new.id, {new}); END"
    )


def _pg_trigram() -> None:
    bind = op.get_bind()
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError:
        return  # no extension: searches scan the company's rows instead
    op.execute(f"CREATE INDEX ix_search_items_text_trgm ON search_items USING gin (({PG_TEXT}) gin_trgm_ops)")


def _backfill() -> None:
    from dealbase.domain.search import SEARCHABLE_TYPES, document

    bind = op.get_bind()
    searchable: dict[tuple[int, str], list[str]] = {}
    for company_id, entity_type, key, field_type in bind.execute(
        sa.text("SELECT company_id, entity_type, key, field_type FROM fields WHERE is_deleted = false ORDER BY id")
    ):
        if field_type in SEARCHABLE_TYPES:
            searchable.setdefault((company_id, entity_type), []).append(key)
    fields_of = {"lead": "deal"}
    table = sa.table(
        "search_items",
        sa.column("company_id"),
        sa.column("item_type"),
        sa.column("item_id"),
        sa.column("item_uuid"),
        sa.column("title_key"),
        *[sa.column(c) for c in COLUMNS],
    )
    for item_type, (name, note_column) in ITEMS.items():
        notes: dict[object, list[str]] = {}
        if note_column is not None:
            for parent, content in bind.execute(
                sa.text(f"SELECT {note_column}, content FROM notes WHERE is_deleted = false AND {note_column} IS NOT NULL")
            ):
                notes.setdefault(parent, []).append(content)
        batch = []
        for row in bind.execute(sa.text(f"SELECT * FROM {name} WHERE is_deleted = false")).mappings():
            row = dict(row)
            keys = searchable.get((row["company_id"], fields_of.get(item_type, item_type)), [])
            values = document(item_type, row, notes.get(row["id"], []), keys)
            ids = {"item_uuid": row["id"], "item_id": None} if item_type == "lead" else {"item_id": row["id"], "item_uuid": None}
            batch.append({"company_id": row["company_id"], "item_type": item_type, **ids, **values})
            if len(batch) >= 1000:
                bind.execute(table.insert(), batch)
                batch = []
        if batch:
            bind.execute(table.insert(), batch)


def upgrade() -> None:
    op.create_table(
        "search_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("item_uuid", sa.String(length=36), nullable=True),
        *[sa.Column(c, sa.Text(), nullable=True) for c in ("title", "title_key", *COLUMNS[1:])],
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name="fk_search_items_company_id_companies"),
        sa.PrimaryKeyConstraint("id", name="pk_search_items"),
    )
    op.create_index(
        "ix_search_items_company_id_item_type_item_id", "search_items", ["company_id", "item_type", "item_id"]
    )
    op.create_index(
        "ix_search_items_company_id_item_type_item_uuid", "search_items", ["company_id", "item_type", "item_uuid"]
    )
    op.create_index("ix_search_items_company_id_title_key", "search_items", ["company_id", "title_key"])
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_fts()
    else:
        _pg_trigram()
    _backfill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_items_au", "search_items_ad", "search_items_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_items_text_trgm")
    op.drop_index("ix_search_items_company_id_title_key", table_name="search_items")
    op.drop_index("ix_search_items_company_id_item_type_item_uuid", table_name="search_items")
    op.drop_index("ix_search_items_company_id_item_type_item_id", table_name="search_items")
    op.drop_table("search_items")
