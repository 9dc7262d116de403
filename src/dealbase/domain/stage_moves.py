"""The stages a deal entered, kept as rows (``deal_stage_moves``) written with each deal write.

A deal's create enters its first stage; every change of ``stage_id`` enters another, at the
deal's new ``stage_change_time``. The pipeline statistics and the ``deals_progressed``
goals count them.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import hooks, service
from dealbase.store.tables import deal_stage_moves

Row = dict[str, Any]


@hooks.after_write
def record_move(ctx, entity, old: Row | None, new: Row) -> None:
    if entity.name != "deal" or (old is not None and old["stage_id"] == new["stage_id"]):
        return
    values = {
        "deal_id": new["id"],
        "pipeline_id": new["pipeline_id"],
        "from_pipeline_id": old["pipeline_id"] if old else None,
        "from_stage_id": old["stage_id"] if old else None,
        "to_stage_id": new["stage_id"],
        "user_id": ctx.user_id,
        "time": (new["stage_change_time"] if old else None) or new["add_time"],
    }
    service.insert(ctx, deal_stage_moves, values)
