"""The queries of e-mail (``domain/mail.py``, ``domain/mail_ingest.py``) that the generic
repository has no shape for: persons by address, a person's open deal, the messages around a
deal, person or organization, and their counters."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, and_, case, func, or_, select

from dealbase.store.tables import deals, mail_messages, mail_parties, mail_threads, persons, users

Row = dict[str, Any]


def persons_by_address(conn: Connection, company_id: int, addresses: Iterable[str]) -> dict[str, Row]:
    """address (lower case) → the oldest live person having it among their e-mails: ``id``, ``name``,
    ``org_id``. Matched in the stored JSON text, then checked value by value by the caller's rule
    (``domain/mail_ingest.py``): here only candidates."""
    wanted = sorted({a for a in addresses if a})
    if not wanted:
        return {}
    emails = func.lower(persons.c.emails)
    needles = [emails.like('%"' + a.replace("%", "").replace("_", "") + '"%') for a in wanted]
    stmt = (
        select(persons.c.id, persons.c.name, persons.c.org_id, persons.c.emails)
        .where(persons.c.company_id == company_id, persons.c.is_deleted.is_(False), or_(*needles))
        .order_by(persons.c.id)
    )
    return _first_by_address(conn.execute(stmt).mappings(), set(wanted))


def _first_by_address(rows, wanted: set[str]) -> dict[str, Row]:
    found: dict[str, Row] = {}
    for row in rows:
        try:
            values = {str(e.get("value", "")).strip().lower() for e in json.loads(row["emails"] or "[]")}
        except (ValueError, AttributeError):
            continue
        for address in values & wanted:
            found.setdefault(address, {"id": row["id"], "name": row["name"], "org_id": row["org_id"]})
    return found


def active_users_by_address(conn: Connection, company_id: int) -> dict[str, Row]:
    """address (lower case) → the company's active user with it (the first made, if several)."""
    stmt = select(users).where(users.c.company_id == company_id, users.c.active_flag.is_(True))
    found: dict[str, Row] = {}
    for row in conn.execute(stmt.order_by(users.c.id)).mappings():
        found.setdefault(row["email"].lower(), dict(row))
    return found


def open_deal_of(conn: Connection, company_id: int, person_id: int) -> int | None:
    """The person's open deal Smart BCC links mail to: the last one updated."""
    stmt = (
        select(deals.c.id)
        .where(
            deals.c.company_id == company_id,
            deals.c.person_id == person_id,
            deals.c.is_deleted.is_(False),
            deals.c.status == "open",
        )
        .order_by(deals.c.update_time.desc(), deals.c.id.desc())
        .limit(1)
    )
    return conn.execute(stmt).scalar()


def messages_with_keys(conn: Connection, company_id: int, keys: list[str]) -> dict[str, Row]:
    """Message-ID → the latest live message having it, in a live thread, for those of ``keys``
    that some message has: its ``id``, ``thread_id``, ``message_key``, ``subject`` and
    ``message_time``."""
    if not keys:
        return {}
    m = mail_messages.c
    stmt = (
        select(m.id, m.thread_id, m.message_key, m.subject, m.message_time)
        .join(mail_threads, mail_threads.c.id == mail_messages.c.thread_id)
        .where(
            mail_messages.c.company_id == company_id,
            mail_messages.c.message_key.in_(keys),
            mail_messages.c.is_deleted.is_(False),
            mail_threads.c.is_deleted.is_(False),
        )
        .order_by(mail_messages.c.id.desc())
    )
    found: dict[str, Row] = {}
    for row in conn.execute(stmt).mappings():
        found.setdefault(row["message_key"], dict(row))
    return found


def thread_has_address(conn: Connection, company_id: int, thread_id: int, addresses: Iterable[str]) -> bool:
    """Whether a message of the thread (deleted ones too) has one of ``addresses`` among its parties."""
    wanted = sorted(set(addresses))
    if not wanted:
        return False
    messages = select(mail_messages.c.id).where(
        mail_messages.c.company_id == company_id, mail_messages.c.thread_id == thread_id
    )
    stmt = (
        select(mail_parties.c.id)
        .where(
            mail_parties.c.company_id == company_id,
            mail_parties.c.message_id.in_(messages.scalar_subquery()),
            mail_parties.c.address.in_(wanted),
        )
        .limit(1)
    )
    return conn.execute(stmt).first() is not None


def _live():
    return and_(mail_messages.c.is_deleted.is_(False), mail_threads.c.is_deleted.is_(False))


def _of(parent: str, ids: list[int]):
    """The ``select`` of the live messages around parents of one kind, with the parent's id as ``parent_id``."""
    if parent == "deal":
        return (
            select(mail_threads.c.deal_id.label("parent_id"), mail_messages)
            .select_from(mail_messages.join(mail_threads, mail_threads.c.id == mail_messages.c.thread_id))
            .where(mail_threads.c.deal_id.in_(ids), _live())
        )
    column = mail_parties.c.person_id if parent == "person" else mail_parties.c.org_id
    return (
        select(column.label("parent_id"), mail_messages)
        .distinct()
        .select_from(
            mail_parties.join(mail_messages, mail_messages.c.id == mail_parties.c.message_id).join(
                mail_threads, mail_threads.c.id == mail_messages.c.thread_id
            )
        )
        .where(column.in_(ids), _live())
    )


def totals(conn: Connection, company_id: int, parent: str, ids: list[int]) -> dict[int, Row]:
    """parent id → ``count``, ``last_in``, ``last_out``: its messages and the times of the last
    received and the last sent (absent: none)."""
    inner = _of(parent, ids).where(mail_messages.c.company_id == company_id).subquery()
    sent = inner.c.sent_flag.is_(True)
    stmt = select(
        inner.c.parent_id,
        func.count().label("count"),
        func.max(_when(~sent, inner.c.message_time)).label("last_in"),
        func.max(_when(sent, inner.c.message_time)).label("last_out"),
    ).group_by(inner.c.parent_id)
    return {row["parent_id"]: dict(row) for row in conn.execute(stmt).mappings()}


def _when(condition, value):
    return case((condition, value), else_=None)


def messages_of(conn: Connection, company_id: int, parent: str, parent_id: int, start: int, limit: int) -> list[Row]:
    """One page of the live messages around a deal, person or organization, newest first."""
    inner = _of(parent, [parent_id]).where(mail_messages.c.company_id == company_id).subquery()
    stmt = select(inner).order_by(inner.c.message_time.desc(), inner.c.id.desc()).limit(limit).offset(start)
    return [dict(row) for row in conn.execute(stmt).mappings()]
