"""search words: an index of the words of every search row, for matches at word starts

Revision ID: 0017
Revises: 0016

A search first looks for items in which each word of the term starts a word (the matches it
ranks highest), newest first, and only looks inside words when those are too few. The trigram
index of 0011 answers the second question but not the first quickly: a word found in tens of
thousands of rows made it walk them all, and walk them again for each item type searched.

SQLite: an FTS5 table ``search_words`` (unicode61 words, prefix indexes of 2 and 3
characters) and the trigram table ``search_fts`` made again, both with the item type (and the
words table with the company) as columns, so that one query narrows to them; external content
kept by triggers on ``search_items``. PostgreSQL needs no new index: word starts are a regular
expression the pg_trgm index of 0011 serves.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TEXTS = ("title", "email", "phone", "address", "code", "custom", "notes")


def _fts(name: str, trigger: str, columns: tuple[str, ...], options: str) -> None:
    """An FTS5 table over ``search_items``'s ``columns``, kept by triggers, filled."""
    cols = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE {name} USING fts5({cols}, content='search_items', content_rowid='id', {options})"
    )
    op.execute(
        f"CREATE TRIGGER {trigger}_ai AFTER INSERT ON search_items BEGIN "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(
        f"CREATE TRIGGER {trigger}_ad AFTER DELETE ON search_items BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); END"
    )
    op.execute(
        f"CREATE TRIGGER {trigger}_au AFTER UPDATE ON search_items BEGIN "
        f"INSERT INTO {name}({name}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {name}(rowid, {cols}) VALUES (new.id, {new}); END"
    )
    op.execute(f"INSERT INTO {name}({name}) VALUES ('rebuild')")


def _drop(name: str, trigger: str) -> None:
    for suffix in ("au", "ad", "ai"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {name}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop("search_fts", "search_items")
    _fts("search_fts", "search_items", ("item_type", *TEXTS), "tokenize='trigram'")
    _fts(
        "search_words",
        "search_items_words",
        ("company_id", "item_type", *TEXTS),
        "tokenize='unicode61 remove_diacritics 0', prefix='2 3'",
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop("search_words", "search_items_words")
    _drop("search_fts", "search_items")
    _fts("search_fts", "search_items", TEXTS, "tokenize='trigram'")
