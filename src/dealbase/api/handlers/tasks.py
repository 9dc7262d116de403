"""Tasks of projects (v1 and v2): get, add, update, delete, and the lists the entity declares."""

from __future__ import annotations

from typing import Any

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.router import Handlers
from dealbase.domain.tasks import PROJECT_TASKS, TASK

handlers = Handlers()

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


lists.bind(handlers, TASK)
# ``/v1/projects/{id}/tasks``, bound by ``api/handlers/projects.py``.
project_tasks = lists.plan(TASK, PROJECT_TASKS)
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
