"""The migrations make the schema ``store/tables.py`` declares: every table, column, index and
foreign key (alembic's own comparison), on both backends. Tables the migrations make by hand
(the full-text search tables and their shadows, PostgreSQL's trigram index) are not declared
and are left out."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from dealbase.store.tables import metadata

MADE_BY_HAND = {"ix_search_items_text_trgm"}


def _declared(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and reflected and name not in metadata.tables:
        return not name.startswith("search_")
    return not (type_ == "index" and reflected and name in MADE_BY_HAND)


def test_the_migrated_schema_is_the_declared_one(database_url):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_object": _declared})
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert differences == []
