"""How far a goal got in a period: counted by SQL over deals, activities and stage moves.

- ``deals_won``: deals won in the period; ``deals_started``: deals added in it;
  ``deals_progressed``: deals that entered the goal's stage in it (each deal once);
  ``revenue_forecast``: deals won in the period plus the open deals expected to close in it,
  at their weighted value; all in the goal's pipelines (null: every pipeline).
- ``activities_added`` / ``activities_completed``: activities added / marked done in the
  period, of the goal's activity types (null: every type).
- Whose: the assignee user's deals and activities (by owner), the company's (all), or a
  team's members' (see ``goals.team_members``).
- ``quantity`` counts; ``sum`` adds the deals' values. No exchange rates are held: values
  add up as they are, as in the deals summary (exact when they are in the goal's currency).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson
from sqlalchemy import false

from dealbase.domain import goals
from dealbase.domain.deals import weighted_values
from dealbase.store import repository as repo
from dealbase.store.tables import activities, activity_types, deal_stage_moves, deals

Row = dict[str, Any]
DEAL_GROUPS = ("currency", "status", "probability", "stage_id", "pipeline_id")


def _owners(ctx, goal: Row, column) -> list[Any]:
    if goal["assignee_type"] == "person":
        return [column == goal["assignee_id"]]
    if goal["assignee_type"] == "team":
        members = goals.team_members(ctx, goal["assignee_id"]) if goals.team_members is not None else None
        return [column.in_(members)] if members else [false()]
    return []


def _deal_groups(ctx, goal: Row, params: dict[str, Any], *where: Any) -> list[Row]:
    c = deals.c
    scope = [c.is_deleted.is_(False), *_owners(ctx, goal, c.owner_id), *where]
    if params.get("pipeline_id") is not None:
        scope.append(c.pipeline_id.in_(params["pipeline_id"]))
    return repo.grouped(ctx.conn, deals, ctx.company_id, scope, DEAL_GROUPS, total="value")


def progress(ctx, goal: Row, start: str, end: str) -> float:
    """The goal's progress from ``start`` to ``end`` (dates, both included)."""
    since = f"{start} 00:00:00"
    until = f"{(date.fromisoformat(end) + timedelta(days=1)).isoformat()} 00:00:00"
    params = orjson.loads(goal["params"])
    by_sum = goal["tracking_metric"] == "sum"
    name = goal["type_name"]
    c = deals.c
    if name in goals.ACTIVITY_TYPES:
        a = activities.c
        scope = [a.is_deleted.is_(False), *_owners(ctx, goal, a.owner_id)]
        if name == "activities_added":
            scope += [a.add_time >= since, a.add_time < until]
        else:
            scope += [a.done.is_(True), a.marked_as_done_time >= since, a.marked_as_done_time < until]
        if params.get("activity_type_id") is not None:
            found = repo.get_many(ctx.conn, activity_types, ctx.company_id, params["activity_type_id"])
            scope.append(a.type.in_([t["key_string"] for t in found.values()]))
        return sum(g["count"] for g in repo.grouped(ctx.conn, activities, ctx.company_id, scope, ()))
    if name == "deals_progressed":
        m = deal_stage_moves.c
        scope = [m.to_stage_id == params["stage_id"], m.time >= since, m.time < until]
        scope += _owners(ctx, goal, c.owner_id)
        if params.get("pipeline_id") is not None:
            scope.append(m.pipeline_id.in_(params["pipeline_id"]))
        moved = {r["deal_id"]: r["deal_value"] for r in repo.moves_with_deals(ctx.conn, ctx.company_id, *scope)}
        return sum(moved.values()) if by_sum else len(moved)
    if name == "deals_started":
        groups = _deal_groups(ctx, goal, params, c.add_time >= since, c.add_time < until)
    else:
        groups = _deal_groups(ctx, goal, params, c.status == "won", c.won_time >= since, c.won_time < until)
    if name == "revenue_forecast":
        expected = (c.status == "open", c.expected_close_date >= start, c.expected_close_date <= end)
        groups += _deal_groups(ctx, goal, params, *expected)
        if by_sum:
            return sum(weighted_values(ctx, [{**g, "value": g["total"]} for g in groups]))
    return sum(g["total"] for g in groups) if by_sum else sum(g["count"] for g in groups)
