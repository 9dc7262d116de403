"""``/v1/filters``: saved filters (list by type, get, add, update, delete, bulk delete) and
the helpers naming the operators and relative dates conditions can use."""

from __future__ import annotations

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain.filters import FILTER, TYPES, helpers
from dealbase.store import repository as repo

handlers = Handlers()

table = FILTER.table


@handlers.operation("v1", "get_filters")
def get_filters(ctx: Ctx):
    """The company's live filters (of one ``type`` if given), oldest first, without conditions."""
    where = [table.c.is_deleted.is_(False)]
    kind = ctx.choice_param("type", tuple(TYPES))
    if kind is not None:
        where.append(table.c.type == kind)
    rows = repo.all_rows(ctx.conn, table, ctx.company_id, *where, order_by=[table.c.id])
    items, _ = res.render_v1(ctx, FILTER, rows)
    for item in items:
        item.pop("conditions", None)
    return ok(items)


@handlers.operation("v1", "get_filter_helpers")
def get_filter_helpers(ctx: Ctx):
    return ok(helpers())


res.bind(handlers, FILTER, "v1")
handlers.operation("v1", "delete_filters", write=True)(lambda ctx: res.bulk_delete(ctx, FILTER))
