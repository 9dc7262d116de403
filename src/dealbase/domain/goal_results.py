"""How far a goal got in a period: counted by SQL over deals, activities and stage moves.

- ``deals_won``: deals won in the period; ``deals_started``: deals added in it;
  ``deals_progressed``: deals that entered the goal's stage in it (each deal once);
  ``revenue_forecast``: deals won in the period plus the open deals expected to close in it,
  at their weighted value; all in the goal's pipelines (null: every pipeline).
- ``activities_added`` / ``activities_completed``: activities added / marked done in the
  period, of the goal's activity types (null: every type).
- Whose: the assignee user's deals and activities (by owner), the company's (all), or a
  team's members' (see ``goals.team_members``); of the deals, only those the reader sees
  (Pipedrive's goals are Insights', and a user's item visibility rules their Insights:
  the charts count only the deals they may see). Activities follow no visibility here.
- ``quantity`` counts; ``sum`` adds the deals' values. No exchange rates are held: values
  add up as they are, as in the deals summary (exact when they are in the goal's currency).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import orjson

from dealbase.domain import goals, visibility
from dealbase.domain.deals import DEAL
from dealbase.domain.statistics import group_weights, money
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store import statistics as queries
from dealbase.store.tables import activity_types

Row = dict[str, Any]


def _owners(unit, goal: Row) -> list[int] | None:
    """Whose deals and activities count: the assignee user's, a team's members' (none when
    the team is unknown), or everyone's (None) for the company."""
    if goal["assignee_type"] == "person":
        return [goal["assignee_id"]]
    if goal["assignee_type"] == "team":
        members = goals.team_members(unit, goal["assignee_id"]) if goals.team_members is not None else None
        return list(members or [])
    return None


def result(unit, goal: Row, start: str, end: str) -> float | int:
    """The goal's progress over a period inside its duration, as v1 gives amounts."""
    if start < goal["duration_start"]:
        raise BadInput("Invalid 'period.start' parameter: must not be before the goal's start")
    if goal["duration_end"] is not None and end > goal["duration_end"]:
        raise BadInput("Invalid 'period.end' parameter: must not be after the goal's end")
    return money(progress(unit, goal, start, end))


def progress(unit, goal: Row, start: str, end: str) -> float:
    """The goal's progress from ``start`` to ``end`` (dates, both included)."""
    since = f"{start} 00:00:00"
    until = f"{(date.fromisoformat(end) + timedelta(days=1)).isoformat()} 00:00:00"
    params = orjson.loads(goal["params"])
    by_sum = goal["tracking_metric"] == "sum"
    name = goal["type_name"]
    owners = _owners(unit, goal)
    conn, company_id, seen = unit.conn, unit.company_id, visibility.where(unit, DEAL)
    if name in goals.ACTIVITY_TYPES:
        keys = None
        if params.get("activity_type_id") is not None:
            found = repo.get_many(conn, activity_types, company_id, params["activity_type_id"])
            keys = [t["key_string"] for t in found.values()]
        return queries.activities_count(conn, company_id, name == "activities_completed", since, until, owners, keys)
    pipes = params.get("pipeline_id")
    if name == "deals_progressed":
        into = {"to_stage_id": params["stage_id"], "since": since, "until": until}
        moves = queries.stage_moves(conn, company_id, owner_ids=owners, pipeline_ids=pipes, seen=seen, **into)
        moved = {r["deal_id"]: r["deal_value"] for r in moves}
        return sum(moved.values()) if by_sum else len(moved)
    if name == "deals_started":
        groups = queries.goal_deal_groups(conn, company_id, "added", since, until, owners, pipes, seen)
    else:
        groups = queries.goal_deal_groups(conn, company_id, "won", since, until, owners, pipes, seen)
    if name == "revenue_forecast":
        groups += queries.goal_deal_groups(conn, company_id, "expected", start, end, owners, pipes, seen)
        if by_sum:
            return sum(group_weights(unit, groups))
    return sum(g["total"] for g in groups) if by_sum else sum(g["count"] for g in groups)
