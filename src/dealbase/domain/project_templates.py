"""Project templates: a board's ready-made projects, read-only through the API.

Pipedrive's templates are made in its web app; the API lists and reads them, and a project
added with ``template_id`` starts from one (``domain/projects.py``): on the template's
board, with its description, and with a task for each of the template's tasks, placed in
its phase of the project's plan. A company starts with ``DEFAULTS`` on its first board
(``bootstrap.py``).
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

# (title, description, tasks: (phase's position on the board, from 1; title; description))
DEFAULTS: tuple[tuple[str, str, tuple[tuple[int, str, str], ...]], ...] = (
    (
        "Customer onboarding",
        "From the signed deal to a customer who uses what they bought",
        (
            (1, "Kick-off call", "Agree on goals, contacts and the timeline"),
            (1, "Collect the customer's data", "What the set-up needs"),
            (2, "Set up the account", ""),
            (2, "Train the customer's team", ""),
            (3, "Hand over to account management", "Notes on the customer and what was agreed"),
        ),
    ),
    (
        "Service delivery",
        "A piece of work sold in a deal, planned, done and signed off",
        (
            (1, "Plan the work", "Scope, people and dates"),
            (2, "Do the work", ""),
            (3, "Get the customer's sign-off", ""),
            (3, "Send the invoice", ""),
        ),
    ),
)


def default_rows(board_id: int, phase_ids: list[int], owner_id: int, times: dict[str, str]):
    """The rows of ``DEFAULTS`` on a board whose phases are ``phase_ids`` (in their order):
    each template's row and a function of its id giving its tasks' rows."""
    for title, description, tasks in DEFAULTS:
        template = {"title": title, "description": description, "board_id": board_id, "owner_id": owner_id, **times}

        def task_rows(template_id: int, tasks=tasks) -> list[dict[str, Any]]:
            return [
                {
                    "template_id": template_id,
                    "phase_id": phase_ids[min(phase, len(phase_ids)) - 1],
                    "title": task,
                    "description": text or None,
                    "order_nr": i,
                    **times,
                }
                for i, (phase, task, text) in enumerate(tasks, 1)
            ]

        yield template, task_rows


def chosen(unit, value: Any, lenient: bool) -> dict[str, Any]:
    """The live template a project's ``template_id`` names (v1 takes digits in a string too),
    else a refusal naming the key."""
    if lenient and isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput("Validation failed: template_id: must be a positive integer")
    row = repo.get(unit.conn, table, unit.company_id, value)
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
