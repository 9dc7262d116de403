"""First start: a company, its admin user, an API token and a default pipeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from dealbase.clock import now
from dealbase.domain.activity_types import DEFAULTS as ACTIVITY_TYPES
from dealbase.domain.ids import new_uuid
from dealbase.domain.leads import DEFAULT_LABELS as LEAD_LABELS
from dealbase.domain.projects import DEFAULT_BOARD, DEFAULT_PHASES
from dealbase.domain.users import new_token
from dealbase.events.changes import record_creates
from dealbase.settings import Settings
from dealbase.store import companies
from dealbase.store import repository as repo
from dealbase.store.tables import (
    activity_types,
    lead_labels,
    pipelines,
    project_template_tasks,
    project_templates,
    projects_boards,
    projects_phases,
    stages,
    users,
)

DEFAULT_STAGES = (
    ("Qualified", 10),
    ("Contact Made", 20),
    ("Demo Scheduled", 40),
    ("Proposal Made", 60),
    ("Negotiations Started", 80),
)

# Project templates on the first board: (title, description, tasks: (the position of the
# task's phase on the board, from 1; title; description))
DEFAULT_TEMPLATES: tuple[tuple[str, str, tuple[tuple[int, str, str], ...]], ...] = (
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


@dataclass(frozen=True)
class NewUser:
    name: str
    email: str
    is_admin: bool = False


@dataclass
class Company:
    company_id: int
    user_id: int
    token: str


def create_company(
    conn: Connection,
    *,
    name: str,
    domain: str,
    admin_name: str,
    admin_email: str,
    token: str | None = None,
    currency: str = "USD",
    plan: str | None = None,
    seats: int | None = None,
    others: Sequence[NewUser] = (),
) -> Company:
    """A new company with its admin (and ``others``, more users), each with an API token,
    and its first rows, every one with its create event. Its rate limits follow ``plan`` and
    ``seats`` (not given: Lite, one seat)."""
    stamp = now()
    company = {"name": name, "domain": domain, "country": "US", "add_time": stamp}
    company |= {k: v for k, v in (("plan", plan), ("seats", seats)) if v is not None}
    company_id = companies.add(conn, company)
    user_id, token = _add_user(conn, company_id, NewUser(admin_name, admin_email, True), stamp, token, currency)
    for other in others:
        _add_user(conn, company_id, other, stamp, None, currency)
    _start_rows(conn, company_id, user_id, stamp)
    _record_start(conn, company_id, user_id, stamp)
    return Company(company_id, user_id, token)


def _add_user(
    conn: Connection, company_id: int, user: NewUser, stamp: str, token: str | None, currency: str
) -> tuple[int, str]:
    """A user of a company being made and its API token; the user's id and token."""
    values = {"name": user.name, "email": user.email, "is_admin": user.is_admin, "active_flag": True}
    user_id = repo.insert_row(conn, users, company_id, values | {"default_currency": currency, "created": stamp})
    token = token or new_token()
    companies.add_api_token(conn, company_id, user_id, token, stamp)
    return user_id, token


def restart(conn: Connection, company_id: int) -> None:
    """The company back to the state of a new one: every row of it gone but its users with
    an API token and their tokens, then its first rows again with their create events (the
    users' too). The version counters move so that no process serves what it cached of the
    old rows."""
    stamp = now()
    companies.empty(conn, company_id, stamp)
    admin_id = companies.first_admin_id(conn, company_id)
    _start_rows(conn, company_id, admin_id, stamp)
    _record_start(conn, company_id, admin_id, stamp)
    for counter in ("fields_version", "webhooks_version", "users_version"):
        repo.bump_company_counter(conn, company_id, counter)


def _start_rows(conn: Connection, company_id: int, admin_id: int, stamp: str) -> None:
    """A new company's default pipeline and stages, activity types, lead labels, project
    board and phases, and project templates (the admin's) with their tasks."""
    times = {"add_time": stamp, "update_time": stamp}
    pipeline_id = repo.insert_row(conn, pipelines, company_id, {"name": "Pipeline", "order_nr": 1, **times})
    repo.insert_rows(
        conn,
        stages,
        company_id,
        [
            {"pipeline_id": pipeline_id, "name": stage, "order_nr": i, "deal_probability": probability, **times}
            for i, (stage, probability) in enumerate(DEFAULT_STAGES, start=1)
        ],
    )
    repo.insert_rows(
        conn,
        activity_types,
        company_id,
        [
            {
                "name": key.capitalize(),
                "key_string": key,
                "icon_key": key,
                "order_nr": i,
                "is_custom_flag": False,
                **times,
            }
            for i, key in enumerate(ACTIVITY_TYPES, start=1)
        ],
    )
    labels = [{"id": new_uuid(), "name": label, "color": color, **times} for label, color in LEAD_LABELS]
    repo.insert_rows(conn, lead_labels, company_id, labels)
    board_id = repo.insert_row(conn, projects_boards, company_id, {"name": DEFAULT_BOARD, "order_nr": 1, **times})
    phases = [
        {"board_id": board_id, "name": phase, "order_nr": i, **times} for i, phase in enumerate(DEFAULT_PHASES, 1)
    ]
    repo.insert_rows(conn, projects_phases, company_id, phases)
    _add_templates(conn, company_id, board_id, admin_id, times)


def _add_templates(conn: Connection, company_id: int, board_id: int, owner_id: int, times: dict[str, str]) -> None:
    """``DEFAULT_TEMPLATES`` on a new company's first board, with their tasks in its phases."""
    phases = repo.all_rows(conn, projects_phases, company_id, order_by=[projects_phases.c.order_nr])
    for title, description, tasks in DEFAULT_TEMPLATES:
        template = {"title": title, "description": description, "board_id": board_id, "owner_id": owner_id}
        template_id = repo.insert_row(conn, project_templates, company_id, {**template, **times})
        rows = [
            {"template_id": template_id, "phase_id": phases[phase - 1]["id"], "order_nr": i, **times}
            | {"title": task, "description": text or None}
            for i, (phase, task, text) in enumerate(tasks, 1)
        ]
        repo.insert_rows(conn, project_template_tasks, company_id, rows)


def _record_start(conn: Connection, company_id: int, user_id: int, stamp: str) -> None:
    """The rows a company starts with get their create events like any other write, so that
    recents (and whatever else reads the change events) see them."""
    created: list[tuple[str, dict[str, Any]]] = []
    for entity, table in (
        ("user", users),
        ("pipeline", pipelines),
        ("stage", stages),
        ("activity_type", activity_types),
        ("lead_label", lead_labels),
        ("project_board", projects_boards),
        ("project_phase", projects_phases),
        ("project_template", project_templates),
    ):
        for row in repo.all_rows(conn, table, company_id, order_by=[table.c.id]):
            created.append((entity, {str(k): v for k, v in row.items() if k != "company_id"}))
    record_creates(conn, company_id, user_id, created, stamp)


def ensure_company(engine: Engine, settings: Settings) -> Company | None:
    """Create the first company on an empty database; returns it when created.

    On a database that has one already, a ``DEALBASE_API_TOKEN`` that is not known yet
    is given to the first admin, so that scripts can always rely on it, and a
    ``DEALBASE_PLAN`` / ``DEALBASE_SEATS`` that is set becomes the first company's, so that a
    team's server follows its configuration (companies made later keep their own).
    """
    with engine.connect().execution_options(dealbase_write=True) as conn:
        first = companies.first_id(conn)
        if first is None:
            company = create_company(
                conn,
                name=settings.company_name,
                domain=settings.company_domain,
                admin_name=settings.admin_name,
                admin_email=settings.admin_email,
                token=settings.api_token,
                currency=settings.default_currency,
                plan=settings.plan,
                seats=settings.seats,
            )
            conn.commit()
            return company
        if settings.api_token and not companies.api_token_exists(conn, settings.api_token):
            admin = companies.first_admin_id(conn, first)
            companies.add_api_token(conn, first, admin, settings.api_token, now())
            conn.commit()
        configured = {key: getattr(settings, key) for key in ("plan", "seats") if key in settings.model_fields_set}
        if configured and companies.set_plan(conn, first, configured):
            conn.commit()
        return None
