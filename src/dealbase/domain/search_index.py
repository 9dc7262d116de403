"""Keeps ``search_items`` true in the transaction of every write (the write service's
``reindex``, run by its hooks, registered when the domain is imported).

An item's row is rewritten whenever the item is written (its texts: ``domain/search.py``),
its notes change, or it survives a merge; it is removed when the item is deleted.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import hooks
from dealbase.domain.field_defs import defs
from dealbase.domain.registry import ENTITIES
from dealbase.domain.search import ITEM_TYPES, SEARCHABLE_TYPES, TYPES, document
from dealbase.store import repository as repo
from dealbase.store.tables import notes

# The notes column that points at each item type whose notes are searched.
NOTE_COLUMNS = {t.name: t.notes_column for t in TYPES.values() if t.notes_column}


def searchable_keys(ctx, entity) -> list[str]:
    """The keys of the entity's custom fields whose values are searched."""
    found = defs(ctx, entity)
    return [f.key for f in found.fields if f.field_type in SEARCHABLE_TYPES] if found else []


def reindex(ctx, item_type: str, key: int | str, row: dict[str, Any] | None = None) -> None:
    """Write the item's search texts from its current row (or drop them when it is gone);
    ``row``: that row, when the caller has just read it."""
    entity = ENTITIES[item_type]
    if row is None:
        row = repo.get(ctx.conn, entity.table, ctx.company_id, key)
    if row is None or row.get("is_deleted"):
        repo.search_drop(ctx.conn, ctx.company_id, item_type, key)
        return
    column = NOTE_COLUMNS.get(item_type)
    texts = []
    if column is not None:
        texts = repo.column_values(
            ctx.conn, notes, ctx.company_id, "content", notes.c[column] == key, notes.c.is_deleted.is_(False)
        )
    values = document(item_type, row, texts, searchable_keys(ctx, entity))
    repo.search_put(ctx.conn, ctx.company_id, item_type, key, values)


def _note_parents(row: dict[str, Any] | None) -> set[tuple[str, Any]]:
    if row is None:
        return set()
    return {(t, row[c]) for t, c in NOTE_COLUMNS.items() if row.get(c) is not None}


def _reindex_batched(ctx, items: list[tuple[str, int | str]]) -> None:
    """``reindex`` of several items (item type, key), reading each type's rows and notes
    at once; new search rows are made in the order of ``items``."""
    by_type: dict[str, list[int | str]] = {}
    for item_type, key in items:
        by_type.setdefault(item_type, []).append(key)
    rows, texts, custom_keys = {}, {}, {}
    for item_type, keys in by_type.items():
        entity = ENTITIES[item_type]
        rows[item_type] = repo.get_many(ctx.conn, entity.table, ctx.company_id, keys)
        column = NOTE_COLUMNS.get(item_type)
        texts[item_type] = (
            repo.column_values_by(
                ctx.conn, notes, ctx.company_id, column, keys, "content", notes.c.is_deleted.is_(False)
            )
            if column is not None
            else {}
        )
        custom_keys[item_type] = searchable_keys(ctx, entity)
    put = []
    for item_type, key in items:
        row = rows[item_type].get(key)
        if row is None or row.get("is_deleted"):
            repo.search_drop(ctx.conn, ctx.company_id, item_type, key)
        else:
            put.append(
                (item_type, key, document(item_type, row, texts[item_type].get(key, []), custom_keys[item_type]))
            )
    repo.search_put_many(ctx.conn, ctx.company_id, put)


@hooks.after_write
def item_written(ctx, entity, old, new) -> None:
    if entity.name in ITEM_TYPES:
        items = {(entity.name, new["id"])}
    elif entity.name == "note":
        items = _note_parents(old) | _note_parents(new)
    else:
        return
    if ctx.batch is not None:  # once per item at the batch's end (``service.batch``)
        ctx.batch.add(_reindex_batched, sorted(items, key=str))
    elif entity.name in ITEM_TYPES:
        reindex(ctx, entity.name, new["id"], new)
    else:
        for item_type, key in items:
            reindex(ctx, item_type, key)


@hooks.after_delete
def item_deleted(ctx, entity, old) -> None:
    if ctx.batch is not None and (entity.name in ITEM_TYPES or entity.name == "note"):
        items = {(entity.name, old["id"])} if entity.name in ITEM_TYPES else _note_parents(old)
        ctx.batch.add(_reindex_batched, sorted(items, key=str))
    elif entity.name in ITEM_TYPES:
        repo.search_drop(ctx.conn, ctx.company_id, entity.name, old["id"])
    elif entity.name == "note":
        for item_type, key in _note_parents(old):
            reindex(ctx, item_type, key)


@hooks.on_merge
def item_merged(ctx, name: str, absorbed: int, survivor: int, stamp: str) -> None:
    """The survivor takes the absorbed item's notes and empty fields: its texts change."""
    if name in ITEM_TYPES:
        reindex(ctx, name, survivor)


def field_deleted(ctx, entity_name: str, key: str) -> None:
    """A deleted custom field's values are searched no more: re-index the items of the
    types that use its definitions (leads use the deals'). Rows keep every live field's
    key, so this is every item of those types: a cost paid on the deletion, not on reads."""
    for item_type in ITEM_TYPES:
        target = ENTITIES[item_type]
        if not target.has_custom_fields or target.custom_type != entity_name:
            continue
        for row in repo.rows_mentioning(ctx.conn, target.table, ctx.company_id, "custom_fields", key):
            reindex(ctx, item_type, row["id"], row)
