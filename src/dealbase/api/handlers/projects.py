"""Projects (v1 and v2), their boards and phases, templates, plan, activities and users."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers import tasks
from dealbase.api.paging import cursor_page
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.clock import now
from dealbase.domain import service
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.projects import BOARD, PHASE, PROJECT, STATUSES
from dealbase.domain.tasks import TASK
from dealbase.store import repository as repo
from dealbase.store.tables import projects_plan, users

handlers = Handlers()

c = PROJECT.table.c
LIST_STATUSES = (*STATUSES, "deleted")


def statuses(ctx: Ctx) -> list[ColumnElement]:
    """``status=open,completed,…``; without it every project that is not deleted."""
    wanted = ctx.list_param("status")
    if not wanted:
        return [c.is_deleted.is_(False)]
    if any(s not in LIST_STATUSES for s in wanted):
        raise BadRequest(f"Invalid 'status' parameter: must be one or more of {', '.join(LIST_STATUSES)}")
    live = [s for s in wanted if s != "deleted"]
    parts = [c.is_deleted.is_(False) & c.status.in_(live)] if live else []
    if "deleted" in wanted:
        parts.append(c.is_deleted.is_(True))
    return [or_(*parts)]


def project_where(ctx: Ctx) -> list[ColumnElement]:
    saved = res.saved_filter(ctx, PROJECT)
    if saved is not None:
        return saved + [c.is_deleted.is_(False)]
    return res.quick_filters(ctx, PROJECT) + statuses(ctx)


# -- projects ----------------------------------------------------------------------------

res.bind(handlers, PROJECT, "v2", "v1", ops=("get", "add", "update"))


@handlers.operation("v2", "get_projects")
def get_projects_v2(ctx: Ctx):
    return res.list_v2(ctx, PROJECT, project_where(ctx) + [c.is_archived.is_(False)], sorts=("id",))


@handlers.operation("v2", "get_archived_projects")
def get_archived_projects(ctx: Ctx):
    return res.list_v2(ctx, PROJECT, project_where(ctx) + [c.is_archived.is_(True)], sorts=("id",))


@handlers.operation("v1", "get_projects")
def get_projects_v1(ctx: Ctx):
    where = project_where(ctx)
    if not ctx.bool_param("include_archived"):
        where.append(c.is_archived.is_(False))
    rows, next_cursor = cursor_page(ctx, PROJECT.table, where)
    items, _ = res.render_v1(ctx, PROJECT, rows)
    return ok(items, {"next_cursor": next_cursor})


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
    old = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    row = old
    if not old["is_archived"]:
        stamp = now()
        row = service.write_changes(ctx, PROJECT, old, {"is_archived": True, "archive_time": stamp}, stamp)
    return res.reply_one(ctx, PROJECT, row)


@handlers.operation("v2", "get_project_users")
def get_project_users(ctx: Ctx):
    """Who may see the project: it is visible to the whole company, so every active user."""
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    rows = repo.all_rows(ctx.conn, users, ctx.company_id, users.c.active_flag.is_(True), order_by=[users.c.id])
    return ok([r["id"] for r in rows])


@handlers.operation("v1", "get_project_activities")
def get_project_activities(ctx: Ctx):
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    at = ACTIVITY.table.c
    rows, next_cursor = cursor_page(ctx, ACTIVITY.table, [at.project_id == ctx.path_id(), at.is_deleted.is_(False)])
    items, _ = res.render_v1(ctx, ACTIVITY, rows, "plain")
    return ok(items, {"next_cursor": next_cursor})


handlers.operation("v1", "get_project_tasks")(lambda ctx: tasks.project_tasks(ctx))


@handlers.operation("v1", "get_project_groups")
def get_project_groups(ctx: Ctx):
    """The project's groups of plan items: none are made here."""
    res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    return ok([])


# -- plan --------------------------------------------------------------------------------


def _plan_item(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "item_id": row["item_id"],
        "item_type": row["item_type"],
        "phase_id": row["phase_id"],
        "group_id": row["group_id"],
    }


@handlers.operation("v1", "get_project_plan")
def get_project_plan(ctx: Ctx):
    project = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    p = projects_plan.c
    rows = repo.all_rows(ctx.conn, projects_plan, ctx.company_id, p.project_id == project["id"], order_by=[p.id])
    return ok([_plan_item(r) for r in rows])


def put_plan_item(ctx: Ctx, item_type: str, item_id: int):
    project = res.load(ctx, PROJECT, ctx.path_id(), alive=True)
    values: dict[str, Any] = {}
    for key in ("phase_id", "group_id"):
        if key in ctx.body and ctx.body[key] is not None:
            value = ctx.body[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadRequest(f"Validation failed: {key}: must be an integer")
            values[key] = value
    if "phase_id" in values:
        phase = repo.get(ctx.conn, PHASE.table, ctx.company_id, values["phase_id"])
        if phase is None or phase["is_deleted"] or phase["board_id"] != project["board_id"]:
            raise BadRequest(f"Validation failed: phase_id: phase {values['phase_id']} is not on the project's board")
    if "group_id" in values:
        raise BadRequest(f"Validation failed: group_id: group {values['group_id']} not found")
    p = projects_plan.c
    found = repo.all_rows(
        ctx.conn, projects_plan, ctx.company_id,
        p.project_id == project["id"], p.item_type == item_type, p.item_id == item_id,
    )  # fmt: skip
    stamp = now()
    if found:
        old = found[0]
        changed = {k: v for k, v in values.items() if old[k] != v}
        if changed:
            changed["update_time"] = stamp
            service.change(ctx, projects_plan, old, changed, event="project_plan_item", stamp=stamp)
        row_id = old["id"]
    else:
        new = {"project_id": project["id"], "item_type": item_type, "item_id": item_id, **values}
        new.update(add_time=stamp, update_time=stamp)
        row_id = service.insert(ctx, projects_plan, new, event="project_plan_item", stamp=stamp)
    return ok(_plan_item(repo.get(ctx.conn, projects_plan, ctx.company_id, row_id)))


@handlers.operation("v1", "put_project_plan_activity", write=True)
def put_project_plan_activity(ctx: Ctx):
    activity = repo.get(ctx.conn, ACTIVITY.table, ctx.company_id, ctx.path_id("activityId"))
    if activity is None or activity["is_deleted"]:
        raise NotFound("Activity not found")
    return put_plan_item(ctx, "activity", activity["id"])


@handlers.operation("v1", "put_project_plan_task", write=True)
def put_project_plan_task(ctx: Ctx):
    task = repo.get(ctx.conn, TASK.table, ctx.company_id, ctx.path_id("taskId"))
    if task is None or task["is_deleted"] or task["project_id"] != ctx.path_id():
        raise NotFound("Task not found")
    return put_plan_item(ctx, "task", task["id"])


# -- boards and phases -------------------------------------------------------------------


def _ordered(ctx: Ctx, entity, *where) -> list[dict[str, Any]]:
    t = entity.table.c
    rows = repo.all_rows(
        ctx.conn, entity.table, ctx.company_id, t.is_deleted.is_(False), *where, order_by=[t.order_nr, t.id]
    )
    if ctx.strict:
        return res.render_v2(ctx, entity, rows)
    return res.render_v1(ctx, entity, rows)[0]


def _get(ctx: Ctx, entity):
    return res.reply_one(ctx, entity, res.load(ctx, entity, ctx.path_id(), alive=True))


for _api in ("v1", "v2"):
    handlers.operation(_api, "get_projects_boards")(lambda ctx: ok(_ordered(ctx, BOARD)))
    handlers.operation(_api, "get_projects_board")(lambda ctx: _get(ctx, BOARD))
    handlers.operation(_api, "get_projects_phase")(lambda ctx: _get(ctx, PHASE))


@handlers.operation("v1", "get_projects_phases")
@handlers.operation("v2", "get_projects_phases")
def get_projects_phases(ctx: Ctx):
    board_id = ctx.int_param("board_id", minimum=1)
    if board_id is None:
        raise BadRequest("Invalid 'board_id' parameter: is required")
    res.load(ctx, BOARD, board_id, alive=True)
    return ok(_ordered(ctx, PHASE, PHASE.table.c.board_id == board_id))


handlers.operation("v2", "add_project_board", write=True)(lambda ctx: res.add(ctx, BOARD))
handlers.operation("v2", "update_project_board", write=True)(lambda ctx: res.update(ctx, BOARD))
handlers.operation("v2", "add_project_phase", write=True)(lambda ctx: res.add(ctx, PHASE))
handlers.operation("v2", "update_project_phase", write=True)(lambda ctx: res.update(ctx, PHASE))


@handlers.operation("v2", "delete_project_board", write=True)
def delete_project_board(ctx: Ctx):
    """A board with live projects on it stays (400); its phases go with it."""
    board = res.load(ctx, BOARD, ctx.path_id(), alive=True)
    if repo.first(ctx.conn, PROJECT.table, ctx.company_id, c.board_id == board["id"], c.is_deleted.is_(False)):
        raise BadRequest("Validation failed: board has projects: move or delete them first")
    stamp = now()
    pc = PHASE.table.c
    for phase in repo.all_rows(
        ctx.conn, PHASE.table, ctx.company_id, pc.board_id == board["id"], pc.is_deleted.is_(False)
    ):
        service.delete(ctx, PHASE, phase, stamp)
    service.delete(ctx, BOARD, board, stamp)
    return ok({"id": board["id"]})


@handlers.operation("v2", "delete_project_phase", write=True)
def delete_project_phase(ctx: Ctx):
    """A phase with live projects in it stays (400)."""
    phase = res.load(ctx, PHASE, ctx.path_id(), alive=True)
    if repo.first(ctx.conn, PROJECT.table, ctx.company_id, c.phase_id == phase["id"], c.is_deleted.is_(False)):
        raise BadRequest("Validation failed: phase has projects: move or delete them first")
    service.delete(ctx, PHASE, phase)
    return ok({"id": phase["id"]})


# -- templates ---------------------------------------------------------------------------
# Templates are made in Pipedrive's web app only; none exist here.

for _api in ("v1", "v2"):
    handlers.operation(_api, "get_project_templates")(lambda ctx: ok([], {"next_cursor": None}))


@handlers.operation("v1", "get_project_template")
@handlers.operation("v2", "get_project_template")
def get_project_template(ctx: Ctx):
    ctx.path_id()
    raise NotFound("Project template not found")
