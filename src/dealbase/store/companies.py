"""Companies and their API tokens: a new company's row, the first company and its admin, and
the user a token belongs to.

These are read before a company is known (on first start, for the CLI, and to find whose
request it is), so they are the store's only statements not scoped by a company id given.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from dealbase.store.repository import Prepared, Row
from dealbase.store.tables import api_tokens, companies, users

# Run for every request an API token authenticates that the token cache does not answer.
_USER_BY_TOKEN = Prepared(
    select(users)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token == bindparam("token"), users.c.active_flag.is_(True))
)


def add(conn: Connection, values: dict[str, Any]) -> int:
    """A new company's row; its id."""
    return conn.execute(insert(companies).values(**values).returning(companies.c.id)).scalar_one()


def first_id(conn: Connection) -> int | None:
    """The database's first company (the one the first start made), or None."""
    return conn.execute(select(func.min(companies.c.id))).scalar()


def exists(conn: Connection, company_id: int) -> bool:
    return conn.execute(select(companies.c.id).where(companies.c.id == company_id)).first() is not None


def clock(conn: Connection, company_id: int) -> Row | None:
    """The company's clock setting (``clock_set_at``, ``clock_now``, ``clock_frozen``), or
    None for an unknown company."""
    stmt = select(companies.c.clock_set_at, companies.c.clock_now, companies.c.clock_frozen).where(
        companies.c.id == company_id
    )
    row = conn.execute(stmt).first()
    return dict(row._mapping) if row is not None else None


def set_clock(conn: Connection, company_id: int, set_at: str | None, now: str | None, frozen: bool) -> None:
    values = {"clock_set_at": set_at, "clock_now": now, "clock_frozen": frozen}
    conn.execute(update(companies).where(companies.c.id == company_id).values(**values))


def first_admin_id(conn: Connection, company_id: int) -> int:
    stmt = (
        select(users.c.id)
        .where(users.c.company_id == company_id, users.c.is_admin.is_(True))
        .order_by(users.c.id)
        .limit(1)
    )
    return conn.execute(stmt).scalar_one()


def add_api_token(conn: Connection, company_id: int, user_id: int, token: str, stamp: str) -> None:
    conn.execute(insert(api_tokens).values(token=token, user_id=user_id, company_id=company_id, add_time=stamp))


def api_token_exists(conn: Connection, token: str) -> bool:
    return conn.execute(select(api_tokens.c.token).where(api_tokens.c.token == token)).first() is not None


def api_token_user(conn: Connection, token: str) -> Row | None:
    """The active user of an API token, or None."""
    rows = _USER_BY_TOKEN.rows(conn, {"token": token})
    return rows[0] if rows else None
