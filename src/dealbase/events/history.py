"""Change events read back as Pipedrive's field-level history (changelogs and flow).

An event stores ``{column: [old, new]}``; here each column becomes the v1 field key it is
shown under (custom fields: one entry per custom field key whose value changed), values
become text as the changelogs give them, and an item's creation is the change of its
``add_time`` (what Pipedrive's flow shows for a new deal).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from dealbase.domain.entity import Entity

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
