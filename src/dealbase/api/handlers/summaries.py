"""v1 deal summaries: totals per currency, weighted totals and counts.

``/deals/summary`` covers the deals not archived, ``/deals/summary/archived`` the archived
ones; both take ``status``, ``filter_id``, ``user_id``, ``pipeline_id`` and ``stage_id``.
The server holds no exchange rates: a value converted to the caller's default currency is
the value itself (exact when every deal is in that currency).
"""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.handlers.core import archived
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain.common import formatted
from dealbase.domain.deals import DEAL, weighted_values
from dealbase.store import repository as repo

handlers = Handlers()


def money(value: float) -> float | int:
    """A sum of money as v1 gives it: two decimals at most, an integer when whole."""
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def summary(ctx: Ctx, archived_deals: bool) -> Reply:
    c = DEAL.table.c
    saved = res.saved_filter(ctx, DEAL)
    where = [c.is_deleted.is_(False), *archived(archived_deals), *(saved or [])]
    status = ctx.choice_param("status", ("open", "won", "lost"))
    if status is not None:
        where.append(c.status == status)
    params = {"pipeline_id": "pipeline_id", "stage_id": "stage_id"}
    if saved is None:  # filter_id overrides user_id
        params = {"user_id": "owner_id", **params}
    where += res.quick_filters(ctx, DEAL, params)
    columns = ("currency", "status", "probability", "stage_id", "pipeline_id")
    groups = repo.grouped(ctx.conn, DEAL.table, ctx.company_id, where, columns, total="value")
    totals: dict[str, dict[str, Any]] = {}
    for g, weight in zip(groups, weighted_values(ctx, [{**g, "value": g["total"]} for g in groups])):
        entry = totals.setdefault(g["currency"], {"value": 0.0, "weighted": 0.0, "count": 0})
        entry["value"] += g["total"]
        entry["weighted"] += weight
        entry["count"] += g["count"]
    locale = ctx.user.get("locale") or "en_US"
    home = ctx.user["default_currency"]
    values_total, weighted_total = {}, {}
    for code, entry in sorted(totals.items()):
        values_total[code] = {
            "value": money(entry["value"]),
            "count": entry["count"],
            "value_converted": money(entry["value"]),
            "value_formatted": formatted(entry["value"], code, locale),
            "value_converted_formatted": formatted(entry["value"], home, locale),
        }
        weighted_total[code] = {
            "value": money(entry["weighted"]),
            "count": entry["count"],
            "value_formatted": formatted(entry["weighted"], code, locale),
        }
    total = sum(e["value"] for e in totals.values())
    total_weighted = sum(e["weighted"] for e in totals.values())
    return ok(
        {
            "values_total": values_total,
            "weighted_values_total": weighted_total,
            "total_count": sum(e["count"] for e in totals.values()),
            "total_currency_converted_value": money(total),
            "total_weighted_currency_converted_value": money(total_weighted),
            "total_currency_converted_value_formatted": formatted(total, home, locale),
            "total_weighted_currency_converted_value_formatted": formatted(total_weighted, home, locale),
        }
    )


@handlers.operation("v1", "get_deals_summary")
def get_deals_summary(ctx: Ctx) -> Reply:
    return summary(ctx, archived_deals=False)


@handlers.operation("v1", "get_archived_deals_summary")
def get_archived_deals_summary(ctx: Ctx) -> Reply:
    return summary(ctx, archived_deals=True)
