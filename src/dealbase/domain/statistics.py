"""Deal statistics (v1): summaries, the deals timeline, a pipeline's conversion and movement,
and a pipeline's or a stage's deals with their summary per stage.

- A summary adds the deals up per currency, weighted too (a deal's probability, else its
  stage's). No exchange rates are held: a value "converted" to another currency is the
  value itself (exact when every deal is in that currency).
- Every figure counts only the deals the reader sees (``domain/visibility.py``): its
  condition is in the statement that reads the deals.
- The timeline groups open and won deals into periods by a date field (any date or time
  field of deals, custom date fields too), each with its deals and totals per currency.
- The pipeline statistics read the stages deals entered (``deal_stage_moves``, written
  with each deal write by ``domain/stage_moves.py``).

The queries are ``store/statistics.py``'s; what is made of their rows is here.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from dealbase.clock import add_months
from dealbase.domain import visibility
from dealbase.domain.common import check_currency, formatted
from dealbase.domain.deals import DEAL, STATUSES, weighted_values
from dealbase.domain.lists import Listing, Param, equals, id_filters, ignored
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store import statistics as queries

Row = dict[str, Any]
Where = Sequence[Any]

INTERVALS = ("day", "week", "month", "quarter")

# The parameters of the summaries and the timeline, in the order they are read, after
# ``filter_id``: a saved filter stands in for ``user_id`` (``FILTERED``), which is then not read.
FILTERED = ("user_id",)
TIMELINE_PARAMS = id_filters(DEAL.table, {"user_id": "owner_id", "pipeline_id": "pipeline_id"})
SUMMARY_PARAMS = (
    Param("status", "choice", equals(DEAL.table.c.status), choices=STATUSES),
    *TIMELINE_PARAMS,
    *id_filters(DEAL.table, {"stage_id": "stage_id"}),
)


def money(value: float) -> float | int:
    """A sum of money as v1 gives it: two decimals at most, an integer when whole."""
    value = round(value, 2)
    return int(value) if float(value).is_integer() else value


def _locale(unit) -> str:
    return unit.user.get("locale") or "en_US"


def _per_currency(sums: dict[str, float]) -> dict[str, float | int]:
    return {code: money(v) for code, v in sorted(sums.items())}


def group_weights(unit, groups: list[Row]) -> list[float]:
    """The weighted value of each group of ``queries.deal_groups`` (its ``total``)."""
    return weighted_values(unit, [{**g, "value": g["total"]} for g in groups])


# -- deals summary -----------------------------------------------------------------------


def summary(unit, where: Where) -> dict[str, Any]:
    """The totals of the live deals matching ``where`` the user sees, per currency and over all."""
    groups = queries.deal_groups(unit.conn, unit.company_id, *where, *visibility.where(unit, DEAL))
    totals: dict[str, dict[str, Any]] = {}
    for g, weight in zip(groups, group_weights(unit, groups)):
        entry = totals.setdefault(g["currency"], {"value": 0.0, "weighted": 0.0, "count": 0})
        entry["value"] += g["total"]
        entry["weighted"] += weight
        entry["count"] += g["count"]
    locale = _locale(unit)
    home = unit.user["default_currency"]
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
    return {
        "values_total": values_total,
        "weighted_values_total": weighted_total,
        "total_count": sum(e["count"] for e in totals.values()),
        "total_currency_converted_value": money(total),
        "total_weighted_currency_converted_value": money(total_weighted),
        "total_currency_converted_value_formatted": formatted(total, home, locale),
        "total_weighted_currency_converted_value_formatted": formatted(total_weighted, home, locale),
    }


# -- a pipeline's or a stage's deals ----------------------------------------------------


def stage_summary(unit, where: Where, given: dict[str, Any]) -> dict[str, Any]:
    """``get_summary``: the deals of the list (``where``: its conditions, visibility among
    them) counted and summed per stage and currency, weighted too; with
    ``totals_convert_currency``, each stage's totals in that currency as well."""
    if not given.get("get_summary"):
        return {}
    code = given.get("totals_convert_currency")
    convert = currency_for(unit, code) if code else None
    groups = queries.deal_groups(unit.conn, unit.company_id, *where)
    per_stage: dict[int, dict[str, dict[str, float]]] = defaultdict(dict)
    for g, weight in zip(groups, group_weights(unit, groups)):
        entry = per_stage[g["stage_id"]].setdefault(g["currency"], {"count": 0, "value": 0.0, "weighted": 0.0})
        entry["count"] += g["count"]
        entry["value"] += g["total"]
        entry["weighted"] += weight
    locale = _locale(unit)
    stages_out: dict[str, dict[str, Any]] = {}
    full: dict[str, dict[str, Any]] = {}
    for stage_id, currencies in sorted(per_stage.items()):
        shown = stages_out[str(stage_id)] = {}
        for currency, e in sorted(currencies.items()):
            shown[currency] = {
                "count": e["count"],
                "value": money(e["value"]),
                "value_formatted": formatted(e["value"], currency, locale),
                "weighted_value": money(e["weighted"]),
                "weighted_value_formatted": formatted(e["weighted"], currency, locale),
            }
            total = full.setdefault(currency, {"count": 0, "value": 0.0})
            total["count"] += e["count"]
            total["value"] += e["value"]
    out: dict[str, Any] = {
        "per_stages": stages_out,
        "per_currency": {currency: t["count"] for currency, t in sorted(full.items())},
        "total_count": sum(t["count"] for t in full.values()),
        "per_currency_full": {c: {"count": t["count"], "value": money(t["value"])} for c, t in sorted(full.items())},
    }
    if convert is not None:
        out["per_stages_converted"] = {
            str(stage_id): {
                "count": sum(e["count"] for e in currencies.values()),
                "value": money(sum(e["value"] for e in currencies.values())),
                "value_weighted": money(sum(e["weighted"] for e in currencies.values())),
            }
            for stage_id, currencies in sorted(per_stage.items())
        }
    return {"deals_summary": out}


def _placed(operation: str, parent: str, link: str, *more: Param) -> Listing:
    """The v1 deals of a pipeline or a stage (references as plain ids, as the current v1
    gives them): the caller's unless ``user_id`` names another owner, ``filter_id`` stands
    in for it, or ``everyone`` (for both) asks for every owner's."""
    owner = DEAL.table.c.owner_id
    user_id = Param("user_id", "id", equals(owner), absent=lambda unit: [owner == unit.user_id])
    return Listing(
        "v1",
        operation,
        (user_id, *more),
        archived=False,
        filter_id=("user_id",),
        everyone=True,
        parent=parent,
        link=link,
        refs="plain",
        additional=stage_summary,
    )


PIPELINE_DEALS = _placed(
    "get_pipeline_deals",
    "pipeline",
    "pipeline_id",
    *id_filters(DEAL.table, {"stage_id": "stage_id"}),
    Param("get_summary", "bool", ignored),
    Param("totals_convert_currency", "string", ignored),
)
STAGE_DEALS = _placed("get_stage_deals", "stage", "stage_id")


# -- deals timeline ----------------------------------------------------------------------


class DateSource(NamedTuple):
    """What a timeline groups by: a column of deals, or a custom date field's key."""

    key: str
    custom: bool
    value_of: Callable[[Row], str]


class Period(NamedTuple):
    start: str  # "YYYY-MM-DD 00:00:00"
    end: str  # its last moment, "YYYY-MM-DD 23:59:59"
    deals: list[Row]
    totals: dict[str, Any]
    converted: dict[str, Any] | None


def date_source(unit, key: str) -> DateSource:
    """The date or time field of deals named ``key`` (its name or v1 key, or a custom date
    field's key); a refusal for anything else."""
    for f in DEAL.fields:
        if f.column is not None and f.kind in ("time", "date") and key in (f.name, f.v1):
            return DateSource(f.column, False, itemgetter(f.column))
    found = unit.custom_defs(DEAL)
    field = found.by_key.get(key) if found else None
    if field is not None and field.field_type == "date":
        return DateSource(key, True, lambda r: orjson.loads(r["custom_fields"])[key])
    raise BadInput(f"Invalid 'field_key' parameter: '{key}' is not a date field of deals")


def currency_for(unit, code: str) -> str:
    """``totals_convert_currency``: a currency code, or ``default_currency`` (the user's)."""
    return unit.user["default_currency"] if code == "default_currency" else check_currency(code)


def periods(start: date, interval: str, amount: int) -> list[tuple[date, date]]:
    """``amount`` periods from ``start``: each (first day, first day of the next)."""
    bounds = []
    for n in range(amount + 1):
        if interval in ("day", "week"):
            bounds.append(start + timedelta(days=n * (1 if interval == "day" else 7)))
        else:
            bounds.append(add_months(start, n * (1 if interval == "month" else 3)))
    return list(zip(bounds, bounds[1:]))


def _totals(unit, rows: list[Row]) -> dict[str, Any]:
    values: dict[str, float] = defaultdict(float)
    weighted_all: dict[str, float] = defaultdict(float)
    open_values: dict[str, float] = defaultdict(float)
    weighted_open: dict[str, float] = defaultdict(float)
    won_values: dict[str, float] = defaultdict(float)
    for row, weight in zip(rows, weighted_values(unit, rows)):
        code = row["currency"]
        values[code] += row["value"]
        weighted_all[code] += weight
        if row["status"] == "open":
            open_values[code] += row["value"]
            weighted_open[code] += weight
        else:
            won_values[code] += row["value"]
    return {
        "count": len(rows),
        "values": _per_currency(values),
        "weighted_values": _per_currency(weighted_all),
        "open_count": sum(1 for r in rows if r["status"] == "open"),
        "open_values": _per_currency(open_values),
        "weighted_open_values": _per_currency(weighted_open),
        "won_count": sum(1 for r in rows if r["status"] == "won"),
        "won_values": _per_currency(won_values),
    }


def _converted(totals: dict[str, Any], code: str, locale: str) -> dict[str, Any]:
    """The totals in one currency: amounts add up as they are (no exchange rates)."""
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


def timeline(
    unit, spans: list[tuple[date, date]], source: DateSource, where: Where, convert: str | None
) -> list[Period]:
    """The open and won deals matching ``where`` the user sees in each span by ``source``, with totals
    (and, with ``convert``, the totals in that currency)."""
    first, after = spans[0][0].isoformat(), spans[-1][1].isoformat()
    where = [*where, *visibility.where(unit, DEAL)]
    rows = queries.dated_deals(unit.conn, unit.company_id, source.key, source.custom, first, after, where)
    rows.sort(key=lambda r: (source.value_of(r), r["id"]))  # in Python: text order, whatever the collation
    keys = [source.value_of(r) for r in rows]
    locale = _locale(unit)
    out = []
    for start, end in spans:
        chosen = rows[bisect_left(keys, start.isoformat()) : bisect_left(keys, end.isoformat())]
        totals = _totals(unit, chosen)
        out.append(
            Period(
                f"{start.isoformat()} 00:00:00",
                f"{(end - timedelta(days=1)).isoformat()} 23:59:59",
                chosen,
                totals,
                _converted(totals, convert, locale) if convert else None,
            )
        )
    return out


# -- pipeline statistics -----------------------------------------------------------------


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def conversion(unit, pipeline_id: int, start: str, end: str, user_id: int) -> dict[str, Any]:
    """Of the deals of ``user_id`` the reader sees that entered the pipeline's stages in [``start``, ``end``):
    how many of those that got to a stage got to the next one (a deal that got further counts
    as having passed the stages before), and how many were won and lost (by the end)."""
    ordered = queries.pipeline_stages(unit.conn, unit.company_id, pipeline_id)
    in_period = {"pipeline_ids": [pipeline_id], "since": start, "until": end, "seen": visibility.where(unit, DEAL)}
    moves = queries.stage_moves(unit.conn, unit.company_id, owner_ids=[user_id], **in_period)
    place = {s["id"]: i for i, s in enumerate(ordered)}
    furthest: dict[int, int] = {}
    for move in moves:
        index = place.get(move["to_stage_id"])
        if index is not None:
            furthest[move["deal_id"]] = max(furthest.get(move["deal_id"], -1), index)
    reached = [sum(1 for f in furthest.values() if f >= i) for i in range(len(ordered))]
    deals = repo.get_many(unit.conn, DEAL.table, unit.company_id, furthest)
    closed = {"won": 0, "lost": 0}
    for deal in deals.values():
        time = deal["won_time"] if deal["status"] == "won" else deal["lost_time"]
        if deal["status"] in closed and deal["pipeline_id"] == pipeline_id and time is not None and time < end:
            closed[deal["status"]] += 1
    return {
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


def _deal_group(unit, deals: list[Row]) -> dict[str, Any]:
    sums: dict[str, float] = defaultdict(float)
    for deal in deals:
        sums[deal["currency"]] += deal["value"]
    locale = _locale(unit)
    return {
        "count": len(deals),
        "deals_ids": [d["id"] for d in deals],
        "values": _per_currency(sums),
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


def movement(unit, pipeline_id: int, start: str, end: str, user_id: int) -> dict[str, Any]:
    """The movements of ``user_id``'s deals the reader sees in the pipeline in [``start``, ``end``): moves
    between its stages, deals new to it, left open, won and lost, and how long deals stayed
    in each stage."""
    conn, company_id, owners, seen = unit.conn, unit.company_id, [user_id], visibility.where(unit, DEAL)
    ordered = queries.pipeline_stages(conn, company_id, pipeline_id)
    in_period = {"owner_ids": owners, "pipeline_ids": [pipeline_id], "since": start, "until": end, "seen": seen}
    between = queries.stage_moves(conn, company_id, **in_period, from_pipeline="same")
    arrivals = queries.stage_moves(conn, company_id, **in_period, from_pipeline="other")
    new_ids = list(dict.fromkeys(move["deal_id"] for move in arrivals))
    new = repo.get_many(conn, DEAL.table, company_id, new_ids)
    entered = queries.stage_moves(conn, company_id, owner_ids=owners, pipeline_ids=[pipeline_id], until=end, seen=seen)
    entered_ids = {move["deal_id"] for move in entered}
    stays = (
        queries.stage_moves(conn, company_id, owner_ids=owners, until=end, deal_ids=entered_ids) if entered_ids else []
    )

    def deals(state: Any) -> dict[str, Any]:
        return _deal_group(unit, queries.pipeline_deals(conn, company_id, pipeline_id, owners, state, start, end, seen))

    return {
        "movements_between_stages": {"count": len(between)},
        "new_deals": _deal_group(unit, [new[i] for i in new_ids if i in new]),
        "deals_left_open": deals("left_open"),
        "won_deals": deals("won"),
        "lost_deals": deals("lost"),
        "average_age_in_days": _ages(stays, ordered, start, end),
    }
