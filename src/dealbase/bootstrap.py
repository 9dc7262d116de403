"""First start: a company, its admin user, an API token and a default pipeline."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, select

from dealbase.clock import now
from dealbase.domain.activity_types import DEFAULTS as ACTIVITY_TYPES
from dealbase.domain.ids import new_uuid
from dealbase.domain.leads import DEFAULT_LABELS as LEAD_LABELS
from dealbase.domain.projects import DEFAULT_BOARD, DEFAULT_PHASES
from dealbase.events.changes import record_create
from dealbase.settings import Settings
from dealbase.store import repository as repo
from dealbase.store.tables import (
    activity_types,
    api_tokens,
    companies,
    lead_labels,
    pipelines,
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


@dataclass
class Company:
    company_id: int
    user_id: int
    token: str


def new_token() -> str:
    return secrets.token_hex(20)


def create_company(
    conn: Connection,
    *,
    name: str,
    domain: str,
    admin_name: str,
    admin_email: str,
    token: str | None = None,
    currency: str = "USD",
) -> Company:
    stamp = now()
    company_id = conn.execute(
        insert(companies).values(name=name, domain=domain, country="US", add_time=stamp).returning(companies.c.id)
    ).scalar_one()
    user_id = conn.execute(
        insert(users)
        .values(
            company_id=company_id,
            name=admin_name,
            email=admin_email,
            is_admin=True,
            active_flag=True,
            default_currency=currency,
            created=stamp,
        )
        .returning(users.c.id)
    ).scalar_one()
    token = token or new_token()
    conn.execute(insert(api_tokens).values(token=token, user_id=user_id, company_id=company_id, add_time=stamp))
    pipeline_id = conn.execute(
        insert(pipelines)
        .values(company_id=company_id, name="Pipeline", order_nr=1, add_time=stamp, update_time=stamp)
        .returning(pipelines.c.id)
    ).scalar_one()
    conn.execute(
        insert(stages),
        [
            {
                "company_id": company_id,
                "pipeline_id": pipeline_id,
                "name": stage,
                "order_nr": i,
                "deal_probability": probability,
                "add_time": stamp,
                "update_time": stamp,
            }
            for i, (stage, probability) in enumerate(DEFAULT_STAGES, start=1)
        ],
    )
    conn.execute(
        insert(activity_types),
        [
            {
                "company_id": company_id,
                "name": key.capitalize(),
                "key_string": key,
                "icon_key": key,
                "order_nr": i,
                "is_custom_flag": False,
                "add_time": stamp,
                "update_time": stamp,
            }
            for i, key in enumerate(ACTIVITY_TYPES, start=1)
        ],
    )
    conn.execute(
        insert(lead_labels),
        [
            {
                "id": new_uuid(),
                "company_id": company_id,
                "name": name,
                "color": color,
                "add_time": stamp,
                "update_time": stamp,
            }
            for name, color in LEAD_LABELS
        ],
    )
    board_id = conn.execute(
        insert(projects_boards)
        .values(company_id=company_id, name=DEFAULT_BOARD, order_nr=1, add_time=stamp, update_time=stamp)
        .returning(projects_boards.c.id)
    ).scalar_one()
    conn.execute(
        insert(projects_phases),
        [
            {
                "company_id": company_id,
                "board_id": board_id,
                "name": name,
                "order_nr": i,
                "add_time": stamp,
                "update_time": stamp,
            }
            for i, name in enumerate(DEFAULT_PHASES, start=1)
        ],
    )
    _record_start(conn, company_id, user_id, stamp)
    return Company(company_id, user_id, token)


def _record_start(conn: Connection, company_id: int, user_id: int, stamp: str) -> None:
    """The rows a company starts with get their create events like any other write, so that
    recents (and whatever else reads the change events) see them."""
    for entity, table in (
        ("user", users),
        ("pipeline", pipelines),
        ("stage", stages),
        ("activity_type", activity_types),
        ("lead_label", lead_labels),
        ("project_board", projects_boards),
        ("project_phase", projects_phases),
    ):
        for row in repo.all_rows(conn, table, company_id, order_by=[table.c.id]):
            values = {str(k): v for k, v in row.items() if k != "company_id"}
            record_create(conn, company_id, user_id, entity, row["id"], values, stamp)


def ensure_company(engine: Engine, settings: Settings) -> Company | None:
    """Create the first company on an empty database; returns it when created.

    On a database that has one already, a ``DEALBASE_API_TOKEN`` that is not known yet
    is given to the first admin, so that scripts can always rely on it.
    """
    with engine.connect().execution_options(dealbase_write=True) as conn:
        first = conn.execute(select(companies.c.id).order_by(companies.c.id).limit(1)).scalar()
        if first is None:
            company = create_company(
                conn,
                name=settings.company_name,
                domain=settings.company_domain,
                admin_name=settings.admin_name,
                admin_email=settings.admin_email,
                token=settings.api_token,
                currency=settings.default_currency,
            )
            conn.commit()
            return company
        if settings.api_token:
            known = conn.execute(select(api_tokens.c.token).where(api_tokens.c.token == settings.api_token)).scalar()
            if known is None:
                admin = conn.execute(
                    select(users.c.id)
                    .where(users.c.company_id == first, users.c.is_admin.is_(True))
                    .order_by(users.c.id)
                    .limit(1)
                ).scalar_one()
                conn.execute(
                    insert(api_tokens).values(token=settings.api_token, user_id=admin, company_id=first, add_time=now())
                )
                conn.commit()
        return None
