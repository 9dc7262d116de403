"""Tasks of projects (v1 and v2): list, get, add, update, delete."""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.paging import cursor_page
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain.projects import PROJECT
from dealbase.domain.tasks import TASK

handlers = Handlers()

c = TASK.table.c
# v2 bodies name the flags ``done`` / ``milestone`` (0 or 1) and may give one ``assignee_id``;
# v2 objects answer ``is_done`` / ``is_milestone`` and ``assignee_ids``.
FLAGS_V2 = {"done": "is_done", "milestone": "is_milestone"}


def v2_body(ctx: Ctx) -> None:
    body: Any = ctx.body
    if not isinstance(body, dict):
        return
    for given, key in FLAGS_V2.items():
        if given in body:
            value = body.pop(given)
            if value not in (0, 1):  # booleans too
                raise BadRequest(f"Validation failed: {given}: must be 0 or 1")
            body[key] = bool(value)
    if "assignee_id" in body:
        value = body.pop("assignee_id")
        if "assignee_ids" not in body:
            body["assignee_ids"] = [] if value is None else [value]


def where(ctx: Ctx) -> list:
    out = [c.is_deleted.is_(False)] + res.quick_filters(ctx, TASK)
    for param, column in (("is_done", c.is_done), ("is_milestone", c.is_milestone)):
        value = ctx.bool_param(param) if ctx.strict else None
        if value is not None:
            out.append(column.is_(value))
    if not ctx.strict:
        done = ctx.raw("done")
        if done not in (None, ""):
            if done not in ("0", "1"):
                raise BadRequest("Invalid 'done' parameter: must be 0 or 1")
            out.append(c.is_done.is_(done == "1"))
    return out


@handlers.operation("v2", "get_tasks")
def get_tasks_v2(ctx: Ctx):
    return res.list_v2(ctx, TASK, where(ctx), sorts=("id",))


@handlers.operation("v1", "get_tasks")
def get_tasks_v1(ctx: Ctx):
    rows, next_cursor = cursor_page(ctx, TASK.table, where(ctx))
    items, _ = res.render_v1(ctx, TASK, rows)
    return ok(items, {"next_cursor": next_cursor})


def project_tasks(ctx: Ctx):
    """``/v1/projects/{id}/tasks``."""
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    rows, next_cursor = cursor_page(ctx, TASK.table, [c.project_id == ctx.path_id(), c.is_deleted.is_(False)])
    items, _ = res.render_v1(ctx, TASK, rows)
    return ok(items, {"next_cursor": next_cursor})


res.bind(handlers, TASK, "v1", ops=("get", "add", "update"))
handlers.operation("v2", "get_task")(lambda ctx: res.get_one(ctx, TASK))


@handlers.operation("v2", "add_task", write=True)
def add_task_v2(ctx: Ctx):
    v2_body(ctx)
    return res.add(ctx, TASK)


@handlers.operation("v2", "update_task", write=True)
def update_task_v2(ctx: Ctx):
    v2_body(ctx)
    return res.update(ctx, TASK)


@handlers.operation("v2", "delete_task", write=True)
@handlers.operation("v1", "delete_task", write=True)
def delete_task(ctx: Ctx):
    return res.delete(ctx, TASK)
