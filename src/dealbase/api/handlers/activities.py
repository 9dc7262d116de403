"""Activities, v1 and v2: CRUD, v1's bulk delete and the lists the entity declares (with
their filters, v1's cursor collection and the activities of a deal, person or organization)."""

from __future__ import annotations

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.router import Handlers
from dealbase.domain import counters
from dealbase.domain.activities import ACTIVITY

handlers = Handlers()


@counters.activity_objects
def v1_objects(ctx: Ctx, ids: list[int]) -> dict[int, dict]:
    """Activities as v1 objects (a deal's ``next_activity`` / ``last_activity``)."""
    rows = list(ctx.rows(ACTIVITY.table, ids).values())
    items, _ = res.render_v1(ctx, ACTIVITY, rows, refs="plain")
    return {item["id"]: item for item in items}


res.bind(handlers, ACTIVITY, "v1", "v2")
lists.bind(handlers, ACTIVITY)


@handlers.operation("v1", "delete_activities", write=True)
def delete_activities(ctx: Ctx):
    return res.bulk_delete(ctx, ACTIVITY)
