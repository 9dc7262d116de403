"""Projects, their boards and phases, templates, plan, activities and users (``domain/projects.py``)."""

from __future__ import annotations

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx, required
from dealbase.api.errors import NotFound
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import projects, service
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.project_templates import TEMPLATE
from dealbase.domain.projects import BOARD, PHASE, PLAN_ITEM, PROJECT
from dealbase.domain.tasks import PROJECT_TASKS, TASK

handlers = Handlers()

# -- projects ----------------------------------------------------------------------------

res.bind(handlers, PROJECT, "v2", "v1", ops=("get", "add", "update"))
lists.bind(handlers, PROJECT)
# a project's activities and tasks (v1)
lists.bind(handlers, ACTIVITY, (projects.ACTIVITIES,))
lists.bind(handlers, TASK, (PROJECT_TASKS,))


@handlers.operation("v2", "delete_project", write=True)
def delete_project_v2(ctx: Ctx):
    return res.delete(ctx, PROJECT)


@handlers.operation("v1", "delete_project", write=True)
def delete_project_v1(ctx: Ctx):
    row = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    service.delete(ctx, PROJECT, row)
    return ok({"success": True, "data": {"id": row["id"]}})


@handlers.operation("v2", "archive_project", write=True)
@handlers.operation("v1", "archive_project", write=True)
def archive_project(ctx: Ctx):
    return res.reply_one(ctx, PROJECT, projects.archive(ctx, res.load(ctx, PROJECT, ctx.path_id(), alive=True)))


@handlers.operation("v2", "get_project_users")
def get_project_users(ctx: Ctx):
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    return ok(projects.viewer_ids(ctx))


@handlers.operation("v1", "get_project_groups")
def get_project_groups(ctx: Ctx):
    """The project's groups of plan items: none are made here."""
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    return ok([])


# -- plan --------------------------------------------------------------------------------


@handlers.operation("v1", "get_project_plan")
def get_project_plan(ctx: Ctx):
    project = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    return ok(res.render_v1(ctx, PLAN_ITEM, projects.plan(ctx, project))[0])


def put_plan_item(ctx: Ctx, item_type: str, item_id: int):
    project = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    row = projects.place(ctx, project, item_type, item_id, projects.plan_values(ctx.body))
    return ok(res.render_v1(ctx, PLAN_ITEM, [row])[0][0])


@handlers.operation("v1", "put_project_plan_activity", write=True)
def put_project_plan_activity(ctx: Ctx):
    activity = res.load(ctx, ACTIVITY, ctx.path_id("activityId"), alive=True)
    return put_plan_item(ctx, "activity", activity["id"])


@handlers.operation("v1", "put_project_plan_task", write=True)
def put_project_plan_task(ctx: Ctx):
    task = res.load(ctx, TASK, ctx.path_id("taskId"), alive=True)
    if task["project_id"] != ctx.path_id():
        raise NotFound("Task not found")
    return put_plan_item(ctx, "task", task["id"])


# -- boards and phases -------------------------------------------------------------------


def _ordered(ctx: Ctx, entity, **equal):
    rows = projects.live_rows(ctx, entity, **equal)
    return ok(res.render_v2(ctx, entity, rows) if ctx.strict else res.render_v1(ctx, entity, rows)[0])


def _get(ctx: Ctx, entity):
    return res.reply_one(ctx, entity, res.load(ctx, entity, ctx.path_id(), alive=True))


for _api in ("v1", "v2"):
    handlers.operation(_api, "get_projects_boards")(lambda ctx: _ordered(ctx, BOARD))
    handlers.operation(_api, "get_projects_board")(lambda ctx: _get(ctx, BOARD))
    handlers.operation(_api, "get_projects_phase")(lambda ctx: _get(ctx, PHASE))


@handlers.operation("v1", "get_projects_phases")
@handlers.operation("v2", "get_projects_phases")
def get_projects_phases(ctx: Ctx):
    board_id = required("board_id", ctx.int_param("board_id", minimum=1))
    res.load(ctx, BOARD, board_id, alive=True)
    return _ordered(ctx, PHASE, board_id=board_id)


# A board with live projects on it, or a phase with some in it, stays (``before_delete``).
res.bind(handlers, BOARD, "v2", ops=("add", "update", "delete"))
res.bind(handlers, PHASE, "v2", ops=("add", "update", "delete"))


# -- templates (``domain/project_templates.py``): read-only ------------------------------

res.bind(handlers, TEMPLATE, "v2", "v1", ops=("get",))
lists.bind(handlers, TEMPLATE)
