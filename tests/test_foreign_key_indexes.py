"""Every foreign key column starts an index, in the tables and in the migrated database:
removing a referenced row (a reset or a restore removes thousands) looks up the rows
pointing at it, and without one both backends scan the referencing table, every company's
rows of it, once per row removed."""

from __future__ import annotations

from sqlalchemy import inspect

from dealbase.store.tables import metadata


def _unindexed(indexes: dict[str, list[list[str]]], foreign_keys: dict[str, list[str]]) -> list[str]:
    return [
        f"{table}.{column}"
        for table, columns in sorted(foreign_keys.items())
        for column in columns
        if column != "company_id" and not any(index[0] == column for index in indexes.get(table, []))
    ]


def test_every_foreign_key_column_leads_an_index_in_the_tables():
    foreign_keys = {t.name: [fk.parent.name for fk in t.foreign_keys] for t in metadata.tables.values()}
    indexes = {
        t.name: [[c.name for c in ix.columns] for ix in t.indexes] + [[c.name for c in t.primary_key.columns]]
        for t in metadata.tables.values()
    }
    assert _unindexed(indexes, foreign_keys) == []
    assert ["deal_id"] in indexes["deal_stage_moves"] and ["person_id"] in indexes["deals"]


def test_every_foreign_key_column_leads_an_index_in_the_migrated_database(engine):
    seen = inspect(engine)
    tables = [t for t in seen.get_table_names() if t in metadata.tables]
    foreign_keys = {t: [fk["constrained_columns"][0] for fk in seen.get_foreign_keys(t)] for t in tables}
    indexes = {
        t: [ix["column_names"] for ix in seen.get_indexes(t)] + [seen.get_pk_constraint(t)["constrained_columns"]]
        for t in tables
    }
    assert sum(len(columns) for columns in foreign_keys.values()) > 40
    assert _unindexed(indexes, foreign_keys) == []
