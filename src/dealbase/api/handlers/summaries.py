"""v1 deal summaries: totals per currency, weighted totals and counts.

``/deals/summary`` covers the deals not archived, ``/deals/summary/archived`` the archived
ones; both take ``status``, ``filter_id``, ``user_id``, ``pipeline_id`` and ``stage_id``.
The figures are ``domain/statistics.py``'s.
"""

from __future__ import annotations

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.handlers.core import archived
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import statistics as stats
from dealbase.domain.deals import DEAL

handlers = Handlers()


def summary(ctx: Ctx, archived_deals: bool) -> Reply:
    saved = res.saved_filter(ctx, DEAL)
    where = [*archived(archived_deals), *(saved or [])]
    status = ctx.choice_param("status", ("open", "won", "lost"))
    params = {"pipeline_id": "pipeline_id", "stage_id": "stage_id"}
    if saved is None:  # filter_id overrides user_id
        params = {"user_id": "owner_id", **params}
    where += res.quick_filters(ctx, DEAL, params)
    return ok(stats.summary(ctx, where, status))


@handlers.operation("v1", "get_deals_summary")
def get_deals_summary(ctx: Ctx) -> Reply:
    return summary(ctx, archived_deals=False)


@handlers.operation("v1", "get_archived_deals_summary")
def get_archived_deals_summary(ctx: Ctx) -> Reply:
    return summary(ctx, archived_deals=True)
