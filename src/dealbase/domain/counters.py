"""Counters a deal, person or organization shows for the things around it.

Activities, notes, files, followers, products and participants are other families' rows;
their counts and the next / last activity are stored on the parent (see ``store/tables.py``
``_counters``) so that a list page reads them with the row. Each family registers a
*source* that computes its columns for a set of parents (``source``; ``count_source`` for
a plain count), and calls ``refresh`` in the transaction of every write that can change
them (``refresher`` makes the ``Entity.after_write`` that does it for an entity's rows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table

from dealbase.domain import service
from dealbase.domain.entity import Field
from dealbase.store import repository as repo
from dealbase.store.tables import deals, organizations, persons

Row = dict[str, Any]
PARENTS = {"deal": deals, "person": persons, "organization": organizations}
# The usual columns by which a row points at each parent.
PARENT_COLUMNS = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}

# (conn, company_id, parent name, parent ids) → {parent id: {column: value}}, for every id
# asked (zeros and nulls where there is nothing).
Source = Callable[[Connection, int, str, list[int]], dict[int, dict[str, Any]]]
_SOURCES: dict[str, Source] = {}


def source(name: str) -> Callable[[Source], Source]:
    """Register the function that computes one family's counter columns."""

    def register(fn: Source) -> Source:
        _SOURCES[name] = fn
        return fn

    return register


def refresh(ctx, name: str, parent: str, ids: Iterable[int | None]) -> None:
    """Recompute source ``name``'s columns on the given parents and store what changed.

    Counters are not the parent's own data: writing them changes neither its
    ``update_time`` nor its change history (the write that caused it has its own event).
    """
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return
    if ctx.batch is not None:  # once per parent at the batch's end (``service.batch``)
        ctx.batch.add(_refresh_batched, [(parent, name, i) for i in wanted])
        return
    _store(ctx, parent, {name: wanted})


def _refresh_batched(ctx, keys: list[tuple[str, str, int]]) -> None:
    by_parent: dict[str, dict[str, list[int]]] = {}
    for parent, name, parent_id in keys:
        by_parent.setdefault(parent, {}).setdefault(name, []).append(parent_id)
    for parent, sources in by_parent.items():
        _store(ctx, parent, sources)


def _store(ctx, parent: str, sources: dict[str, list[int]]) -> None:
    """Recompute the named sources' columns on their parents (of one kind); write each
    parent's changed columns at once."""
    values: dict[int, dict[str, Any]] = {}
    for name, ids in sources.items():
        for parent_id, columns in _SOURCES[name](ctx.conn, ctx.company_id, parent, sorted(set(ids))).items():
            values.setdefault(parent_id, {}).update(columns)
    if not values:  # the sources keep nothing on this kind of parent
        return
    table = PARENTS[parent]
    for parent_id, row in repo.get_many(ctx.conn, table, ctx.company_id, values).items():
        changed = {k: v for k, v in values[parent_id].items() if row[k] != v}
        if changed:
            service.change(ctx, table, row, changed)


def count_source(
    name: str, table: Table, counter: str, columns: dict[str, str] = PARENT_COLUMNS, *where: ColumnElement
) -> Source:
    """Register a source that stores one count: ``counter`` on each parent named in ``columns``
    (parent → the column of ``table`` pointing at it) is the number of rows matching ``where``
    that point at it. Parents not in ``columns`` get nothing from it."""

    def count(conn: Connection, company_id: int, parent: str, ids: list[int]) -> dict[int, dict[str, Any]]:
        if parent not in columns:
            return {}
        found = repo.count_by(conn, table, company_id, columns[parent], ids, *where)
        return {i: {counter: found.get(i, 0)} for i in ids}

    return source(name)(count)


def refresher(name: str, columns: dict[str, str] = PARENT_COLUMNS) -> Callable[[Any, Row | None, Row | None], None]:
    """An ``Entity.after_write`` for rows that point at deals, persons and organizations by
    ``columns``: refresh source ``name`` on every parent the row was or is on."""

    def after_write(ctx, old: Row | None, new: Row | None) -> None:
        for parent, column in columns.items():
            refresh(ctx, name, parent, {row[column] for row in (old, new) if row is not None})

    return after_write


def refresh_all(ctx, parent: str, ids: Iterable[int | None]) -> None:
    """Every registered source's columns on the given parents (after links moved onto them:
    a lead's conversion, a merge)."""
    for name in list(_SOURCES):
        refresh(ctx, name, parent, ids)


# (ctx, activity ids) → {id: v1 activity object}: set by the activities family, so that a
# v1 deal or organization can show its next and last activity as objects.
_ACTIVITY_OBJECTS: list[Callable[[Any, list[int]], dict[int, dict[str, Any]]]] = []


def activity_objects(fn: Callable[[Any, list[int]], dict[int, dict[str, Any]]]) -> Callable:
    """Register the renderer of v1 activity objects (one call per page)."""
    _ACTIVITY_OBJECTS[:] = [fn]
    return fn


def fill_activity_objects(ctx, rows, items) -> None:
    """v1 ``next_activity`` / ``last_activity``: the stored ids as objects, read once per page."""
    wanted = sorted({r[k] for r in rows for k in ("next_activity_id", "last_activity_id") if r[k] is not None})
    found = _ACTIVITY_OBJECTS[0](ctx, wanted) if wanted and _ACTIVITY_OBJECTS else {}
    for row, item in zip(rows, items):
        item["next_activity"] = found.get(row["next_activity_id"])
        item["last_activity"] = found.get(row["last_activity_id"])


COUNTS = (
    "activities_count",
    "done_activities_count",
    "undone_activities_count",
    "notes_count",
    "files_count",
    "followers_count",
)


def counter_fields(*, deal: bool = False) -> list[Field]:
    """The stored counters as fields: always in v1, on request (``include_fields``) in v2."""
    counts = COUNTS + (("products_count", "participants_count") if deal else ())
    fields = [Field(name, "int", writable=False, optional=True) for name in counts]
    fields += [
        Field("next_activity_id", "int", writable=False, optional=True),
        Field("last_activity_id", "int", writable=False, optional=True),
        Field("next_activity_date", "date", v2=None, writable=False),
        Field("next_activity_time", "str", v2=None, writable=False),
        Field("last_activity_date", "date", v2=None, writable=False),
    ]
    if deal:
        fields += [
            Field(f"next_activity_{part}", "str", v2=None, writable=False)
            for part in ("subject", "type", "duration", "note")
        ]
        fields.append(Field("source_lead_id", "str", v1=None, writable=False, optional=True))
    return fields
