"""Rows linked to a lead or a deal, moved from one to the other when it is converted.

Every registered entity whose table has both a ``lead_id`` and a ``deal_id`` column
(activities, notes, files, …) takes part: no family has to be named here. Each moved row
records its change event; the counters of the deals involved are refreshed.
"""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.domain import counters, hooks
from dealbase.domain.entity import Entity
from dealbase.domain.registry import ENTITIES
from dealbase.events.changes import record_update
from dealbase.store import repository as repo

LINKS = ("lead_id", "deal_id")


def linked_entities() -> list[Entity]:
    """The registered entities a row of which can belong to a lead or to a deal."""
    return [e for e in ENTITIES.values() if all(c in e.table.c for c in LINKS)]


def move(ctx: Ctx, source: str, source_id: int | str, target: str, target_id: int | str, stamp: str) -> int:
    """Relink every row of the caller's company from ``source`` (``lead_id`` / ``deal_id``)
    ``source_id`` to ``target`` ``target_id``; answers how many rows moved."""
    moved = 0
    for entity in linked_entities():
        rows = repo.rows_where(ctx.conn, entity.table, ctx.company_id, source, source_id)
        if not rows:
            continue
        changed = {source: None, target: target_id}
        if "update_time" in entity.table.c:
            changed["update_time"] = stamp
        also = {k: v for k, v in changed.items() if k != source}
        repo.reassign(ctx.conn, entity.table, ctx.company_id, source, source_id, None, **also)
        for row in rows:
            record_update(ctx.conn, ctx.company_id, ctx.user_id, entity.name, row, changed, stamp)
            for hook in hooks.AFTER_WRITE:  # what other families keep about it (search texts)
                hook(ctx, entity, row, {**row, **changed})
            moved += 1
    if moved:
        deals = [i for column, i in ((source, source_id), (target, target_id)) if column == "deal_id"]
        counters.refresh_all(ctx, "deal", deals)
    return moved
