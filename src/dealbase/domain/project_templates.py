"""Project templates: a board's ready-made projects, read-only through the API.

Pipedrive's templates are made in its web app; the API lists and reads them, and a project
added with ``template_id`` starts from one (``domain/projects.py``): on the template's
board, with its description, and with a task for each of the template's tasks, placed in
its phase of the project's plan. A company starts with ``bootstrap.py``'s
``DEFAULT_TEMPLATES`` on its first board.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing
from dealbase.domain.registry import register
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import project_template_tasks as tasks_table
from dealbase.store.tables import project_templates as table


def chosen(unit, value: Any, lenient: bool) -> dict[str, Any]:
    """The live template a project's ``template_id`` names (v1 takes digits in a string too),
    else a refusal naming the key."""
    if lenient and isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput("Validation failed: template_id: must be a positive integer")
    # past a 32-bit id (PostgreSQL's integer columns) no row has it
    row = repo.get(unit.conn, table, unit.company_id, value) if value < 2**31 else None
    if row is None or row["is_deleted"]:
        raise BadInput(f"Validation failed: template_id: {TEMPLATE.label} with id {value} not found")
    return row


def tasks_of(unit, template_id: int) -> list[dict[str, Any]]:
    t = tasks_table.c
    return repo.all_rows(
        unit.conn, tasks_table, unit.company_id, t.template_id == template_id, order_by=[t.order_nr, t.id]
    )


TEMPLATE = register(
    Entity(
        name="project_template",
        plural="project_templates",
        label="Project template",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("title", "str", writable=False),
            Field("description", "str", writable=False),
            Field("board_id", "int", v1="projects_board_id", v2="projects_board_id", writable=False),
            Field("owner_id", "int", ref="user", writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        lists=(
            Listing("v1", "get_project_templates", paging="cursor"),
            Listing("v2", "get_project_templates", paging="v2", sorts=("id",)),
        ),
        v1_refs="plain",
        deleted_readable=False,
    )
)
