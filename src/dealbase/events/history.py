"""Change events read back as Pipedrive's history of an item: the v1 changelogs, the flow
(the item's changes beside its activities, notes and files) and the v2 changelog.

An event stores ``{column: [old, new]}``; for v1 each column becomes the v1 field key it is
shown under (custom fields: one entry per custom field key whose value changed), values
become text as the changelogs give them, and an item's creation is the change of its
``add_time`` (what Pipedrive's flow shows for a new deal). v2 keeps the values typed, under
the v2 keys. Pages are placed by event id (and, in v1, the entry within the event), so they
never overlap or skip while writes go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import orjson

from dealbase.clock import to_v2
from dealbase.domain import visibility
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.entity import Entity
from dealbase.domain.files import FILE
from dealbase.domain.notes import NOTE
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo

Row = dict[str, Any]
# A flow entry: (timestamp, object name, v1 data).
FlowEntry = tuple[Any, str, dict[str, Any]]

# Columns that are bookkeeping, never shown as a change.
_HIDDEN = {"id", "update_time", "company_id", "custom_fields_version"}
# Ids of flow entries: an event's id times this, plus the entry's place in the event.
ENTRY_SPAN = 1000


def text(value: Any) -> str | None:
    """A changed value as the changelogs show it: text, or null."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return orjson.dumps(value).decode()
    return str(value)


@cache  # an entity's declaration does not change; a changelog page asks once per event
def _keys(entity: Entity) -> dict[str, str]:
    keys = {f.column: f.v1 for f in entity.fields if f.column and f.v1}
    # A delete: deals show it as ``deleted``, the others as ``active_flag`` going false.
    keys.setdefault("is_deleted", "deleted" if entity.name == "deal" else "active_flag")
    return keys


def custom_changes(old: Any, new: Any) -> list[tuple[str, Any, Any]]:
    """The custom field keys whose values differ between two custom_fields values, with both."""

    def as_dict(value: Any) -> dict[str, Any]:
        if isinstance(value, str):
            try:
                value = orjson.loads(value)
            except orjson.JSONDecodeError:
                return {}
        return value if isinstance(value, dict) else {}

    before, after = as_dict(old), as_dict(new)
    return [(k, before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)]


def field_changes(entity: Entity, event: dict[str, Any], *, custom: bool = True) -> list[dict[str, Any]]:
    """One ``{field_key, old_value, new_value, custom}`` per field the event changed."""
    if event["action"] == "create":
        row_time = event["time"]
        return [{"field_key": "add_time", "old_value": None, "new_value": row_time, "custom": False}]
    changes = orjson.loads(event["changes"]) if event["changes"] else {}
    keys = _keys(entity)
    out: list[dict[str, Any]] = []
    for column, pair in changes.items():
        if column in _HIDDEN or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = pair
        if column == "custom_fields":
            if custom:
                out.extend(
                    {"field_key": k, "old_value": text(o), "new_value": text(n), "custom": True}
                    for k, o, n in custom_changes(old, new)
                )
            continue
        key = keys.get(column)
        if key is None:
            continue
        if column == "is_deleted" and key == "active_flag":
            old, new = (None if old is None else not old), (None if new is None else not new)
        out.append({"field_key": key, "old_value": text(old), "new_value": text(new), "custom": False})
    return out


def changelog_entry(change: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    return {
        "field_key": change["field_key"],
        "old_value": change["old_value"],
        "new_value": change["new_value"],
        "actor_user_id": event["user_id"],
        "time": event["time"],
        "change_source": event["change_source"],
        "change_source_user_agent": event.get("change_source_user_agent"),
        "is_bulk_update_flag": bool(event.get("is_bulk_update")),
    }


# -- v1 changelogs ---------------------------------------------------------------------


def v1_changelog(
    unit: Unit, entity: Entity, item_id: int, limit: int, start: tuple[int, int] | None
) -> tuple[list[Row], tuple[int, int] | None]:
    """Up to ``limit`` field changes of the item, newest first, from ``start`` (an event id
    and the place of the first entry to give within it); with the place after the page
    when more follow."""
    before = start[0] + 1 if start else None  # the start event is read again, past its first entries
    data: list[Row] = []
    for event in repo.item_events(unit.conn, unit.company_id, entity.name, item_id, before=before):
        if event["action"] == "create":
            continue
        changes = field_changes(entity, event)
        first = start[1] if start and event["id"] == start[0] else 0
        for index in range(first, len(changes)):
            if len(data) == limit:
                return data, (event["id"], index)
            data.append(changelog_entry(changes[index], event))
    return data, None


# -- flow ------------------------------------------------------------------------------

# The column of activities, notes and files that points at each entity with a flow.
FLOW_LINK = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}
FLOW_ATTACHED = (ACTIVITY, NOTE, FILE)


def flow_changes(unit: Unit, entity: Entity, item_id: int, *, custom: bool) -> list[FlowEntry]:
    """The item's own changes as flow entries (``custom``: custom field changes too)."""
    out: list[FlowEntry] = []
    for event in repo.item_events(unit.conn, unit.company_id, entity.name, item_id):
        for index, change in enumerate(field_changes(entity, event, custom=custom)):
            data = {
                "id": event["id"] * ENTRY_SPAN + index,
                "item_id": item_id,
                "user_id": event["user_id"],
                "field_key": change["field_key"],
                "old_value": change["old_value"],
                "new_value": change["new_value"],
                "is_bulk_update_flag": bool(event.get("is_bulk_update")),
                "log_time": event["time"],
                "change_source": event["change_source"],
                "change_source_user_agent": event.get("change_source_user_agent"),
                "additional_data": None,
            }
            out.append((event["time"], f"{entity.name}Change", data))
    return out


def flow_attached(unit: Unit, entity: Entity, item_id: int) -> list[tuple[Entity, list[Row]]]:
    """The live activities, notes and files of the item the unit's user sees (each linked
    item seen: ``domain/visibility.py``), by kind, oldest first."""
    column = FLOW_LINK[entity.name]
    out = []
    for kind in FLOW_ATTACHED:
        t = kind.table
        where = (t.c[column] == item_id, t.c.is_deleted.is_(False), *visibility.where(unit, kind))
        out.append((kind, repo.all_rows(unit.conn, t, unit.company_id, *where, order_by=[t.c.id])))
    return out


def flow_place(kind: Entity, row: Row) -> tuple[Any, str]:
    """When an attached row stands in the flow, and as what: a done activity at its done
    time, a planned one at its creation."""
    if kind is ACTIVITY:
        done = bool(row["done"])
        return (row["marked_as_done_time"] if done else None) or row["add_time"], (
            "activity" if done else "plannedActivity"
        )
    return row["add_time"], kind.name


def flow_page(
    entries: list[FlowEntry], wanted: Iterable[str] | None, start: int, limit: int
) -> tuple[list[FlowEntry], bool]:
    """The entries of the kinds ``wanted`` (``change``: the item's own changes of every
    kind), newest first, from ``start``; and whether more follow."""
    if wanted:
        entries = [e for e in entries if e[1] in wanted or ("change" in wanted and e[1].endswith("Change"))]
    # Newest first; at the same second, the later write (higher id) first.
    entries.sort(key=lambda e: (e[0] or "", e[2].get("id") if isinstance(e[2].get("id"), int) else 0), reverse=True)
    page = entries[start : start + limit + 1]
    return page[:limit], len(page) > limit


# -- v2 changelog ----------------------------------------------------------------------


def _v2_value(kind: str, value: Any) -> Any:
    if kind in ("ids", "uuids", "json", "money") and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if kind == "time":
        return to_v2(value)
    if kind == "bool" and value is not None:
        return bool(value)
    return value


def _v2_entry(fields: dict[str, Any], event: Row) -> Row | None:
    """An event as v2's old and new values under v2 keys (custom fields under
    ``custom_fields``); None when it changed nothing v2 shows."""
    old_values: dict[str, Any] = {}
    new_values: dict[str, Any] = {}
    changes = orjson.loads(event["changes"]) if event["changes"] else {}
    for column, pair in changes.items():
        if not isinstance(pair, list) or len(pair) != 2:
            continue
        if column == "custom_fields":
            for key, old, new in custom_changes(pair[0], pair[1]):
                old_values.setdefault("custom_fields", {})[key] = old
                new_values.setdefault("custom_fields", {})[key] = new
            continue
        f = fields.get(column)
        if f is None or column in ("id", "update_time"):
            continue
        old_values[f.v2] = _v2_value(f.kind, pair[0])
        new_values[f.v2] = _v2_value(f.kind, pair[1])
    if not new_values:
        return None
    return {
        "time": to_v2(event["time"]),
        "actor_user_id": event["user_id"],
        "change_source": event["change_source"],
        "change_source_user_agent": event.get("change_source_user_agent"),
        "old_values": old_values,
        "new_values": new_values,
    }


def v2_changelog(
    unit: Unit, entity: Entity, item_id: Any, limit: int, before: int | None
) -> tuple[list[Row], int | None]:
    """Up to ``limit`` changes of the item, newest first, from events older than ``before``;
    with the last event given when more follow."""
    fields = {f.column: f for f in entity.fields if f.column and f.v2}
    data: list[Row] = []
    last = None
    for event in repo.item_events(unit.conn, unit.company_id, entity.name, item_id, before=before):
        if event["action"] == "create":
            continue
        entry = _v2_entry(fields, event)
        if entry is None:
            continue
        if len(data) == limit:
            return data, last
        data.append(entry)
        last = event["id"]
    return data, None
