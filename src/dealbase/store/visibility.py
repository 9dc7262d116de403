"""Visibility as SQL: a ``Sight`` (``conditions.py``, worked out by ``domain/visibility.py``)
→ one condition on an item table, put in the statement that reads the rows.

Every part is a plain comparison or a non-correlated ``IN (SELECT …)`` the database runs
once per statement (the user's followed items, the users of a role), so a page ordered by
id still walks its index and tests each row with lookups, never a join per row.

That walk stops after a page when the user sees much of the table; for a user who sees
little of it (a sparse ``Sight``) it would test every row. Their condition is instead
``id IN (<the ids of each way of seeing, UNION ALL>)``: each way an index lookup
(``(company_id, owner_id)``, ``(company_id, visible_to, owner_id, id)``, the followers'), the few ids
gathered once per statement, the page then read by primary key in id order.
``seen_count`` is what tells the two apart.
"""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Select,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from dealbase.conditions import Sight
from dealbase.store.repository import Prepared
from dealbase.store.tables import followers, role_assignments, role_hidden_pipelines, roles


def _mine(company_id: int, sight: Sight) -> Select:
    """The ids of the items of the sight's type its user follows."""
    f = followers.c
    return select(f.object_id).where(
        f.company_id == company_id, f.user_id == sight.user_id, f.object_type == sight.item_type
    )


def _owned_in(table: Table, company_id: int, role_ids: tuple[int, ...]) -> ColumnElement:
    """The item's owner is in one of ``role_ids`` (none: in the default role, no role)."""
    a = role_assignments.c
    if not role_ids:
        return table.c.owner_id.not_in(select(a.user_id).where(a.company_id == company_id))
    return table.c.owner_id.in_(select(a.user_id).where(a.company_id == company_id, a.role_id.in_(role_ids)))


class _among(FunctionElement):
    """``column`` is one of the ids ``subquery`` gathers: ``IN (…)``; on PostgreSQL
    ``= ANY(ARRAY(…))``, an init plan run once whose result the planner takes for a few ids
    (with ``IN`` it takes the gathered ids for thousands and may walk the whole table by
    primary key, merging, rather than look up the few)."""

    # No Boolean type: SQLite's compiler would write ``… IN (…) = 1``, which no index serves.
    inherit_cache = True
    name = "among"


@compiles(_among)
def _among_default(element, compiler, **kw):
    column, subquery = element.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(subquery, **kw)}"


@compiles(_among, "postgresql")
def _among_postgresql(element, compiler, **kw):
    column, subquery = element.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(subquery, **kw)})"


def _in_seen(column: ColumnElement, table: Table, company_id: int, sight: Sight) -> ColumnElement:
    return _among(column, _seen_ids(table, company_id, sight).scalar_subquery())


@lru_cache(maxsize=4096)
def condition(table: Table, company_id: int, sight: Sight) -> ColumnElement:
    """The rows of ``table`` the sight's user sees. Kept per process by its arguments (the
    expression is immutable, and building it costs a regular user's list page about a tenth)."""
    seen = _in_seen(table.c.id, table, company_id, sight) if sight.sparse else or_(*_tests(table, company_id, sight))
    if sight.hidden_pipelines:
        return and_(seen, table.c.pipeline_id.not_in(sight.hidden_pipelines))
    return seen


def _tests(table: Table, company_id: int, sight: Sight) -> list[ColumnElement]:
    """Each way the sight's user sees a row, as a test of the row."""
    t = table.c
    seen = [t.owner_id == sight.user_id, t.visible_to.in_(sight.everyone)]
    if sight.followed:
        seen.append(t.id.in_(_mine(company_id, sight)))
    if sight.groups:
        seen.append(and_(t.visible_to == sight.group, _owned_in(table, company_id, sight.role_ids[:1])))
        seen.append(and_(t.visible_to == sight.subgroups, _owned_in(table, company_id, sight.role_ids)))
    return seen


def _ways(table: Table, company_id: int, sight: Sight) -> list[Select]:
    """Each way the sight's user sees a row, as the ids it lets them see: an index lookup
    each (followed items may include removed ones: the outer statement tests the rows)."""
    t = table.c

    def ids(*where: ColumnElement) -> Select:
        return select(t.id).where(t.company_id == company_id, *where)

    ways = [ids(t.owner_id == sight.user_id), ids(t.visible_to.in_(sight.everyone))]
    if sight.followed:
        ways.append(_mine(company_id, sight))
    if sight.groups:
        ways.append(ids(t.visible_to == sight.group, _owned_in(table, company_id, sight.role_ids[:1])))
        ways.append(ids(t.visible_to == sight.subgroups, _owned_in(table, company_id, sight.role_ids)))
    return ways


def _seen_ids(table: Table, company_id: int, sight: Sight) -> Select | CompoundSelect:
    """The ids of the rows a sparse sight's user sees in any way (not yet outside hidden pipelines)."""
    ways = _ways(table, company_id, sight)
    return union_all(*ways) if len(ways) > 1 else ways[0]


def seen_count(conn: Connection, table: Table, company_id: int, sight: Sight, cap: int) -> int:
    """How many rows of ``table`` the sight lets its user see, counted up to about ``cap``
    (each way of seeing stops at ``cap``: a few index lookups however large the table)."""
    counts = [
        select(func.count()).select_from(way.limit(cap).subquery()).scalar_subquery()
        for way in _ways(table, company_id, sight)
    ]
    total = counts[0]
    for count in counts[1:]:
        total = total + count
    return conn.execute(select(total)).scalar_one()


def outside(pipeline_id: ColumnElement, hidden: tuple[int, ...]) -> ColumnElement:
    """The row's pipeline (``pipeline_id``: its column) is none of ``hidden``."""
    return pipeline_id.not_in(hidden)


def none_or_seen(link: ColumnElement, table: Table, company_id: int, sight: Sight) -> ColumnElement:
    """``link`` (a reference column of another table: an activity's ``deal_id``) is null or
    names a row of ``table`` the sight's user sees: a non-correlated ``IN (SELECT id …)``."""
    seen = select(table.c.id).where(table.c.company_id == company_id, condition(table, company_id, sight))
    return or_(link.is_(None), link.in_(seen))


@lru_cache(maxsize=4096)
def correlated(table: Table, company_id: int, sight: Sight, item_id: ColumnElement) -> ColumnElement:
    """``item_id`` (a column of another table, as search's rows) names a row the user sees:
    an ``EXISTS`` by primary key, cheap for a few candidates. Kept per process by its
    arguments, as ``condition``."""
    t = table.c
    if sight.sparse:  # the few ids gathered once for the statement, not once per candidate
        if not sight.hidden_pipelines:
            return _in_seen(item_id, table, company_id, sight)
        return item_id.in_(select(t.id).where(t.company_id == company_id, condition(table, company_id, sight)))
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


# What a regular user's sight needs of the roles, on every request they make: two prepared
# statements on the driver (through SQLAlchemy, the four reads it took cost a regular
# user's list of 100 deals about a quarter of its time).
_ASSIGNED = select(role_assignments.c.role_id).where(
    role_assignments.c.company_id == bindparam("cid"), role_assignments.c.user_id == bindparam("uid")
)
_LIVE_ROLES = Prepared(
    select(roles.c.id, roles.c.parent_role_id, roles.c.id.in_(_ASSIGNED).label("mine")).where(
        roles.c.company_id == bindparam("cid"), roles.c.is_deleted.is_(False)
    )
)
_HIDDEN = Prepared(
    select(role_hidden_pipelines.c.pipeline_id)
    .where(role_hidden_pipelines.c.company_id == bindparam("cid"), role_hidden_pipelines.c.role_id.in_(_ASSIGNED))
    .order_by(role_hidden_pipelines.c.pipeline_id)
)


def live_roles(conn: Connection, company_id: int, user_id: int) -> tuple[dict[int, int | None], int | None]:
    """The company's live roles (id → parent role id) and the user's among them (None: the
    user is in none, or in a deleted one: the default role)."""
    parents, mine = {}, None
    for role_id, parent, assigned in _LIVE_ROLES.tuples(conn, {"cid": company_id, "uid": user_id}):
        parents[role_id] = parent
        if assigned:
            mine = role_id
    return parents, mine


def hidden_pipelines(conn: Connection, company_id: int, user_id: int) -> tuple[int, ...]:
    """The pipelines the user's role hides (whether it is live is the caller's to know)."""
    return tuple(r[0] for r in _HIDDEN.tuples(conn, {"cid": company_id, "uid": user_id}))
