"""search: one row of texts per item, full-text indexes over them, filled from existing rows

Revision ID: 0011
Revises: 0010

SQLite: an FTS5 table with the trigram tokenizer (any part of a word of three or more
characters matches, case-insensitively), external content kept by triggers on
``search_items``. PostgreSQL: the pg_trgm extension and a GIN trigram index over the
lower-cased texts (without the extension, searches still work by scanning).
"""

import re
from typing import Any

import orjson
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


# -- what the backfill needs of ``domain/search.py``, frozen as it was when this migration
# was written: a migration keeps producing what it produced then, whatever the live code becomes

# Custom field types whose values are searched.
SEARCHABLE_TYPES = ("address", "varchar", "text", "varchar_auto", "double", "monetary", "phone")

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


def normalize(term: str) -> str:
    """The term as matched: lower-cased, runs of white space (and NULs) as one space, trimmed."""
    return _SPACE.sub(" ", term.replace("\x00", " ")).strip().lower()


def plain(html: str | None) -> str:
    """A note's text: its HTML without tags, on one line."""
    if not html:
        return ""
    text = _TAG.sub(" ", html)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


def _lines(values: list[str]) -> str | None:
    kept = [_SPACE.sub(" ", v).strip() for v in values if v is not None]
    kept = [v for v in kept if v]
    return "\n".join(kept) if kept else None


def _contacts(stored: str | None) -> list[str]:
    return [c["value"] for c in orjson.loads(stored)] if stored else []


def custom_text(value: Any) -> str | None:
    """A searchable custom value as text (a monetary or address value: its ``value``)."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def document(item_type: str, row: dict[str, Any], notes: list[str], custom_keys: list[str]) -> dict[str, Any]:
    """The ``search_items`` texts of one live item. ``notes``: its notes' HTML;
    ``custom_keys``: the keys of its type's searchable custom fields."""
    values: dict[str, Any] = {"email": None, "phone": None, "address": None, "code": None}
    if item_type in ("deal", "lead"):
        title = row["title"]
    elif item_type == "file":
        title = row.get("name") or row.get("file_name")
    else:
        title = row["name"]
    if item_type == "person":
        values["email"] = _lines(_contacts(row.get("emails")))
        values["phone"] = _lines(_contacts(row.get("phones")))
    elif item_type == "organization":
        values["address"] = _lines([row.get("address")])
    elif item_type == "product":
        values["code"] = _lines([row.get("code")])
    custom = orjson.loads(row["custom_fields"]) if row.get("custom_fields") else {}
    values["custom"] = _lines([custom_text(custom.get(key)) for key in custom_keys])
    values["notes"] = _lines([plain(n) for n in notes])
    values["title"] = title
    values["title_key"] = normalize(title)[:1000] if title else None
    return values


def _backfill() -> None:
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
