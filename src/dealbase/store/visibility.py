"""Visibility as SQL: a ``Sight`` (``conditions.py``, worked out by ``domain/visibility.py``)
→ one condition on an item table, put in the statement that reads the rows.

Every part is a plain comparison or a non-correlated ``IN (SELECT …)`` the database runs
once per statement (the user's followed items, the users of a role), so a page ordered by
id still walks its index and tests each row with lookups, never a join per row.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import ColumnElement, Connection, Table, and_, exists, or_, select

from dealbase.conditions import Sight
from dealbase.store.tables import followers, role_assignments


def _followed(table: Table, company_id: int, sight: Sight) -> ColumnElement:
    f = followers.c
    mine = select(f.object_id).where(
        f.company_id == company_id, f.user_id == sight.user_id, f.object_type == sight.item_type
    )
    return table.c.id.in_(mine)


def _owned_in(table: Table, company_id: int, role_ids: tuple[int, ...]) -> ColumnElement:
    """The item's owner is in one of ``role_ids`` (none: in the default role, no role)."""
    a = role_assignments.c
    if not role_ids:
        return table.c.owner_id.not_in(select(a.user_id).where(a.company_id == company_id))
    return table.c.owner_id.in_(select(a.user_id).where(a.company_id == company_id, a.role_id.in_(role_ids)))


@lru_cache(maxsize=4096)
def condition(table: Table, company_id: int, sight: Sight) -> ColumnElement:
    """The rows of ``table`` the sight's user sees. Kept per process by its arguments (the
    expression is immutable, and building it costs a regular user's list page about a tenth)."""
    seen = [table.c.owner_id == sight.user_id, table.c.visible_to.in_(sight.everyone)]
    if sight.followed:
        seen.append(_followed(table, company_id, sight))
    if sight.groups:
        seen.append(and_(table.c.visible_to == sight.group, _owned_in(table, company_id, sight.role_ids[:1])))
        seen.append(and_(table.c.visible_to == sight.subgroups, _owned_in(table, company_id, sight.role_ids)))
    if sight.hidden_pipelines:
        return and_(or_(*seen), table.c.pipeline_id.not_in(sight.hidden_pipelines))
    return or_(*seen)


def outside(pipeline_id: ColumnElement, hidden: tuple[int, ...]) -> ColumnElement:
    """The row's pipeline (``pipeline_id``: its column) is none of ``hidden``."""
    return pipeline_id.not_in(hidden)


def none_or_seen(link: ColumnElement, table: Table, company_id: int, sight: Sight) -> ColumnElement:
    """``link`` (a reference column of another table: an activity's ``deal_id``) is null or
    names a row of ``table`` the sight's user sees: a non-correlated ``IN (SELECT id …)``."""
    seen = select(table.c.id).where(table.c.company_id == company_id, condition(table, company_id, sight))
    return or_(link.is_(None), link.in_(seen))


def correlated(table: Table, company_id: int, sight: Sight, item_id: ColumnElement) -> ColumnElement:
    """``item_id`` (a column of another table, as search's rows) names a row the user sees:
    an ``EXISTS`` by primary key, cheap for a few candidates."""
    t = table.c
    return exists(select(t.id).where(t.id == item_id, t.company_id == company_id, condition(table, company_id, sight)))


def seers(
    conn: Connection, table: Table, company_id: int, item_id: int | str, conditions: dict[int, list[ColumnElement]]
) -> set[int]:
    """Which of the users ``conditions`` names (user id → the conditions of what they see of
    ``table``) see the item ``item_id``: one statement, an ``EXISTS`` by primary key each."""
    t = table.c
    if not conditions:
        return set()
    checks = [
        exists(select(t.id).where(t.id == item_id, t.company_id == company_id, *where)).label(f"u{user_id}")
        for user_id, where in conditions.items()
    ]
    row = conn.execute(select(*checks)).one()
    return {user_id for user_id, seen in zip(conditions, row, strict=True) if seen}


def seen_among(
    conn: Connection, table: Table, company_id: int, ids: list[int | str], conditions: list[ColumnElement]
) -> set[int | str]:
    """Those of ``ids`` whose rows of ``table`` meet ``conditions`` (a user's visibility)."""
    stmt = select(table.c.id).where(table.c.company_id == company_id, table.c.id.in_(ids), *conditions)
    return set(conn.execute(stmt).scalars())
