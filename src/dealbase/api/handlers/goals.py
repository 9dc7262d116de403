"""v1 goals and a goal's result for a period (``domain/goals.py``, ``domain/goal_results.py``)."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers.statistics import date_range
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import goal_results, goals

handlers = Handlers()


def _load(ctx: Ctx) -> goals.Row:
    if (row := goals.live(ctx, ctx.path["id"])) is None:
        raise NotFound("Goal not found")
    return row


def _period(ctx: Ctx, optional: bool = False) -> tuple[str, str] | None:
    """``period.start`` .. ``period.end`` (dates); where optional, both or neither."""
    given = [bool(ctx.raw("period.start")), bool(ctx.raw("period.end"))]
    if optional and not any(given):
        return None
    if optional and not all(given):
        raise BadRequest("Invalid 'period.start' parameter: period.start and period.end go together")
    start, end = date_range(ctx, "period.start", "period.end")
    return start.isoformat(), end.isoformat()


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


def _target(ctx: Ctx) -> float | None:
    raw = ctx.raw("expected_outcome.target")
    try:
        return float(raw) if raw else None
    except ValueError:
        raise BadRequest("Invalid 'expected_outcome.target' parameter: must be a number") from None


@handlers.operation("v1", "get_goals")
def get_goals(ctx: Ctx) -> Reply:
    """Goals matching every filter given (``domain/goals.py: find``)."""
    equal = {
        "type_name": ctx.choice_param("type.name", goals.TYPES),
        "assignee_type": ctx.choice_param("assignee.type", goals.ASSIGNEES),
        "tracking_metric": ctx.choice_param("expected_outcome.tracking_metric", goals.METRICS),
        "assignee_id": ctx.int_param("assignee.id", minimum=1),
        "currency_id": ctx.int_param("expected_outcome.currency_id", minimum=1),
    }
    stage = ctx.int_param("type.params.stage_id", minimum=1)
    pipes = ctx.ids_param("type.params.pipeline_id", maximum=goals.MAX_IDS)
    kinds = ctx.ids_param("type.params.activity_type_id", maximum=goals.MAX_IDS)
    equal.update(title=ctx.raw("title"), target=_target(ctx))
    wanted = goals.Wanted(equal, stage, pipes, kinds, _period(ctx, optional=True), ctx.bool_param("is_active", True))
    return ok({"goals": [goals.present(row) for row in goals.find(ctx, wanted)]})


@handlers.operation("v1", "get_goal_result")
def get_goal_result(ctx: Ctx) -> Reply:
    """The goal's progress over ``period.start`` .. ``period.end``, inside its duration."""
    goal = _load(ctx)
    return ok({"progress": goal_results.result(ctx, goal, *_period(ctx)), "goal": goals.present(goal)})
