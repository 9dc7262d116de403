"""v1 statistics: the deals timeline, a pipeline's conversion and movement statistics, and
the deals of a pipeline or a stage with their summary (lists declared in ``domain/statistics.py``).

``/deals/timeline`` (and ``/archived``) answers a list of periods (the spec describes one
period object). The figures are ``domain/statistics.py``'s; here the parameters are read
and the deals shown.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx, required
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import statistics as stats
from dealbase.domain.deals import DEAL
from dealbase.domain.lists import archived
from dealbase.domain.pipelines import PIPELINE

handlers = Handlers()
lists.bind(handlers, DEAL, (stats.PIPELINE_DEALS, stats.STAGE_DEALS))

MAX_PERIODS = 500


def timeline(ctx: Ctx, archived_deals: bool) -> Reply:
    start = ctx.required_date("start_date")
    interval = required("interval", ctx.choice_param("interval", stats.INTERVALS))
    amount = required("amount", ctx.int_param("amount", minimum=1, maximum=MAX_PERIODS))
    source = stats.date_source(ctx, required("field_key", ctx.raw("field_key")))
    saved = res.saved_filter(ctx, DEAL)
    exclude = ctx.bool_param("exclude_deals", False)
    convert = ctx.raw("totals_convert_currency")
    skip = stats.FILTERED if saved is not None else ()
    where = [archived(DEAL.table.c.is_archived, archived_deals), *(saved or [])]
    where += lists.conditions(ctx, stats.TIMELINE_PARAMS, skip)
    spans = stats.periods(start, interval, amount)
    out = []
    for period in stats.timeline(ctx, spans, source, where, stats.currency_for(ctx, convert) if convert else None):
        shown: dict[str, Any] = {"period_start": period.start, "period_end": period.end}
        if not exclude:
            shown["deals"] = res.render_v1(ctx, DEAL, period.deals, refs="plain")[0]
        shown["totals"] = period.totals
        if period.converted is not None:
            shown["totals_converted"] = period.converted
        out.append(shown)
    return ok(out)


@handlers.operation("v1", "get_deals_timeline")
def get_deals_timeline(ctx: Ctx) -> Reply:
    return timeline(ctx, archived_deals=False)


@handlers.operation("v1", "get_archived_deals_timeline")
def get_archived_deals_timeline(ctx: Ctx) -> Reply:
    return timeline(ctx, archived_deals=True)


def _pipeline_scope(ctx: Ctx) -> tuple[int, str, str, int]:
    """The path's live pipeline (else 404), ``start_date`` .. ``end_date`` as stored times
    ([first moment, first moment after)), and whose deals count (``user_id``, else the
    caller's, as Pipedrive does)."""
    pipeline_id = ctx.path_id()
    res.load(ctx, PIPELINE, pipeline_id, alive=True)
    start, end = ctx.date_range("start_date", "end_date")
    user_id = ctx.int_param("user_id", minimum=1) or ctx.user_id
    return pipeline_id, f"{start.isoformat()} 00:00:00", f"{(end + timedelta(days=1)).isoformat()} 00:00:00", user_id


@handlers.operation("v1", "get_pipeline_conversion_statistics")
def get_pipeline_conversion_statistics(ctx: Ctx) -> Reply:
    return ok(stats.conversion(ctx, *_pipeline_scope(ctx)))


@handlers.operation("v1", "get_pipeline_movement_statistics")
def get_pipeline_movement_statistics(ctx: Ctx) -> Reply:
    return ok(stats.movement(ctx, *_pipeline_scope(ctx)))
