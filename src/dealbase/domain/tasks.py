"""Tasks: the to-dos of a project, possibly under a parent task of the same project."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import ColumnElement

from dealbase.domain import hooks, service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param, id_filters, is_
from dealbase.domain.projects import one_and_many
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import tasks as table


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        values["creator_id"] = ctx.user_id
        values.setdefault("assignee_ids", "[]")
    if "is_done" in values and values["is_done"] is None:  # v1 sends it as done: the message names is_done
        raise BadInput("Validation failed: is_done: must not be null")
    done = values.get("is_done")
    if done is not None and done != bool(old and old["is_done"]):
        values["marked_as_done_time"] = stamp if done else None
    one_and_many(values, "assignee_id", "assignee_ids")
    project_id = values.get("project_id", old and old["project_id"])
    parent_id = values.get("parent_task_id", old and old["parent_task_id"])
    if parent_id is not None and ("parent_task_id" in values or "project_id" in values):
        if old is not None and parent_id == old["id"]:
            raise BadInput("Validation failed: parent_task_id: a task cannot be its own parent")
        parent = repo.get(ctx.conn, table, ctx.company_id, parent_id)
        if parent["project_id"] != project_id:
            raise BadInput(f"Validation failed: parent_task_id: task {parent_id} is not in project {project_id}")
    start = values.get("start_date", old and old["start_date"])
    due = values.get("due_date", old and old["due_date"])
    if start and due and due < start:
        raise BadInput("Validation failed: due_date: must not be before start_date")
    return values


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["done"] = 1 if row["is_done"] else 0
        item["assignee_ids"] = orjson.loads(row["assignee_ids"]) if row["assignee_ids"] else []


# -- lists ----------------------------------------------------------------------------------

QUICK = id_filters(table, {k: k for k in ("assignee_id", "project_id", "parent_task_id")})
FLAGS_V2 = (Param("is_done", "bool", is_(table.c.is_done)), Param("is_milestone", "bool", is_(table.c.is_milestone)))
# ``/v1/projects/{id}/tasks`` (served for ``api/handlers/projects.py``).
PROJECT_TASKS = Listing(
    "v1", "get_project_tasks", paging="cursor", parent="project", link="project_id", parent_alive=True
)


def done_v1(done: str, unit: Any) -> list[ColumnElement]:
    """v1 ``done``: 0 or 1."""
    if done not in ("0", "1"):
        raise BadInput("Invalid 'done' parameter: must be 0 or 1")
    return [table.c.is_done.is_(done == "1")]


TASK = register(
    Entity(
        name="task",
        plural="tasks",
        label="Task",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("title", "str", required=True, nullable=False, max_length=255),
            Field("description", "str"),
            Field("creator_id", "int", ref="user", writable=False),
            Field("project_id", "int", required=True, ref="project", nullable=False),
            Field("is_done", "bool", v1="done"),
            Field("is_milestone", "bool", v1=None, nullable=False),
            Field("due_date", "date"),
            Field("start_date", "date", v1=None),
            Field("parent_task_id", "int", ref="task"),
            Field("assignee_id", "int", ref="user", v2=None),
            Field("assignee_ids", "ids", ref="user"),
            Field("priority", "int", v1=None),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("marked_as_done_time", "time", writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        lists=(
            Listing("v2", "get_tasks", (*QUICK, *FLAGS_V2), paging="v2", sorts=("id",)),
            Listing("v1", "get_tasks", (*QUICK, Param("done", "string", done_v1)), paging="cursor"),
        ),
        rules=rules,
        v1_extra=v1_extra,
        v1_refs="plain",
        created_v1=201,
        created_v2=201,
        deleted_readable=False,
    )
)


@hooks.after_delete
def project_deleted(unit, entity, old) -> None:
    """A deleted project's tasks go with it (each with its delete event)."""
    if entity.name != "project":
        return
    stamp = unit.clock()
    alive = (table.c.project_id == old["id"], table.c.is_deleted.is_(False))
    for task in repo.all_rows(unit.conn, table, unit.company_id, *alive):
        service.delete(unit, TASK, task, stamp)
