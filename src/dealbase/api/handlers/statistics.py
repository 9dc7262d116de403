"""v1 statistics: the deals timeline and a pipeline's conversion and movement statistics.

``/deals/timeline`` (and ``/archived``) answers a list of periods (the spec describes one
period object). The figures are ``domain/statistics.py``'s; here the parameters are read
and the deals shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.handlers.core import archived
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import parse_date
from dealbase.domain import statistics as stats
from dealbase.domain.deals import DEAL
from dealbase.domain.pipelines import PIPELINE

handlers = Handlers()

MAX_PERIODS = 500


def date_param(ctx: Ctx, name: str) -> date:
    """A required ``YYYY-MM-DD`` parameter."""
    raw = ctx.raw(name)
    if not raw:
        raise BadRequest(f"Invalid '{name}' parameter: is required")
    text = parse_date(raw)
    if text is None:
        raise BadRequest(f"Invalid '{name}' parameter: must be a date (YYYY-MM-DD)")
    return date.fromisoformat(text)


def date_range(ctx: Ctx, first: str, last: str) -> tuple[date, date]:
    """Two required dates, the second not before the first."""
    start, end = date_param(ctx, first), date_param(ctx, last)
    if end < start:
        raise BadRequest(f"Invalid '{last}' parameter: must not be before {first}")
    return start, end


def required(name: str, value: Any) -> Any:
    """A parameter's parsed value, which must be given."""
    if value is None or value == "":
        raise BadRequest(f"Invalid '{name}' parameter: is required")
    return value


def timeline(ctx: Ctx, archived_deals: bool) -> Reply:
    start = date_param(ctx, "start_date")
    interval = required("interval", ctx.choice_param("interval", stats.INTERVALS))
    amount = required("amount", ctx.int_param("amount", minimum=1, maximum=MAX_PERIODS))
    source = stats.date_source(ctx, required("field_key", ctx.raw("field_key")))
    saved = res.saved_filter(ctx, DEAL)
    exclude = ctx.bool_param("exclude_deals", False)
    convert = ctx.raw("totals_convert_currency")
    params = {"pipeline_id": "pipeline_id"}
    if saved is None:  # a saved filter takes the place of user_id, as on the other deal lists
        params = {"user_id": "owner_id", **params}
    where = [*archived(archived_deals), *(saved or []), *res.quick_filters(ctx, DEAL, params)]
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
    start, end = date_range(ctx, "start_date", "end_date")
    user_id = ctx.int_param("user_id", minimum=1) or ctx.user_id
    return pipeline_id, f"{start.isoformat()} 00:00:00", f"{(end + timedelta(days=1)).isoformat()} 00:00:00", user_id


@handlers.operation("v1", "get_pipeline_conversion_statistics")
def get_pipeline_conversion_statistics(ctx: Ctx) -> Reply:
    return ok(stats.conversion(ctx, *_pipeline_scope(ctx)))


@handlers.operation("v1", "get_pipeline_movement_statistics")
def get_pipeline_movement_statistics(ctx: Ctx) -> Reply:
    return ok(stats.movement(ctx, *_pipeline_scope(ctx)))
