"""The write service: every write to the company's rows, below HTTP.

Each operation takes a unit of work (``domain/unit.py``: connection, company, acting user,
clock) and, for ``create`` / ``update``, the parsed input (``Input``); it runs in the
unit's transaction, which its caller owns (commits or rolls back). The API parses a
request into an ``Input`` and presents what these answer; a seed script, an import or the
control plane calls them the same way with a unit of its own (``dealbase/demo.py``).

A write of an entity, in order: references checked and custom values parsed
(``domain/custom_values.py``); the entity's ``rules``; the row; its
``write_children``; the change event; its ``after_write``; the families' hooks
(``domain/hooks.py``). The row primitives at the end (``insert``, ``change``, ``retire``,
``remove``, ``note``, ``relink``) are the one way anything else writes a row:
``tests/test_write_path.py`` fails on a write to the repository, or a change event, made
outside this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Table

from dealbase.domain import custom_values, hooks
from dealbase.domain.entity import Entity
from dealbase.domain.ids import new_uuid
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Deferred, Input, Unit
from dealbase.errors import BadInput
from dealbase.events.changes import record_create, record_delete, record_update
from dealbase.store import repository as repo

Row = dict[str, Any]


def _key(given: Input, entity: Entity, column: str) -> str:
    f = next((f for f in entity.fields if f.column == column), None)
    return (given.key(f.v1, f.v2) if f is not None else None) or column


def check_refs(unit: Unit, entity: Entity, values: Row, given: Input) -> None:
    """Every id a write points at must be a live row of the unit's company.

    List fields (``ids``, ``uuids``) with a ``ref`` point at one row per item.
    """
    for f in entity.fields:
        if f.ref is None or f.column not in values or values[f.column] is None:
            continue
        target = ENTITIES.get(f.ref)
        if target is None:  # an entity of a family not built yet: nothing to check against
            continue
        wanted = orjson.loads(values[f.column]) if f.kind in ("ids", "uuids") else [values[f.column]]
        check_ids(unit, target, wanted, given.key(f.v1, f.v2))


def check_ids(unit: Unit, target: Entity, ids: Sequence[Any], key: str | None) -> None:
    """Each of ``ids`` must be a live row of ``target`` in the unit's company, else a
    refusal naming ``key`` (the caller's key, a custom field, a setting's path)."""
    found = repo.get_many(unit.conn, target.table, unit.company_id, list(dict.fromkeys(ids)))
    for ref_id in ids:
        row = found.get(ref_id)
        alive = row is not None and not row.get("is_deleted") and row.get("active_flag", True)
        if not alive:
            raise BadInput(f"Validation failed: {key}: {target.label} with id {ref_id} not found")


def check_not_null(entity: Entity, values: Row, given: Input) -> None:
    """A null left for a column that cannot hold one, once the entity's rules have filled in
    what a null means to them: a refusal naming the field, not a failed write. Read from the
    table, so no field has to say it again."""
    columns = entity.table.c
    for column, value in values.items():
        if value is None and column in columns and not columns[column].nullable:
            raise BadInput(f"Validation failed: {_key(given, entity, column)}: must not be null")


def load(unit: Unit, entity: Entity, row_id: int | str) -> Row:
    row = repo.get(unit.conn, entity.table, unit.company_id, row_id)
    assert row is not None, f"{entity.name} {row_id} was just written"
    return row


def _ruled(unit: Unit, entity: Entity, old: Row | None, given: Input) -> tuple[Row, str]:
    """The input's values checked and through the entity's rules, and the write's stamp."""
    values = dict(given.values)
    # The order of the refusals: a create names a bad custom value before a bad reference,
    # an update a bad reference first.
    if old is not None:
        check_refs(unit, entity, values, given)
    for target, ref_id, key in custom_values.parse_into(unit, entity, values, old, given):
        check_ids(unit, target, [ref_id], key)
    if old is None:
        check_refs(unit, entity, values, given)
    for refuse in hooks.BEFORE_WRITE:
        refuse(unit, entity, values, old)
    stamp = unit.clock()
    if old is None:
        for fill in hooks.BEFORE_CREATE:
            fill(unit, entity, values)
    if entity.rules is not None:
        values = entity.rules(unit, values, old, stamp, given)
    check_not_null(entity, values, given)
    return values, stamp


def create(unit: Unit, entity: Entity, given: Input) -> Row:
    """Insert a row: references, rules, stamps, children, change event, hooks; the row."""
    values, stamp = _ruled(unit, entity, None, given)
    if entity.id_kind == "uuid":
        values["id"] = new_uuid()
    values.setdefault("add_time", stamp)
    values.setdefault("update_time", values["add_time"])
    row_id = repo.insert_row(unit.conn, entity.table, unit.company_id, values)
    extra = entity.write_children(unit, row_id, None, stamp) if entity.write_children is not None else None
    record_create(unit.conn, unit.company_id, unit.user_id, entity.name, row_id, {**values, **(extra or {})}, stamp)
    row = load(unit, entity, row_id)
    if written(unit, entity, None, row):
        row = load(unit, entity, row_id)
    return row


def update(unit: Unit, entity: Entity, old: Row, given: Input) -> Row:
    """Change a live row by the input: references, rules, children, event, hooks; the row."""
    values, stamp = _ruled(unit, entity, old, given)
    changed = {k: v for k, v in values.items() if old.get(k) != v}
    extra = entity.write_children(unit, old["id"], old, stamp) if entity.write_children is not None else None
    return write_changes(unit, entity, old, changed, stamp, extra)


def write_changes(unit: Unit, entity: Entity, old: Row, changed: Row, stamp: str, extra: Row | None = None) -> Row:
    """Write the changed columns of a row with its change event and hooks; the row after.

    ``extra``: what the entity's children became, for the event."""
    if changed or extra:
        changed["update_time"] = stamp
        repo.update_row(unit.conn, entity.table, unit.company_id, old["id"], changed)
        if changed.get("is_deleted"):  # v1's delete-by-update (deal status "deleted")
            record_delete(unit.conn, unit.company_id, unit.user_id, entity.name, old, stamp)
        else:
            record_update(
                unit.conn, unit.company_id, unit.user_id, entity.name, old, {**changed, **(extra or {})}, stamp
            )
    row = load(unit, entity, old["id"])
    if changed and written(unit, entity, old, None if row.get("is_deleted") else row):
        row = load(unit, entity, old["id"])
    return row


def written(unit: Unit, entity: Entity, old: Row | None, new: Row | None) -> bool:
    """After a write, in its transaction: the entity's own ``after_write`` (``new`` None when
    the row was deleted), then what other families do on it (``domain/hooks.py``: followers,
    participants, search texts). True when anything ran, so the row may have changed."""
    ran = False
    if entity.after_write is not None:
        entity.after_write(unit, old, new)
        ran = True
    if new is not None:
        for hook in hooks.AFTER_WRITE:
            hook(unit, entity, old, new)
            ran = True
    elif old is not None:
        for gone in hooks.AFTER_DELETE:
            gone(unit, entity, old)
    return ran


def delete(unit: Unit, entity: Entity, row: Row, stamp: str | None = None) -> None:
    """Delete a live row (mark it deleted, or remove it where it has no mark), with its event
    and what follows from it."""
    stamp = stamp or unit.clock()
    if entity.before_delete is not None:
        entity.before_delete(unit, row, stamp)
    if "is_deleted" in entity.table.c:
        repo.update_row(unit.conn, entity.table, unit.company_id, row["id"], {"is_deleted": True, "update_time": stamp})
    else:  # a row with no deleted mark (a deal's product, an installment) goes for good
        repo.delete_rows(unit.conn, entity.table, unit.company_id, entity.table.c.id == row["id"])
    record_delete(unit.conn, unit.company_id, unit.user_id, entity.name, row, stamp)
    written(unit, entity, row, None)


def bulk_delete(unit: Unit, entity: Entity, rows: list[Row]) -> None:
    """Delete live rows together, at one stamp; their events say they came from a bulk write."""
    stamp = unit.clock()
    unit.conn.info[repo.BULK] = True
    try:
        for row in rows:
            delete(unit, entity, row, stamp)
    finally:
        unit.conn.info.pop(repo.BULK, None)


@contextmanager
def batch(unit: Unit) -> Iterator[None]:
    """Many writes as one: inside, what the hooks keep derived from rows (the counters of
    deals, persons and organizations; search texts) is marked, and brought up to date once
    per row at the end, from the rows as they are then; the change events are written at
    the end too, in one statement (``repository.changes_held``). The same rows and ids as
    after each write, for a fraction of the statements; everything else is written as
    without it. For writes during which nothing reads those counters, search texts or
    change events (a seed, an import); inside one already, it adds to that one. With an
    error the caller rolls back: nothing is finished."""
    if unit.batch is not None:
        yield
        return
    deferred = unit.batch = Deferred()
    with repo.changes_held(unit.conn):
        try:
            yield
        finally:
            unit.batch = None
        deferred.run(unit)


# -- rows that are no entity of their own, and rows moved in bulk ------------------------


def insert(unit: Unit, table: Table, values: Row, *, event: str | None = None, stamp: str | None = None) -> Any:
    """Insert a row; with ``event`` (the entity name the change events use), its create
    event. Without one only for rows that are part of another's event (a product's prices)
    or derived (stage moves). The new id."""
    row_id = repo.insert_row(unit.conn, table, unit.company_id, values)
    if event is not None:
        record_create(unit.conn, unit.company_id, unit.user_id, event, row_id, values, stamp or unit.clock())
    return row_id


def change(
    unit: Unit, table: Table, old: Row, changed: Row, *, event: str | None = None, stamp: str | None = None
) -> None:
    """Write changed columns of a row; with ``event``, its change event."""
    repo.update_row(unit.conn, table, unit.company_id, old["id"], changed)
    if event is not None:
        record_update(unit.conn, unit.company_id, unit.user_id, event, old, changed, stamp or unit.clock())


def insert_stamped(unit: Unit, table: Table, values: Row, *, event: str) -> Any:
    """Insert a row added and updated now, with its create event. The new id."""
    stamp = unit.clock()
    return insert(unit, table, {**values, "add_time": stamp, "update_time": stamp}, event=event, stamp=stamp)


def change_stamped(unit: Unit, table: Table, old: Row, values: Row, *, event: str) -> None:
    """Write the values that differ from ``old`` (if any), updated now, with their change event."""
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        stamp = unit.clock()
        change(unit, table, old, {**changed, "update_time": stamp}, event=event, stamp=stamp)


def retire(unit: Unit, table: Table, row: Row, *, event: str, stamp: str | None = None, **also: Any) -> None:
    """Mark a row that is no entity of its own deleted (``is_deleted``, setting ``also`` too),
    with its delete event."""
    stamp = stamp or unit.clock()
    changed = {"is_deleted": True, "update_time": stamp, **also}
    repo.update_row(unit.conn, table, unit.company_id, row["id"], changed)
    record_delete(unit.conn, unit.company_id, unit.user_id, event, row, stamp)


def remove(
    unit: Unit,
    table: Table,
    *where: ColumnElement,
    event: str | None = None,
    rows: Sequence[Row] = (),
    stamp: str | None = None,
) -> None:
    """Delete rows for good (those ``where`` selects); with ``event``, a delete event for each
    of ``rows`` (the rows as they were)."""
    repo.delete_rows(unit.conn, table, unit.company_id, *where)
    if event is not None:
        for row in rows:
            record_delete(unit.conn, unit.company_id, unit.user_id, event, row, stamp or unit.clock())


def note(unit: Unit, event: str, row_id: Any, action: str, changes: Row, *, stamp: str | None = None) -> None:
    """A change event with changes the caller worked out, filed under ``row_id``: for rows
    whose events are filed under another's id (a deal's discounts, under the deal)."""
    repo.record_change(unit.conn, unit.company_id, event, row_id, action, unit.user_id, stamp or unit.clock(), changes)


def relink(
    unit: Unit,
    table: Table,
    column: str,
    old_id: Any,
    new_id: Any,
    *,
    event: str | None = None,
    stamp: str | None = None,
    **also: Any,
) -> list[Any]:
    """Point every row whose ``column`` is ``old_id`` at ``new_id`` (setting ``also`` too); with
    ``event``, a change event each. The ids of the rows moved."""
    moved = repo.reassign(unit.conn, table, unit.company_id, column, old_id, new_id, **also)
    if event is not None:
        for row_id in moved:
            old = {"id": row_id, column: old_id}
            record_update(unit.conn, unit.company_id, unit.user_id, event, old, {column: new_id}, stamp or unit.clock())
    return moved
