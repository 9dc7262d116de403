"""v1 goals: add, find, update, delete, and a goal's result for a period.

Each write records a change event (``entity`` ``goal``, the id in ``entity_uuid``).
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers.statistics import date_param
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import goal_results, goals
from dealbase.domain.statistics import money
from dealbase.store import repository as repo
from dealbase.store.tables import goals as table

handlers = Handlers()

Row = dict[str, Any]


def _load(ctx: Ctx) -> Row:
    key = ctx.path["id"]
    row = repo.get(ctx.conn, table, ctx.company_id, key) if len(key) <= 32 else None
    if row is None or row["is_deleted"]:
        raise NotFound("Goal not found")
    return row


@handlers.operation("v1", "add_goal", write=True)
def add_goal(ctx: Ctx) -> Reply:
    return ok({"goal": goals.present(goals.add(ctx, goals.parse(ctx, ctx.body, None)))})


@handlers.operation("v1", "update_goal", write=True)
def update_goal(ctx: Ctx) -> Reply:
    old = _load(ctx)
    return ok({"goal": goals.present(goals.update(ctx, old, goals.parse(ctx, ctx.body, old)))})


@handlers.operation("v1", "delete_goal", write=True)
def delete_goal(ctx: Ctx) -> Reply:
    goals.delete(ctx, _load(ctx))
    return ok(None)


def _ids_match(stored: list[int] | None, wanted: list[int] | None) -> bool:
    """A goal's id list (null: all) covers every id asked for."""
    return wanted is None or stored is None or set(wanted) <= set(stored)


@handlers.operation("v1", "get_goals")
def get_goals(ctx: Ctx) -> Reply:
    """Goals matching every filter given. With none of the filters that widen the search
    (everything but ``is_active`` and the period), only the caller's own goals."""
    c = table.c
    where: list[Any] = [c.is_deleted.is_(False)]
    type_name = ctx.choice_param("type.name", goals.TYPES)
    kind = ctx.choice_param("assignee.type", goals.ASSIGNEES)
    metric = ctx.choice_param("expected_outcome.tracking_metric", goals.METRICS)
    assignee = ctx.int_param("assignee.id", minimum=1)
    currency = ctx.int_param("expected_outcome.currency_id", minimum=1)
    stage = ctx.int_param("type.params.stage_id", minimum=1)
    pipes = ctx.ids_param("type.params.pipeline_id", maximum=goals.MAX_IDS)
    kinds = ctx.ids_param("type.params.activity_type_id", maximum=goals.MAX_IDS)
    target_raw = ctx.raw("expected_outcome.target")
    title = ctx.raw("title")
    for value, column in (
        (type_name, c.type_name),
        (kind, c.assignee_type),
        (metric, c.tracking_metric),
        (assignee, c.assignee_id),
        (currency, c.currency_id),
        (title, c.title),
    ):
        if value is not None:
            where.append(column == value)
    if target_raw:
        try:
            where.append(c.target == float(target_raw))
        except ValueError:
            raise BadRequest("Invalid 'expected_outcome.target' parameter: must be a number") from None
    widened = any(v is not None for v in (type_name, kind, metric, assignee, currency, stage, pipes, kinds, title))
    if not widened and not target_raw:
        where += [c.assignee_type == "person", c.assignee_id == ctx.user_id]
    start_raw, end_raw = ctx.raw("period.start"), ctx.raw("period.end")
    if start_raw or end_raw:
        if not (start_raw and end_raw):
            raise BadRequest("Invalid 'period.start' parameter: period.start and period.end go together")
        start, end = date_param(ctx, "period.start").isoformat(), date_param(ctx, "period.end").isoformat()
        if end < start:
            raise BadRequest("Invalid 'period.end' parameter: must not be before period.start")
        where += [c.duration_start <= end, c.duration_end.is_(None) | (c.duration_end >= start)]
    active = ctx.bool_param("is_active", True)
    rows = repo.all_rows(ctx.conn, table, ctx.company_id, *where, order_by=[c.id])
    found = []
    for row in rows:
        params = orjson.loads(row["params"])
        if stage is not None and params.get("stage_id") != stage:
            continue
        if pipes is not None and ("pipeline_id" not in params or not _ids_match(params["pipeline_id"], pipes)):
            continue
        if kinds is not None and (
            "activity_type_id" not in params or not _ids_match(params["activity_type_id"], kinds)
        ):
            continue
        if goals.is_active(row) != active:
            continue
        found.append(goals.present(row))
    return ok({"goals": found})


@handlers.operation("v1", "get_goal_result")
def get_goal_result(ctx: Ctx) -> Reply:
    """The goal's progress over ``period.start`` .. ``period.end``, inside its duration."""
    goal = _load(ctx)
    start, end = date_param(ctx, "period.start").isoformat(), date_param(ctx, "period.end").isoformat()
    if end < start:
        raise BadRequest("Invalid 'period.end' parameter: must not be before period.start")
    if start < goal["duration_start"]:
        raise BadRequest("Invalid 'period.start' parameter: must not be before the goal's start")
    if goal["duration_end"] is not None and end > goal["duration_end"]:
        raise BadRequest("Invalid 'period.end' parameter: must not be after the goal's end")
    value = goal_results.progress(ctx, goal, start, end)
    return ok({"progress": money(value), "goal": goals.present(goal)})
