"""A company's users beyond rows by id: by e-mail, found by a term, their API tokens, and the
company's users version (``companies.users_version``) the token cache checks."""

from __future__ import annotations

from sqlalchemy import Connection, bindparam, delete, func, or_, select

from dealbase.store.companies import add_api_token
from dealbase.store.repository import Prepared, Row, bump_company_counter, escape_like
from dealbase.store.tables import api_tokens, companies, users

# Run for every request an API token authenticates from the process's memory.
_VERSION = Prepared(select(companies.c.users_version).where(companies.c.id == bindparam("cid")))


def version(conn: Connection, company_id: int) -> int | None:
    """The company's users version, or None when the company is gone."""
    return _VERSION.value(conn, {"cid": company_id})


def bump_version(conn: Connection, company_id: int) -> None:
    bump_company_counter(conn, company_id, "users_version")


def active_count(conn: Connection, company_id: int) -> int:
    """How many of the company's users are active."""
    stmt = select(func.count()).where(users.c.company_id == company_id, users.c.active_flag.is_(True))
    return conn.execute(stmt).scalar_one()


def founder_id(conn: Connection, company_id: int) -> int | None:
    """The company's first user: the one who made it."""
    return conn.execute(select(func.min(users.c.id)).where(users.c.company_id == company_id)).scalar()


def by_email(conn: Connection, company_id: int, email: str) -> Row | None:
    """The company's user with this e-mail address, in any case."""
    stmt = (
        select(users)
        .where(users.c.company_id == company_id, func.lower(users.c.email) == email.lower())
        .order_by(users.c.id)
        .limit(1)
    )
    found = conn.execute(stmt).mappings().first()
    return dict(found) if found is not None else None


def find(conn: Connection, company_id: int, term: str, by_email_only: bool) -> list[Row]:
    """The company's users whose name or e-mail address (only the address when
    ``by_email_only``) holds ``term``, in any case, by id."""
    pattern = "%" + escape_like(term.lower()) + "%"
    columns = (users.c.email,) if by_email_only else (users.c.name, users.c.email)
    matches = [func.lower(c).like(pattern, escape="\\") for c in columns]
    stmt = select(users).where(users.c.company_id == company_id, or_(*matches))
    return [dict(r) for r in conn.execute(stmt.order_by(users.c.id)).mappings()]


def api_token(conn: Connection, company_id: int, user_id: int) -> str | None:
    """The user's API token (their first, should they have several), or None."""
    stmt = (
        select(api_tokens.c.token)
        .where(api_tokens.c.company_id == company_id, api_tokens.c.user_id == user_id)
        .order_by(api_tokens.c.add_time, api_tokens.c.token)
        .limit(1)
    )
    return conn.execute(stmt).scalar()


def replace_api_tokens(conn: Connection, company_id: int, user_id: int, token: str, stamp: str) -> None:
    """The user's one API token from now on: every other of theirs stops working."""
    conn.execute(delete(api_tokens).where(api_tokens.c.company_id == company_id, api_tokens.c.user_id == user_id))
    add_api_token(conn, company_id, user_id, token, stamp)
