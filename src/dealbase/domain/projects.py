"""Projects: boards, their phases, and projects on a board in one of its phases.

A company starts with one board and its phases (``bootstrap.py``, migration 0014). A project
added without a board goes on the first board; without a phase, into the board's first
phase. v1 gives a project one person and one organization; v2 gives lists of them: both are
stored and each write keeps them in step.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain import project_templates, service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param, archived, id_filters, statuses
from dealbase.domain.registry import ENTITIES, register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import projects as table
from dealbase.store.tables import projects_boards as boards_table
from dealbase.store.tables import projects_phases as phases_table
from dealbase.store.tables import projects_plan as plan_table
from dealbase.store.tables import users

STATUSES = ("open", "completed", "canceled")
# What project lists filter by: a deleted project is listed as deleted, whatever it was.
LIST_STATUSES = (*STATUSES, "deleted")
DEFAULT_BOARD = "Delivery"
DEFAULT_PHASES = ("Planning", "In progress", "Done")


def _order_last(ctx, tbl, values: dict[str, Any], *where) -> None:
    if values.get("order_nr") is None:
        values["order_nr"] = (repo.max_of(ctx.conn, tbl, ctx.company_id, "order_nr", *where) or 0) + 1


def board_rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        _order_last(ctx, boards_table, values, boards_table.c.is_deleted.is_(False))
    return values


def phase_rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    board_id = values.get("board_id", old and old["board_id"])
    moving = old is not None and board_id != old["board_id"]
    live = (phases_table.c.board_id == board_id, phases_table.c.is_deleted.is_(False))
    order = values.get("order_nr")
    if order is not None:
        count = repo.grouped(ctx.conn, phases_table, ctx.company_id, live, ())[0]["count"]
        if not 1 <= order <= count + (1 if old is None or moving else 0):
            raise BadInput("Validation failed: order_nr: must be between 1 and the number of phases on the board + 1")
    if old is None or moving:
        _order_last(ctx, phases_table, values, *live)
    return values


def _has_projects(unit, column: str, row_id: int) -> bool:
    c = table.c
    return repo.first(unit.conn, table, unit.company_id, c[column] == row_id, c.is_deleted.is_(False)) is not None


def board_deleted(unit, board: dict[str, Any], stamp: str) -> None:
    """A board with live projects on it stays (a refusal); its phases go with it."""
    if _has_projects(unit, "board_id", board["id"]):
        raise BadInput("Validation failed: board has projects: move or delete them first")
    for phase in live_rows(unit, PHASE, board_id=board["id"]):
        service.delete(unit, PHASE, phase, stamp)


def phase_deleted(unit, phase: dict[str, Any], stamp: str) -> None:
    """A phase with live projects in it stays (a refusal)."""
    if _has_projects(unit, "phase_id", phase["id"]):
        raise BadInput("Validation failed: phase has projects: move or delete them first")


def first_phase(ctx, board_id: int) -> dict[str, Any] | None:
    c = phases_table.c
    live = (c.board_id == board_id, c.is_deleted.is_(False))
    return repo.first(ctx.conn, phases_table, ctx.company_id, *live, order_by=[c.order_nr, c.id])


def _place(ctx, values: dict[str, Any], old: dict[str, Any] | None) -> None:
    """The board and phase: a phase decides its board; a new project without either goes on
    the first board's first phase; a phase must be on the project's board."""
    phase_id = values.get("phase_id", old and old["phase_id"])
    board_id = values.get("board_id", old and old["board_id"])
    if "phase_id" in values:
        phase = repo.get(ctx.conn, phases_table, ctx.company_id, phase_id)
        if "board_id" in values and phase["board_id"] != board_id:
            raise BadInput(f"Validation failed: phase_id: phase {phase_id} is not on board {board_id}")
        values["board_id"] = phase["board_id"]
        return
    if board_id is None:
        c = boards_table.c
        board = repo.first(ctx.conn, boards_table, ctx.company_id, c.is_deleted.is_(False), order_by=[c.order_nr, c.id])
        if board is None:
            raise BadInput("Validation failed: board_id: the company has no project board")
        board_id = values["board_id"] = board["id"]
    if old is None or board_id != old["board_id"]:
        phase = first_phase(ctx, board_id)
        if phase is None:
            raise BadInput(f"Validation failed: board_id: board {board_id} has no phases")
        values["phase_id"] = phase["id"]


def one_and_many(values: dict[str, Any], one: str, many: str) -> None:
    """Keep v1's single id and v2's id list in step (the first of the list is the one)."""
    if many in values:
        ids = orjson.loads(values[many]) if values[many] else []
        values[many] = orjson.dumps(ids).decode()
        values[one] = ids[0] if ids else None
    elif one in values:
        values[many] = orjson.dumps([] if values[one] is None else [values[one]]).decode()


def _from_template(ctx, values: dict[str, Any], given: Input) -> int | None:
    """A new project from a template (``template_id``, read on a create only): on the
    template's board, with its description unless one is given; the template's id, whose
    tasks follow the row (``after_write``)."""
    if given.own.get("template_id") is None:
        return None
    template = project_templates.chosen(ctx, given.own["template_id"], given.lenient)
    board_id = values.setdefault("board_id", template["board_id"])
    if board_id != template["board_id"]:
        raise BadInput(f"Validation failed: board_id: template {template['id']} is for board {template['board_id']}")
    values.setdefault("description", template["description"])
    return template["id"]


def after_write(unit, old: dict[str, Any] | None, project: dict[str, Any] | None) -> None:
    """A project made from a template gets the template's tasks after its create event, each
    in its phase of the project's plan (a phase deleted since: in the plan without one)."""
    template_id = unit.scratch.pop("project_template", None)
    if template_id is None or project is None:
        return
    task_entity = ENTITIES["task"]  # domain/tasks.py builds on this module
    for item in project_templates.tasks_of(unit, template_id):
        values = {"title": item["title"], "description": item["description"], "project_id": project["id"]}
        task = service.create(unit, task_entity, Input(values))
        phase = repo.get(unit.conn, phases_table, unit.company_id, item["phase_id"])
        placed = {} if phase["is_deleted"] or phase["board_id"] != project["board_id"] else {"phase_id": phase["id"]}
        place(unit, project, "task", task["id"], placed)


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    template_id = _from_template(ctx, values, given) if old is None else None
    if values.get("status") == "deleted":  # an update to status deleted deletes the project
        if old is None:
            raise BadInput("Validation failed: status: a new project cannot be deleted")
        del values["status"]
        values["is_deleted"] = True
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values.setdefault("status", "open")
        values["status_change_time"] = stamp
        values.setdefault("deal_ids", "[]")
        values.setdefault("label_ids", "[]")
    elif values.get("status") is not None and values["status"] != old["status"]:
        values["status_change_time"] = stamp
    _place(ctx, values, old)
    one_and_many(values, "person_id", "person_ids")
    one_and_many(values, "org_id", "org_ids")
    start = values.get("start_date", old and old["start_date"])
    end = values.get("end_date", old and old["end_date"])
    if start and end and end < start:
        raise BadInput("Validation failed: end_date: must not be before start_date")
    if template_id is not None:
        ctx.scratch["project_template"] = template_id
    return values


def _id_list(value: str | None) -> list[int]:
    return orjson.loads(value) if value else []


def _deleted_status(rows, items) -> None:
    # A deleted project keeps the status it had in its column; Pipedrive shows it as deleted
    # (the status lists filter by), so a delete needs no write beyond is_deleted.
    for row, item in zip(rows, items):
        if row["is_deleted"]:
            item["status"] = "deleted"


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["deal_ids"] = _id_list(row["deal_ids"])
        item["labels"] = _id_list(row["label_ids"])
    _deleted_status(rows, items)


def v2_extra(ctx, rows, items, include) -> None:
    _deleted_status(rows, items)


BOARD = register(
    Entity(
        name="project_board",
        plural="projects_boards",
        label="Board",
        table=boards_table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True, nullable=False, max_length=255),
            Field("order_nr", "int"),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        rules=board_rules,
        before_delete=board_deleted,
    )
)

PHASE = register(
    Entity(
        name="project_phase",
        plural="projects_phases",
        label="Phase",
        table=phases_table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True, nullable=False, max_length=255),
            Field("board_id", "int", required=True, ref="project_board", nullable=False),
            Field("order_nr", "int"),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        rules=phase_rules,
        before_delete=phase_deleted,
    )
)

# -- lists ----------------------------------------------------------------------------------

LIST_PARAMS = (
    *id_filters(table, {"phase_id": "phase_id"}),
    Param("status", "list", statuses(table, LIST_STATUSES), replaces_alive=True),
)
# filter_id overrides phase_id and (leaving the projects not deleted) status.
LIST_OVERRIDES = ("phase_id", "status")
NOT_ARCHIVED = archived(table.c.is_archived, False)
# v1 lists projects of either kind, or (the default) only those not archived; read first.
INCLUDE_ARCHIVED = Param(
    "include_archived", "bool", lambda value, unit: [] if value else [NOT_ARCHIVED], absent=lambda unit: [NOT_ARCHIVED]
)
LISTS = (
    Listing("v2", "get_projects", LIST_PARAMS, "v2", archived=False, filter_id=LIST_OVERRIDES, sorts=("id",)),
    Listing("v2", "get_archived_projects", LIST_PARAMS, "v2", archived=True, filter_id=LIST_OVERRIDES, sorts=("id",)),
    Listing("v1", "get_projects", (INCLUDE_ARCHIVED, *LIST_PARAMS), paging="cursor", filter_id=LIST_OVERRIDES),
)
# ``/v1/projects/{id}/activities`` (a list of activities, bound by ``api/handlers/projects.py``).
ACTIVITIES = Listing(
    "v1",
    "get_project_activities",
    paging="cursor",
    refs="plain",
    parent="project",
    link="project_id",
    parent_alive=True,
)

PROJECT = register(
    Entity(
        name="project",
        plural="projects",
        label="Project",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("title", "str", required=True, nullable=False, max_length=255),
            Field("description", "str"),
            Field("status", "str", choices=(*STATUSES, "deleted"), nullable=False),
            Field("board_id", "int", ref="project_board", nullable=False),
            Field("phase_id", "int", ref="project_phase", nullable=False),
            Field("owner_id", "int", ref="user", nullable=False),
            Field("start_date", "date"),
            Field("end_date", "date"),
            Field("deal_ids", "ids", ref="deal"),
            Field("person_id", "int", ref="person", v2=None),
            Field("org_id", "int", ref="organization", v2=None),
            Field("person_ids", "ids", ref="person", v1=None),
            Field("org_ids", "ids", ref="organization", v1=None),
            Field("label_ids", "ids", v1="labels"),
            Field("health_status", "str", v1=None, writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("status_change_time", "time", writable=False),
            Field("archive_time", "time", writable=False),
            Field("is_archived", "bool", v1=None, v2=None, writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        lists=LISTS,
        rules=rules,
        own_keys=("template_id",),
        after_write=after_write,
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        v1_refs="plain",
        has_custom_fields=True,
        created_v1=201,
        created_v2=201,
    )
)


# -- a project's plan: where its activities and tasks sit (a child collection of projects) ---


def plan_rules(unit, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    """A plan item's phase is one of its project's board; no groups are made here."""
    if "phase_id" in values:
        project = repo.get(unit.conn, table, unit.company_id, values.get("project_id", old and old["project_id"]))
        phase = repo.get(unit.conn, phases_table, unit.company_id, values["phase_id"])
        if phase is None or phase["is_deleted"] or phase["board_id"] != project["board_id"]:
            raise BadInput(f"Validation failed: phase_id: phase {values['phase_id']} is not on the project's board")
    if "group_id" in values:
        raise BadInput(f"Validation failed: group_id: group {values['group_id']} not found")
    return values


# v1 only; the item's own id is no key of it (an item is named by project, type and id).
PLAN_ITEM = register(
    Entity(
        name="project_plan_item",
        plural="projects_plan",
        label="Plan item",
        table=plan_table,
        fields=[
            Field("id", "int", v1=None, v2=None, writable=False),
            Field("project_id", "int", v1=None, v2=None, writable=False),
            Field("item_id", "int", v2=None, writable=False),
            Field("item_type", "str", v2=None, writable=False),
            Field("phase_id", "int", v2=None),
            Field("group_id", "int", v2=None),
            Field("add_time", "time", v1=None, v2=None, writable=False),
            Field("update_time", "time", v1=None, v2=None, writable=False),
        ],
        rules=plan_rules,
        v1_refs="plain",
    )
)


def plan_values(body: Any) -> dict[str, int]:
    """``phase_id`` and ``group_id`` of a plan item from a request body (nulls: not given)."""
    values: dict[str, int] = {}
    for key in ("phase_id", "group_id"):
        if key in body and body[key] is not None:
            value = body[key]
            if isinstance(value, bool) or not isinstance(value, int):
                raise BadInput(f"Validation failed: {key}: must be an integer")
            values[key] = value
    return values


def plan(unit, project: dict[str, Any]) -> list[dict[str, Any]]:
    p = plan_table.c
    return repo.all_rows(unit.conn, plan_table, unit.company_id, p.project_id == project["id"], order_by=[p.id])


def place(unit, project: dict[str, Any], item_type: str, item_id: int, values: dict[str, int]) -> dict[str, Any]:
    """An activity or a task put in the project's plan, or moved in it; the plan item."""
    p = plan_table.c
    where = (p.project_id == project["id"], p.item_type == item_type, p.item_id == item_id)
    old = repo.first(unit.conn, plan_table, unit.company_id, *where)
    if old is not None:
        return service.update(unit, PLAN_ITEM, old, Input(values, api="v1"))
    new = {"project_id": project["id"], "item_type": item_type, "item_id": item_id, **values}
    return service.create(unit, PLAN_ITEM, Input(new, api="v1"))


# -- the writes of projects, boards and phases beyond the generic ones -----------------------


def archive(unit, project: dict[str, Any]) -> dict[str, Any]:
    """The project archived (once: archiving it again changes nothing); the row."""
    if project["is_archived"]:
        return project
    stamp = unit.clock()
    return service.write_changes(unit, PROJECT, project, {"is_archived": True, "archive_time": stamp}, stamp)


def live_rows(unit, entity: Entity, **equal: Any) -> list[dict[str, Any]]:
    """The live boards (or a board's phases: ``board_id=``) in their order."""
    t = entity.table.c
    where = [t[column] == value for column, value in equal.items()]
    return repo.all_rows(
        unit.conn, entity.table, unit.company_id, t.is_deleted.is_(False), *where, order_by=[t.order_nr, t.id]
    )


def viewer_ids(unit) -> list[int]:
    """Who may see a project: it is visible to the whole company, so every active user."""
    u = users.c
    return [r["id"] for r in repo.all_rows(unit.conn, users, unit.company_id, u.active_flag.is_(True), order_by=[u.id])]
