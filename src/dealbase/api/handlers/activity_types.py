"""``/v1/activityTypes``: list, add, update, delete (which answers the deleted type)."""

from __future__ import annotations

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import service
from dealbase.domain.activity_types import ACTIVITY_TYPE
from dealbase.store import repository as repo

handlers = Handlers()

table = ACTIVITY_TYPE.table


@handlers.operation("v1", "get_activity_types")
def get_activity_types(ctx: Ctx):
    """Every activity type of the company, in their order."""
    rows = repo.all_rows(
        ctx.conn, table, ctx.company_id, table.c.is_deleted.is_(False), order_by=[table.c.order_nr, table.c.id]
    )
    items, _ = res.render_v1(ctx, ACTIVITY_TYPE, rows)
    return ok(items)


res.bind(handlers, ACTIVITY_TYPE, "v1", ops=("add", "update"))


@handlers.operation("v1", "delete_activity_type", write=True)
def delete_activity_type(ctx: Ctx):
    """Marks the type deleted and answers it, with ``active_flag: false``."""
    row = res.load(ctx, ACTIVITY_TYPE, ctx.path_id(), alive=True)
    service.delete(ctx, ACTIVITY_TYPE, row)
    return res.reply_one(ctx, ACTIVITY_TYPE, res.load(ctx, ACTIVITY_TYPE, row["id"]))


@handlers.operation("v1", "delete_activity_types", write=True)
def delete_activity_types(ctx: Ctx):
    return res.bulk_delete(ctx, ACTIVITY_TYPE)
