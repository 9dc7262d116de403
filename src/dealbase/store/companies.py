"""Companies and their API tokens: a new company's row, the first company and its admin, and
the user a token belongs to.

These are read before a company is known (on first start, for the CLI, and to find whose
request it is), so they are the store's only statements not scoped by a company id given.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, insert, or_, select, update

from dealbase.store.repository import Prepared, Row
from dealbase.store.tables import (
    api_tokens,
    change_events,
    companies,
    company_snapshots,
    metadata,
    user_passwords,
    users,
)

# The change event a reset leaves (no reader of change events asks for this entity).
RESET = ("company", "reset")

# Run for every request an API token authenticates that the token cache does not answer.
# The company's users version comes in the same statement: read apart, a user deactivated
# between the two reads could be remembered as active under the new version.
_USER_BY_TOKEN = Prepared(
    select(users, companies.c.users_version)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .join(companies, companies.c.id == users.c.company_id)
    .where(api_tokens.c.token == bindparam("token"), users.c.active_flag.is_(True))
)


def add(conn: Connection, values: dict[str, Any]) -> int:
    """A new company's row, with a mail name of its own (``mail_name_for``); its id."""
    company_id = conn.execute(insert(companies).values(**values).returning(companies.c.id)).scalar_one()
    name = mail_name_for(values["domain"])
    if by_mail_name(conn, name) is not None:
        name = f"{name}-{company_id}"
    conn.execute(update(companies).where(companies.c.id == company_id).values(mail_name=name))
    return company_id


def mail_name_for(domain: str) -> str:
    """The local part of a Smart BCC address made from a company domain (as migration 0032
    made it for the companies before it): lower case, what an address takes, no ``+`` (which
    starts the deal's or lead's part of the address)."""
    return re.sub(r"[^a-z0-9_.-]+", "-", (domain or "").lower()).strip("-.")[:40] or "company"


def by_mail_name(conn: Connection, name: str) -> int | None:
    """The company whose Smart BCC address has this local part, or None."""
    return conn.execute(select(companies.c.id).where(companies.c.mail_name == name)).scalar()


def first_id(conn: Connection) -> int | None:
    """The database's first company (the one the first start made), or None."""
    return conn.execute(select(func.min(companies.c.id))).scalar()


def exists(conn: Connection, company_id: int) -> bool:
    return conn.execute(select(companies.c.id).where(companies.c.id == company_id)).first() is not None


def standing(conn: Connection, company_id: int) -> Row | None:
    """What each request needs of its company, in one read: the clock setting
    (``clock_set_at``, ``clock_now``, ``clock_frozen``), ``plan``, ``seats`` and ``mail_name``; None for an
    unknown company."""
    c = companies.c
    stmt = select(c.clock_set_at, c.clock_now, c.clock_frozen, c.plan, c.seats, c.mail_name).where(c.id == company_id)
    row = conn.execute(stmt).first()
    return dict(row._mapping) if row is not None else None


def set_plan(conn: Connection, company_id: int, values: dict[str, Any]) -> bool:
    """``plan`` and/or ``seats`` of the company set to ``values``; True when that changed its row."""
    c = companies.c
    differs = or_(*(c[key] != value for key, value in values.items()))
    stmt = update(companies).where(c.id == company_id, differs).values(**values)
    return conn.execute(stmt).rowcount > 0


def seat_at_least(conn: Connection, company_id: int, seats: int) -> bool:
    """The company's ``seats`` raised to ``seats`` where it has fewer; True when it did."""
    c = companies.c
    stmt = update(companies).where(c.id == company_id, c.seats < seats).values(seats=seats)
    return conn.execute(stmt).rowcount > 0


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
    """The active user of an API token, with their company's ``users_version``, or None."""
    rows = _USER_BY_TOKEN.rows(conn, {"token": token})
    return rows[0] if rows else None


def all_rows(conn: Connection) -> list[Row]:
    """Every company, oldest first."""
    return [dict(r) for r in conn.execute(select(companies).order_by(companies.c.id)).mappings()]


def get(conn: Connection, company_id: int) -> Row | None:
    found = conn.execute(select(companies).where(companies.c.id == company_id)).mappings().first()
    return dict(found) if found else None


def users_with_tokens(conn: Connection, company_ids: list[int]) -> list[Row]:
    """The users of these companies who have an API token (the ones made with the company,
    not those its data brought), each with its first token, by company and id."""
    first_token = (
        select(api_tokens.c.token)
        .where(api_tokens.c.user_id == users.c.id)
        .order_by(api_tokens.c.add_time, api_tokens.c.token)
        .limit(1)
        .scalar_subquery()
    )
    stmt = (
        select(users.c.id, users.c.company_id, users.c.name, users.c.email, users.c.is_admin, first_token.label("api_token"))
        .where(users.c.company_id.in_(company_ids), users.c.id.in_(select(api_tokens.c.user_id)))
        .order_by(users.c.company_id, users.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def tokens(conn: Connection, company_id: int) -> list[str]:
    """Every API token of the company's users."""
    return list(conn.execute(select(api_tokens.c.token).where(api_tokens.c.company_id == company_id)).scalars())


@functools.cache
def _owned_tables(keep: tuple[Table, ...] = ()) -> list[Table]:
    """Every table with a ``company_id``, children before the parents their keys point at."""
    return [t for t in reversed(metadata.sorted_tables) if "company_id" in t.c and t not in keep]


def empty(conn: Connection, company_id: int, stamp: str) -> None:
    """Remove every row of the company in every table but its users with an API token,
    those tokens, those users' passwords (the web app's sign-in) and its snapshots (its own row stays): what a reset keeps.

    A whole-company operation, below the write service on purpose: no row is left to carry
    a change event. Callers bump the company's version counters so that no process serves
    what it cached of the rows removed. Its change version (the newest change event: v1
    bookmarks key on it) must not come back either, and on SQLite a new row takes the
    largest id + 1: a marker event (``company`` / ``reset``, at ``stamp``) is written first
    and kept, so every later event of the company is newer than all it had.
    """
    marker = conn.execute(
        insert(change_events)
        .values(company_id=company_id, entity=RESET[0], entity_id=company_id, action=RESET[1], time=stamp)
        .returning(change_events.c.id)
    ).scalar_one()
    _delete_owned(conn, company_id, keep=(users, api_tokens, user_passwords, company_snapshots, change_events))
    conn.execute(delete(change_events).where(change_events.c.company_id == company_id, change_events.c.id != marker))
    tokened = select(api_tokens.c.user_id).where(api_tokens.c.company_id == company_id)
    passwords = user_passwords.c
    conn.execute(delete(user_passwords).where(passwords.company_id == company_id, passwords.user_id.not_in(tokened)))
    conn.execute(delete(users).where(users.c.company_id == company_id, users.c.id.not_in(tokened)))


def _delete_owned(conn: Connection, company_id: int, keep: tuple[Table, ...] = ()) -> None:
    for table in _owned_tables(keep):
        conn.execute(delete(table).where(table.c.company_id == company_id))


def remove(conn: Connection, company_id: int) -> None:
    """The company and every row it owns, in every table."""
    _delete_owned(conn, company_id)
    conn.execute(delete(companies).where(companies.c.id == company_id))
