"""Lead ↔ deal conversion (a write service operation), and the rows linked to a lead or a
deal, moved from one to the other when it is converted.

Every registered entity whose table has both a ``lead_id`` and a ``deal_id`` column
(activities, notes, files, …) takes part: no family has to be named here. Each moved row
records its change event; the counters of the deals involved are refreshed.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import counters, hooks, service
from dealbase.domain.entity import Entity
from dealbase.domain.ids import new_uuid
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Input, Unit
from dealbase.store import repository as repo
from dealbase.store.tables import lead_conversions

LINKS = ("lead_id", "deal_id")


def linked_entities() -> list[Entity]:
    """The registered entities a row of which can belong to a lead or to a deal."""
    return [e for e in ENTITIES.values() if all(c in e.table.c for c in LINKS)]


def move(unit: Unit, source: str, source_id: int | str, target: str, target_id: int | str, stamp: str) -> int:
    """Relink every row of the unit's company from ``source`` (``lead_id`` / ``deal_id``)
    ``source_id`` to ``target`` ``target_id``; answers how many rows moved."""
    moved = 0
    for entity in linked_entities():
        rows = repo.rows_where(unit.conn, entity.table, unit.company_id, source, source_id)
        changed = {source: None, target: target_id}
        if "update_time" in entity.table.c:
            changed["update_time"] = stamp
        for row in rows:
            service.change(unit, entity.table, row, changed, event=entity.name, stamp=stamp)
            for hook in hooks.AFTER_WRITE:  # what other families keep about it (search texts)
                hook(unit, entity, row, {**row, **changed})
            moved += 1
    if moved:
        deals = [i for column, i in ((source, source_id), (target, target_id)) if column == "deal_id"]
        counters.refresh_all(unit, "deal", deals)
    return moved


def convert(
    unit: Unit, source_entity: Entity, source: dict[str, Any], target_entity: Entity, values: dict[str, Any]
) -> str:
    """A lead becomes a deal or back: a new row of ``target_entity`` made of ``values``
    (through its rules, as a v2 create), the rows linked to ``source`` moved to it, and
    ``source`` deleted. A job row (``lead_conversions``) records it; it runs at once, so
    its status is "completed" when this answers its id."""
    source_key, target_key = f"{source_entity.name}_id", f"{target_entity.name}_id"
    stamp = unit.clock()
    job = {"id": new_uuid(), "kind": f"{source_entity.name}_to_{target_entity.name}", "status": "running"}
    job.update(add_time=stamp, update_time=stamp, **{source_key: source["id"]})
    service.insert(unit, lead_conversions, job)
    made = service.create(unit, target_entity, Input(values))
    stamp = unit.clock()
    move(unit, source_key, source["id"], target_key, made["id"], stamp)
    service.delete(unit, source_entity, source, stamp)
    finished = {"status": "completed", "update_time": unit.clock(), target_key: made["id"]}
    service.change(unit, lead_conversions, job, finished)
    return job["id"]
