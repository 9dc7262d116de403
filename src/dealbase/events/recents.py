"""``/v1/recents`` read from the change events: which items changed since a moment.

An item is listed once, at the place of its first change event at or after the moment, so
pages stay where they are while writes go on (a later change of an item already listed
does not move it; new items come at the end).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from dealbase.domain import visibility
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo

Row = dict[str, Any]

# ``items`` values → the entity names their change events are recorded under.
ITEMS = {
    "activity": "activity",
    "activityType": "activity_type",
    "deal": "deal",
    "file": "file",
    "filter": "filter",
    "note": "note",
    "person": "person",
    "organization": "organization",
    "pipeline": "pipeline",
    "product": "product",
    "stage": "stage",
    "user": "user",
    "lead": "lead",
}
NAMES = {entity: item for item, entity in ITEMS.items()}
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z", re.ASCII)


def since(raw: str | None) -> str:
    """The moment asked for, a UTC time as ``YYYY-MM-DD HH:MM:SS``."""
    raw = (raw or "").strip()
    if not raw:
        raise BadInput("Invalid 'since_timestamp' parameter: it is required")
    try:
        if not _STAMP.match(raw):
            raise ValueError(raw)
        datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise BadInput("Invalid 'since_timestamp' parameter: must be a UTC time as YYYY-MM-DD HH:MM:SS") from exc
    return raw


def entities(wanted: list[str] | None) -> list[str]:
    """The entity names of the ``items`` asked for (all built ones when none are)."""
    if not wanted:
        return [name for name in ITEMS.values() if name in ENTITIES]
    unknown = [w for w in wanted if w not in ITEMS]
    if unknown:
        raise BadInput(f"Invalid 'items' parameter: unknown item(s) {', '.join(unknown)}")
    return [ITEMS[w] for w in dict.fromkeys(wanted) if ITEMS[w] in ENTITIES]


def page(unit: Unit, moment: str, names: list[str], start: int, limit: int) -> tuple[list[Row], bool]:
    """Up to ``limit`` items from ``start``, each ``{entity, key, last_time}`` (``key``: its
    id, or UUID), and whether more follow. Items the unit's user may not see are left out
    by the statement itself (``domain/visibility.py``), so pages stay full."""
    if not names:
        return [], False
    seen = {}
    for name in names:
        entity = ENTITIES[name]
        if visibility.governs(entity):
            conditions = visibility.where(unit, entity)
            if conditions:
                seen[name] = (entity.table, conditions)
    rows = repo.recent_items(unit.conn, unit.company_id, moment, names, start, limit + 1, seen)
    items = [{**r, "key": r["entity_uuid"] if r["entity_id"] is None else r["entity_id"]} for r in rows[:limit]]
    return items, len(rows) > limit


def current_rows(unit: Unit, items: list[Row]) -> dict[str, list[Row]]:
    """The rows the items are now, by entity name, read once per entity, in the items' order
    (an item whose row is gone has none)."""
    by_entity: dict[str, list[Any]] = {}
    for item in items:
        by_entity.setdefault(item["entity"], []).append(item["key"])
    out = {}
    for name, keys in by_entity.items():
        rows = repo.get_many(unit.conn, ENTITIES[name].table, unit.company_id, keys)
        out[name] = [rows[k] for k in keys if k in rows]
    return out
