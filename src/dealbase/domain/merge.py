"""Merging two items of an entity, and duplicating one: generic over the registry; write
service operations (``domain/service.py``) taking a unit, bound by ``api/handlers/merge.py``.

Merge (``PUT /v1/{items}/{id}/merge`` with ``merge_with_id``): the path item is absorbed
and deleted, ``merge_with_id`` survives. The survivor's values win; its empty fields are
filled from the absorbed item (a value stored in parts, like an address, as a whole;
custom fields one by one; list values such as a person's e-mails and phones combined).
Every row of every declared entity whose reference field (``Field.ref``) points at the
absorbed item is moved to the survivor, and the families' merge hooks
(``domain/hooks.py``: followers, participants, …) move the rest.
The survivor's stored counters are then recomputed from every registered source.

Duplicate (``POST /v1/deals/{id}/duplicate``): a new item with the original's writable
fields and custom values, made by the caller now; the families' duplicate hooks copy
what goes along (followers, participants).
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain import counters, hooks, service, visibility
from dealbase.domain.entity import Entity
from dealbase.domain.field_defs import defs
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput
from dealbase.events import outbox
from dealbase.store import repository as repo

Row = dict[str, Any]

# Not filled: parts a rule derives from another field (a person's name), and values that
# belong to the survivor's own state (a deal's lost reason; times and flags, below).
NOT_FILLED = frozenset({"first_name", "last_name", "lost_reason"})
NOT_FILLED_KINDS = frozenset({"time", "bool", "json"})  # json lists are combined instead
EMPTY = (None, "", "[]")


def _combined(kept: str | None, extra: str | None) -> str | None:
    """Two stored JSON lists of ``{value, …}`` as one: the survivor's first, each value once."""
    first = orjson.loads(kept) if kept else []
    second = orjson.loads(extra) if extra else []
    if not isinstance(first, list) or not isinstance(second, list):
        return kept
    seen = {item.get("value") for item in first if isinstance(item, dict)}
    for item in second:
        if isinstance(item, dict) and item.get("value") not in seen:
            first.append({**item, "primary": False} if "primary" in item and first else item)
            seen.add(item.get("value"))
    return orjson.dumps(first).decode() if first else kept


def _fill_groups(entity: Entity) -> list[tuple[str, ...]]:
    """The columns a merge fills, alone or as a group filled together.

    A writable field's column is filled alone; a column with parts stored beside it
    (``address`` and ``address_locality``…) is filled with its parts, as one value.
    """
    columns = [str(c) for c in entity.table.c.keys()]
    groups = []
    for f in entity.fields:
        col = f.column
        if col is None or col not in entity.table.c or f.name in NOT_FILLED or f.kind in NOT_FILLED_KINDS:
            continue
        parts = tuple(c for c in columns if c.startswith(f"{col}_") and c not in {x.column for x in entity.fields})
        if parts:
            groups.append((col, *parts))
        elif f.writable:
            groups.append((col,))
    return groups


def filled(unit: Unit, entity: Entity, survivor: Row, absorbed: Row) -> dict[str, Any]:
    """The survivor's changed columns: its empty fields filled from the absorbed item."""
    changed: dict[str, Any] = {}
    for f in entity.fields:
        if f.kind == "json" and f.column in survivor:
            value = _combined(survivor[f.column], absorbed[f.column])
            if value != survivor[f.column]:
                changed[f.column] = value
    for group in _fill_groups(entity):
        if all(survivor[c] in EMPTY for c in group) and any(absorbed[c] not in EMPTY for c in group):
            changed.update({c: absorbed[c] for c in group})
    found = defs(unit, entity) if entity.has_custom_fields else None
    if found:
        kept = orjson.loads(survivor["custom_fields"]) if survivor.get("custom_fields") else {}
        other = orjson.loads(absorbed["custom_fields"]) if absorbed.get("custom_fields") else {}
        merged = {f.key: kept.get(f.key) if kept.get(f.key) is not None else other.get(f.key) for f in found.fields}
        if merged != {f.key: kept.get(f.key) for f in found.fields}:
            changed["custom_fields"] = orjson.dumps(merged).decode()
            changed["custom_fields_version"] = found.version
    return changed


def move_references(unit: Unit, entity: Entity, absorbed: int, survivor: int, stamp: str) -> None:
    """Every declared entity's rows that point at ``absorbed`` point at ``survivor``."""
    done: set[tuple[str, str]] = set()
    for other in list(ENTITIES.values()):
        for f in other.fields:
            if f.ref != entity.name or not f.column or (other.table.name, f.column) in done:
                continue
            done.add((other.table.name, f.column))
            if f.kind == "ids":  # a JSON id list (a project's deals): the survivor once in place of the absorbed
                for row in repo.rows_listing(unit.conn, other.table, unit.company_id, f.column, absorbed):
                    ids = orjson.loads(row[f.column])
                    moved = list(dict.fromkeys(survivor if i == absorbed else i for i in ids))
                    changed = {f.column: orjson.dumps(moved).decode(), "update_time": stamp}
                    service.change(unit, other.table, row, changed, event=other.name, stamp=stamp)
                continue
            also = {"update_time": stamp} if "update_time" in other.table.c else {}
            service.relink(unit, other.table, f.column, absorbed, survivor, event=other.name, stamp=stamp, **also)


def merge(unit: Unit, entity: Entity, absorbed: Row, survivor: Row) -> Row:
    """Absorb one live row of ``entity`` into another (``survivor``); the survivor after."""
    stamp = unit.clock()
    with outbox.merging(unit.conn, entity.name, absorbed["id"], survivor["id"]):
        changed = filled(unit, entity, survivor, absorbed)
        changed["update_time"] = stamp
        service.change(unit, entity.table, survivor, changed, event=entity.name, stamp=stamp)
        move_references(unit, entity, absorbed["id"], survivor["id"], stamp)
        for hook in hooks.ON_MERGE:
            hook(unit, entity.name, absorbed["id"], survivor["id"], stamp)
        service.delete(unit, entity, absorbed, stamp)
    if entity.name in counters.PARENTS:
        counters.refresh_all(unit, entity.name, [survivor["id"], absorbed["id"]])
    return service.load(unit, entity, survivor["id"])


def merge_with(unit: Unit, entity: Entity, absorbed: Row, survivor_id: int) -> Row:
    """Absorb a live row into the one ``survivor_id`` names (``merge_with_id``): refused for
    the row itself, or an id that is no live row of the entity the user sees."""
    if survivor_id == absorbed["id"]:
        raise BadInput(f"Validation failed: merge_with_id: a {entity.name} cannot be merged with itself")
    table = entity.table
    survivor = repo.first(unit.conn, table, unit.company_id, table.c.id == survivor_id, *visibility.where(unit, entity))
    if survivor is None or survivor.get("is_deleted"):
        raise BadInput(f"Validation failed: merge_with_id: {entity.label} with id {survivor_id} not found")
    return merge(unit, entity, absorbed, survivor)


def duplicate(unit: Unit, entity: Entity, original: Row) -> Row:
    """A copy of a live row, made now by the unit's user, with what goes along; the copy."""
    stamp = unit.clock()
    values = {f.column: original[f.column] for f in entity.fields if f.writable and f.column and f.column in original}
    for column in ("custom_fields", "custom_fields_version", "first_won_time"):
        if column in original:
            values[column] = original[column]
    values.update(add_time=stamp, update_time=stamp)
    if "creator_user_id" in entity.table.c:
        values["creator_user_id"] = unit.user_id
    if "origin" in entity.table.c:
        values["origin"] = "API"
    row_id = service.insert(unit, entity.table, values, event=entity.name, stamp=stamp)
    service.written(unit, entity, None, service.load(unit, entity, row_id))
    for hook in hooks.ON_DUPLICATE:
        hook(unit, entity.name, original["id"], row_id, stamp)
    return service.load(unit, entity, row_id)
