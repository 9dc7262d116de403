"""v1 statistics: the deals timeline and a pipeline's conversion and movement statistics.

``/deals/timeline`` (and ``/archived``) groups the open and won deals into ``amount``
periods by a date field, each with its deals (v1 shape, plain ids) and totals per
currency. The real API answers a list of periods (the spec describes one period object).

The pipeline statistics read the stages deals entered (``deal_stage_moves``, written with
each deal write by ``domain/stage_moves.py``).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any

import orjson

from dealbase.api import custom
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.handlers.core import archived
from dealbase.api.handlers.summaries import money
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import add_months, parse_date
from dealbase.domain.common import check_currency, formatted
from dealbase.domain.deals import DEAL, weighted_values
from dealbase.domain.pipelines import PIPELINE
from dealbase.store import repository as repo
from dealbase.store.tables import deal_stage_moves, stages

handlers = Handlers()

Row = dict[str, Any]

INTERVALS = ("day", "week", "month", "quarter")
MAX_PERIODS = 500


def date_param(ctx: Ctx, name: str) -> date:
    raw = ctx.raw(name)
    if not raw:
        raise BadRequest(f"Invalid '{name}' parameter: is required")
    text = parse_date(raw)
    if text is None:
        raise BadRequest(f"Invalid '{name}' parameter: must be a date (YYYY-MM-DD)")
    return date.fromisoformat(text)


def periods(start: date, interval: str, amount: int) -> list[tuple[date, date]]:
    """``amount`` periods from ``start``: each (first day, first day of the next)."""
    bounds = []
    for n in range(amount + 1):
        if interval in ("day", "week"):
            bounds.append(start + timedelta(days=n * (1 if interval == "day" else 7)))
        else:
            bounds.append(add_months(start, n * (1 if interval == "month" else 3)))
    return list(zip(bounds, bounds[1:]))


# -- deals timeline --------------------------------------------------------------------


def _date_field(ctx: Ctx, key: str) -> tuple[Any, Callable[[Row], str]]:
    """What a timeline groups by (any date or time field of deals, custom date fields too):
    the SQL expression, and how to read it from a deal's row."""
    for f in DEAL.fields:
        if f.column is not None and f.kind in ("time", "date") and key in (f.name, f.v1):
            return DEAL.table.c[f.column], itemgetter(f.column)
    found = custom.defs(ctx, DEAL)
    field = found.by_key.get(key) if found else None
    if field is not None and field.field_type == "date":
        return repo.json_text(ctx.conn, DEAL.table.c.custom_fields, key), lambda r: orjson.loads(r["custom_fields"])[
            key
        ]
    raise BadRequest(f"Invalid 'field_key' parameter: '{key}' is not a date field of deals")


def _totals(ctx: Ctx, rows: list[Row]) -> dict[str, Any]:
    values: dict[str, float] = defaultdict(float)
    weighted_all: dict[str, float] = defaultdict(float)
    open_values: dict[str, float] = defaultdict(float)
    weighted_open: dict[str, float] = defaultdict(float)
    won_values: dict[str, float] = defaultdict(float)
    for row, weight in zip(rows, weighted_values(ctx, rows)):
        code = row["currency"]
        values[code] += row["value"]
        weighted_all[code] += weight
        if row["status"] == "open":
            open_values[code] += row["value"]
            weighted_open[code] += weight
        else:
            won_values[code] += row["value"]

    def out(sums: dict[str, float]) -> dict[str, float | int]:
        return {code: money(v) for code, v in sorted(sums.items())}

    return {
        "count": len(rows),
        "values": out(values),
        "weighted_values": out(weighted_all),
        "open_count": sum(1 for r in rows if r["status"] == "open"),
        "open_values": out(open_values),
        "weighted_open_values": out(weighted_open),
        "won_count": sum(1 for r in rows if r["status"] == "won"),
        "won_values": out(won_values),
    }


def _converted(totals: dict[str, Any], code: str, locale: str) -> dict[str, Any]:
    """The totals in one currency. No exchange rates are held: amounts add up as they are
    (exact when every deal is in that currency), as in the deals summary."""
    sums = {
        name: money(sum(totals[key].values()))
        for name, key in (
            ("value", "values"),
            ("weighted_value", "weighted_values"),
            ("open_value", "open_values"),
            ("weighted_open_value", "weighted_open_values"),
            ("won_value", "won_values"),
        )
    }
    return {**sums, **{f"{k}_formatted": formatted(v, code, locale) for k, v in sums.items()}, "currency": code}


def timeline(ctx: Ctx, archived_deals: bool) -> Reply:
    start = date_param(ctx, "start_date")
    interval = ctx.choice_param("interval", INTERVALS)
    if interval is None:
        raise BadRequest("Invalid 'interval' parameter: is required")
    amount = ctx.int_param("amount", minimum=1, maximum=MAX_PERIODS)
    if amount is None:
        raise BadRequest("Invalid 'amount' parameter: is required")
    key = ctx.raw("field_key")
    if not key:
        raise BadRequest("Invalid 'field_key' parameter: is required")
    column, value_of = _date_field(ctx, key)
    saved = res.saved_filter(ctx, DEAL)
    exclude = ctx.bool_param("exclude_deals", False)
    convert = ctx.raw("totals_convert_currency")
    if convert:
        convert = ctx.user["default_currency"] if convert == "default_currency" else check_currency(convert)
    spans = periods(start, interval, amount)
    c = DEAL.table.c
    where = [
        c.is_deleted.is_(False),
        *archived(archived_deals),
        c.status.in_(("open", "won")),
        column >= spans[0][0].isoformat(),
        column < spans[-1][1].isoformat(),
    ]
    # A saved filter takes the place of user_id, as on the other deal lists.
    where += saved if saved is not None else []
    params = (
        {"pipeline_id": "pipeline_id"} if saved is not None else {"user_id": "owner_id", "pipeline_id": "pipeline_id"}
    )
    where += res.quick_filters(ctx, DEAL, params)
    rows = repo.all_rows(ctx.conn, DEAL.table, ctx.company_id, *where)
    rows.sort(key=lambda r: (value_of(r), r["id"]))  # in Python: text order, whatever the collation
    keys = [value_of(r) for r in rows]
    locale = ctx.user.get("locale") or "en_US"
    out = []
    for first, after in spans:
        chosen = rows[bisect_left(keys, first.isoformat()) : bisect_left(keys, after.isoformat())]
        period: dict[str, Any] = {
            "period_start": f"{first.isoformat()} 00:00:00",
            "period_end": f"{(after - timedelta(days=1)).isoformat()} 23:59:59",
        }
        if not exclude:
            period["deals"] = res.render_v1(ctx, DEAL, chosen, refs="plain")[0]
        period["totals"] = _totals(ctx, chosen)
        if convert:
            period["totals_converted"] = _converted(period["totals"], convert, locale)
        out.append(period)
    return ok(out)


@handlers.operation("v1", "get_deals_timeline")
def get_deals_timeline(ctx: Ctx) -> Reply:
    return timeline(ctx, archived_deals=False)


@handlers.operation("v1", "get_archived_deals_timeline")
def get_archived_deals_timeline(ctx: Ctx) -> Reply:
    return timeline(ctx, archived_deals=True)


# -- pipeline statistics ---------------------------------------------------------------


def _span(ctx: Ctx) -> tuple[str, str]:
    """``start_date`` .. ``end_date`` as stored times: [first moment, first moment after)."""
    start, end = date_param(ctx, "start_date"), date_param(ctx, "end_date")
    if end < start:
        raise BadRequest("Invalid 'end_date' parameter: must not be before start_date")
    return f"{start.isoformat()} 00:00:00", f"{(end + timedelta(days=1)).isoformat()} 00:00:00"


def _pipeline_scope(ctx: Ctx) -> tuple[int, list[Row], tuple[str, str], int]:
    """The path's pipeline (404 unless live), its stages in order, the period, and whose
    deals count (``user_id``, else the caller's, as Pipedrive does)."""
    pipeline_id = ctx.path_id()
    res.load(ctx, PIPELINE, pipeline_id, alive=True)
    span = _span(ctx)
    user_id = ctx.int_param("user_id", minimum=1) or ctx.user_id  # whose deals: the caller's unless given
    found = repo.all_rows(
        ctx.conn,
        stages,
        ctx.company_id,
        stages.c.pipeline_id == pipeline_id,
        stages.c.is_deleted.is_(False),
        order_by=[stages.c.order_nr, stages.c.id],
    )
    return pipeline_id, found, span, user_id


def _moves(ctx: Ctx, pipeline_id: int | None, user_id: int | None, *where: Any) -> list[Row]:
    """Moves into the pipeline's stages (any pipeline's: ``pipeline_id`` None) of the deals
    ``user_id`` owns (everyone's: None)."""
    m = deal_stage_moves.c
    if pipeline_id is not None:
        where = (m.pipeline_id == pipeline_id, *where)
    owner = [DEAL.table.c.owner_id == user_id] if user_id is not None else []
    return repo.moves_with_deals(ctx.conn, ctx.company_id, *owner, *where)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


@handlers.operation("v1", "get_pipeline_conversion_statistics")
def get_pipeline_conversion_statistics(ctx: Ctx) -> Reply:
    """Of the deals that entered the pipeline's stages in the period: how many of those that
    got to a stage got to the next one (a deal that got further counts as having passed the
    stages before), and how many were won and lost (by the period's end)."""
    pipeline_id, ordered, (start, end), user_id = _pipeline_scope(ctx)
    m = deal_stage_moves.c
    moves = _moves(ctx, pipeline_id, user_id, m.time >= start, m.time < end)
    place = {s["id"]: i for i, s in enumerate(ordered)}
    furthest: dict[int, int] = {}
    for move in moves:
        index = place.get(move["to_stage_id"])
        if index is not None:
            furthest[move["deal_id"]] = max(furthest.get(move["deal_id"], -1), index)
    reached = [sum(1 for f in furthest.values() if f >= i) for i in range(len(ordered))]
    deals = repo.get_many(ctx.conn, DEAL.table, ctx.company_id, furthest)
    closed = {"won": 0, "lost": 0}
    for deal in deals.values():
        time = deal["won_time"] if deal["status"] == "won" else deal["lost_time"]
        if deal["status"] in closed and deal["pipeline_id"] == pipeline_id and time is not None and time < end:
            closed[deal["status"]] += 1
    return ok(
        {
            "stage_conversions": [
                {
                    "from_stage_id": ordered[i]["id"],
                    "to_stage_id": ordered[i + 1]["id"],
                    "conversion_rate": _percent(reached[i + 1], reached[i]),
                }
                for i in range(len(ordered) - 1)
            ],
            "won_conversion": _percent(closed["won"], len(furthest)),
            "lost_conversion": _percent(closed["lost"], len(furthest)),
        }
    )


def _deal_group(ctx: Ctx, deals: list[Row]) -> dict[str, Any]:
    sums: dict[str, float] = defaultdict(float)
    for deal in deals:
        sums[deal["currency"]] += deal["value"]
    locale = ctx.user.get("locale") or "en_US"
    return {
        "count": len(deals),
        "deals_ids": [d["id"] for d in deals],
        "values": {code: money(v) for code, v in sorted(sums.items())},
        "formatted_values": {code: formatted(v, code, locale) for code, v in sorted(sums.items())},
    }


def _days(since: str, until: str) -> float:
    return (datetime.fromisoformat(until) - datetime.fromisoformat(since)).total_seconds() / 86400


def _ages(moves: list[Row], ordered: list[Row], start: str, end: str) -> dict[str, Any]:
    """How long deals stayed in each stage in the period: each stay runs from entering the
    stage to the deal's next move, its close, or the period's end, counted within the period."""
    inside = {s["id"] for s in ordered}
    by_deal: dict[int, list[Row]] = defaultdict(list)
    for move in moves:
        by_deal[move["deal_id"]].append(move)
    per_stage: dict[int, list[float]] = defaultdict(list)
    per_deal: dict[int, float] = defaultdict(float)
    for deal_id, history in by_deal.items():
        for move, following in zip(history, [*history[1:], None]):
            left = following["time"] if following else None
            if left is None and move["deal_status"] != "open":
                left = move["deal_close_time"]
            left = min(left or end, end)
            entered = max(move["time"], start)
            if move["to_stage_id"] not in inside or entered >= left or move["time"] >= end:
                continue
            days = _days(entered, left)
            per_stage[move["to_stage_id"]].append(days)
            per_deal[deal_id] += days

    def mean(values: list[float]) -> int:
        return round(sum(values) / len(values)) if values else 0

    return {
        "across_all_stages": mean(list(per_deal.values())),
        "by_stages": [{"stage_id": s["id"], "value": mean(per_stage.get(s["id"], []))} for s in ordered],
    }


@handlers.operation("v1", "get_pipeline_movement_statistics")
def get_pipeline_movement_statistics(ctx: Ctx) -> Reply:
    pipeline_id, ordered, (start, end), user_id = _pipeline_scope(ctx)
    m, c = deal_stage_moves.c, DEAL.table.c
    in_period = [m.time >= start, m.time < end]
    between = _moves(ctx, pipeline_id, user_id, *in_period, m.from_pipeline_id == pipeline_id)
    arrivals = _moves(
        ctx, pipeline_id, user_id, *in_period, (m.from_pipeline_id.is_(None)) | (m.from_pipeline_id != pipeline_id)
    )
    new_ids = list(dict.fromkeys(move["deal_id"] for move in arrivals))
    scope = [c.is_deleted.is_(False), c.pipeline_id == pipeline_id]
    if user_id is not None:
        scope.append(c.owner_id == user_id)

    def deals(*where: Any) -> list[Row]:
        return repo.all_rows(ctx.conn, DEAL.table, ctx.company_id, *scope, *where, order_by=[c.id])

    new = repo.get_many(ctx.conn, DEAL.table, ctx.company_id, new_ids)
    left_open = deals(c.add_time < end, (c.status == "open") | (c.close_time >= end))
    won = deals(c.status == "won", c.won_time >= start, c.won_time < end)
    lost = deals(c.status == "lost", c.lost_time >= start, c.lost_time < end)
    entered = {move["deal_id"] for move in _moves(ctx, pipeline_id, user_id, m.time < end)}
    stays = _moves(ctx, None, user_id, m.time < end, m.deal_id.in_(sorted(entered))) if entered else []
    return ok(
        {
            "movements_between_stages": {"count": len(between)},
            "new_deals": _deal_group(ctx, [new[i] for i in new_ids if i in new]),
            "deals_left_open": _deal_group(ctx, left_open),
            "won_deals": _deal_group(ctx, won),
            "lost_deals": _deal_group(ctx, lost),
            "average_age_in_days": _ages(stays, ordered, start, end),
        }
    )
