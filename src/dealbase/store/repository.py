"""The generic repository: every statement is scoped to one company.

All SQL lives in this layer. Each function takes the company id and adds it to the
statement; nothing here can read or write another company's rows. Statements that run
on hot paths are built once per table and reused (building a ``select`` costs more than
running it on SQLite).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import (
    BigInteger,
    ClauseElement,
    ColumnElement,
    Connection,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB

from dealbase.store.tables import (
    activities,
    activity_types,
    change_events,
    companies,
    fields,
)

Row = dict[str, Any]


def _same_company(table: Table):
    # ``company_id + 0``: the primary key is the way to these rows. Without statistics
    # SQLite would otherwise walk a company_id index instead (every row of the company).
    return (table.c.company_id + literal_column("0")) == bindparam("cid")


def _id_param(table: Table, name: str):
    # An integer id binds as 64-bit, as every value compared to an integer column does
    # (``tables.Integer``): one past the 32-bit range finds no row on PostgreSQL too.
    kind = table.c.id.type
    return bindparam(name, type_=BigInteger() if isinstance(kind, Integer) else kind)


@cache
def _get_stmt(table: Table):
    return select(table).where(table.c.id == _id_param(table, "id"), _same_company(table))


def _dicts(result) -> list[Row]:
    """Rows as dicts, read straight from the driver's cursor.

    SQLAlchemy's own row processing costs more than the query on wide list pages; values
    come back as the driver gives them, as from ``Prepared`` (SQLite booleans as 0/1).
    """
    keys = list(result.keys())
    try:
        return [dict(zip(keys, row)) for row in result.cursor.fetchall()]
    finally:
        result.close()


class Prepared:
    """A statement compiled once per dialect and run on the driver's cursor.

    For the hottest reads (rows by id, a token): SQLAlchemy's execution and row
    processing cost more than SQLite's own work there. Values come back as the driver
    gives them (SQLite booleans as 0/1), which every caller treats alike.
    """

    def __init__(self, stmt) -> None:
        self.stmt = stmt
        # by dialect: the SQL and its parameters' order (positional drivers)
        self.compiled: dict[str, tuple[str, tuple[str, ...] | None]] = {}
        # by dialect: the row's keys, as the driver names the statement's columns
        self.names: dict[str, list[str]] = {}

    def _execute(self, conn: Connection, params: dict[str, Any]):
        dialect = conn.dialect.name
        entry = self.compiled.get(dialect)
        if entry is None:
            compiled = self.stmt.compile(dialect=conn.dialect)
            order = tuple(compiled.positiontup) if compiled.positional else None
            entry = self.compiled[dialect] = (compiled.string, order)
        sql, order = entry
        # The driver connection's own ``execute`` (sqlite3, psycopg 3): half the cost of a
        # cursor made and closed through the pool's wrapper; sqlite3 keeps the statement
        # prepared in its cache by the SQL's text.
        return conn.connection.dbapi_connection.execute(
            sql, [params[k] for k in order] if order is not None else params
        )

    def rows(self, conn: Connection, params: dict[str, Any]) -> list[Row]:
        cursor = self._execute(conn, params)
        try:
            names = self.names.get(conn.dialect.name)
            if names is None:
                names = self.names[conn.dialect.name] = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def value(self, conn: Connection, params: dict[str, Any]) -> Any:
        """The first column of the first row, or None when there is none."""
        cursor = self._execute(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else row[0]

    def tuples(self, conn: Connection, params: dict[str, Any]) -> list[tuple]:
        """Every row as the driver gives it (tuples, in the statement's column order)."""
        cursor = self._execute(conn, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def first(self, conn: Connection, params: dict[str, Any]) -> tuple | None:
        """The first row as the driver gives it (a tuple, in the statement's column order), or None."""
        cursor = self._execute(conn, params)
        try:
            return cursor.fetchone()
        finally:
            cursor.close()


@cache
def _get_prepared(table: Table) -> Prepared:
    return Prepared(_get_stmt(table))


def get(conn: Connection, table: Table, company_id: int, row_id: int) -> Row | None:
    rows = _get_prepared(table).rows(conn, {"id": row_id, "cid": company_id})
    return rows[0] if rows else None


_COUNTER = "_company_counter_"  # no table has a column whose name starts so


@cache
def _get_counted_prepared(table: Table, counters: tuple[str, ...]) -> Prepared:
    values = [
        select(companies.c[c]).where(companies.c.id == bindparam("cid")).scalar_subquery().label(_COUNTER + c)
        for c in counters
    ]
    return Prepared(_get_stmt(table).add_columns(*values))


def get_counted(
    conn: Connection, table: Table, company_id: int, row_id: int, counters: tuple[str, ...]
) -> tuple[Row | None, dict[str, int] | None]:
    """``get`` and some of the company's version counters (``company_counter``, by name; None
    without the row) in one statement: showing a row with custom fields needs both, and on
    SQLite a statement costs more than either read."""
    rows = _get_counted_prepared(table, counters).rows(conn, {"id": row_id, "cid": company_id})
    if not rows:
        return None, None
    row = rows[0]
    return row, {c: row.pop(_COUNTER + c) or 0 for c in counters}


class _ManyById:
    """``WHERE id IN (…)`` as prepared statements, one per list size (rounded up)."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.by_size: dict[int, Prepared] = {}

    def rows(self, conn: Connection, company_id: int, ids: list[int]) -> list[Row]:
        size = 1 << (len(ids) - 1).bit_length()  # 1, 2, 4, 8, … so few statements are made
        prepared = self.by_size.get(size)
        if prepared is None:
            names = [f"id{i}" for i in range(size)]
            stmt = select(self.table).where(
                self.table.c.id.in_([_id_param(self.table, n) for n in names]), _same_company(self.table)
            )
            prepared = self.by_size[size] = Prepared(stmt)
        params: dict[str, Any] = {f"id{i}": ids[min(i, len(ids) - 1)] for i in range(size)}
        params["cid"] = company_id
        return prepared.rows(conn, params)


@cache
def _many_by_id(table: Table) -> _ManyById:
    return _ManyById(table)


def get_many(conn: Connection, table: Table, company_id: int, ids: Iterable[int]) -> dict[int, Row]:
    ids = sorted({i for i in ids if i is not None})
    rows: dict[int, Row] = {}
    for start in range(0, len(ids), 500):
        for row in _many_by_id(table).rows(conn, company_id, ids[start : start + 500]):
            rows[row["id"]] = row
    return rows


def first(conn: Connection, table: Table, company_id: int, *where: ColumnElement, order_by=None) -> Row | None:
    stmt = select(table).where(table.c.company_id == company_id, *where)
    if order_by is not None:
        stmt = stmt.order_by(*order_by)
    row = conn.execute(stmt.limit(1)).mappings().first()
    return dict(row) if row is not None else None


def all_rows(conn: Connection, table: Table, company_id: int, *where: ColumnElement, order_by=None) -> list[Row]:
    stmt = select(table).where(table.c.company_id == company_id, *where)
    if order_by is not None:
        stmt = stmt.order_by(*order_by)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def list_keyset(
    conn: Connection,
    table: Table,
    company_id: int,
    where: Sequence[ColumnElement],
    sort: str,
    descending: bool,
    after: tuple[Any, int] | None,
    limit: int,
) -> list[Row]:
    """One page ordered by (sort, id), starting after the keyset ``after``."""
    col, id_col = table.c[sort], table.c.id
    conditions = [table.c.company_id == company_id, *where]
    if after is not None:
        value, last_id = after
        if sort == "id":
            conditions.append(id_col < last_id if descending else id_col > last_id)
        elif descending:
            conditions.append(or_(col < value, and_(col == value, id_col < last_id)))
        else:
            conditions.append(or_(col > value, and_(col == value, id_col > last_id)))
    order = [col.desc(), id_col.desc()] if descending else [col.asc(), id_col.asc()]
    if sort == "id":
        order = order[:1]
    stmt = select(table).where(*conditions).order_by(*order).limit(limit)
    return _dicts(conn.execute(stmt))


def list_offset(
    conn: Connection,
    table: Table,
    company_id: int,
    where: Sequence[ColumnElement],
    order_by: Sequence[ColumnElement],
    start: int,
    limit: int,
    from_id: int | None = None,
) -> list[Row]:
    """One page by offset.

    The offset is walked over the ids alone (a narrow index), and only the page's rows
    are then read in full, so a deep page costs an index walk, not a table walk.
    ``from_id``: where the page is known to start (in id order), so nothing is walked.
    """
    id_stmt = select(table.c.id).where(table.c.company_id == company_id, *where)
    if from_id is not None:
        id_stmt = id_stmt.where(table.c.id >= from_id).order_by(table.c.id).limit(limit)
    else:
        id_stmt = id_stmt.order_by(*order_by).limit(limit).offset(start)
    ids = list(conn.execute(id_stmt).scalars())
    if not ids:
        return []
    rows = get_many(conn, table, company_id, ids)
    return [rows[i] for i in ids if i in rows]


@cache
def _column_names(table: Table) -> frozenset[str]:
    return frozenset(table.c.keys())


def _plain_values(table: Table, values: dict[str, Any]) -> bool:
    """Whether ``values`` are plain values of the table's columns, which bind as parameters of
    a statement built once per table; an SQL expression among them, or a key that is no
    column (refused by ``.values()``), takes the statement built for the call."""
    return values.keys() <= _column_names(table) and not any(isinstance(v, ClauseElement) for v in values.values())


@cache
def _insert_stmt(table: Table):
    return insert(table).returning(table.c.id)


@cache
def _update_stmt(table: Table):
    # parameter names no column has: SQLAlchemy keeps the columns' own names for SET
    return update(table).where(table.c.id == bindparam("row_id_"), table.c.company_id == bindparam("company_id_"))


# Building a statement with ``.values(…)`` costs more than running it on SQLite (its cache key
# walks every value): a row's insert and update bind their values to one statement per table.
def insert_row(conn: Connection, table: Table, company_id: int, values: dict[str, Any]) -> int:
    if _plain_values(table, values):
        return conn.execute(_insert_stmt(table), {**values, "company_id": company_id}).scalar_one()
    stmt = insert(table).values(company_id=company_id, **values).returning(table.c.id)
    return conn.execute(stmt).scalar_one()


def insert_rows(conn: Connection, table: Table, company_id: int, rows: Sequence[dict[str, Any]]) -> None:
    """Several rows in one statement (their ids are not returned)."""
    conn.execute(insert(table), [{"company_id": company_id, **values} for values in rows])


def update_row(conn: Connection, table: Table, company_id: int, row_id: int, values: dict[str, Any]) -> None:
    if not values:
        return
    if _plain_values(table, values):
        conn.execute(_update_stmt(table), {**values, "row_id_": row_id, "company_id_": company_id})
        return
    stmt = update(table).where(table.c.id == row_id, table.c.company_id == company_id).values(**values)
    conn.execute(stmt)


# ``conn.info`` key of the current request's User-Agent, set per request by ``app.py``.
USER_AGENT = "dealbase_user_agent"
# ``conn.info`` key set while a bulk operation writes (``api/resources.py: bulk_delete``).
BULK = "dealbase_bulk"


class Change(NamedTuple):
    """A change event's facts, as ``record_change`` wrote them."""

    company_id: int
    entity: str
    entity_id: int | str
    action: str
    user_id: int | None
    time: str
    changes: dict[str, list[Any]] | None
    is_bulk: bool


# Called as ``listener(conn, change)`` after each change event is written, in its transaction:
# ``events/outbox.py`` turns them into webhook deliveries.
CHANGE_LISTENERS: list[Any] = []


def record_change(
    conn: Connection,
    company_id: int,
    entity: str,
    entity_id: int | str,
    action: str,
    user_id: int | None,
    time: str,
    changes: dict[str, list[Any]] | None,
) -> None:
    """Write the change event for a write, in the write's own transaction."""
    record_changes(conn, [Change(company_id, entity, entity_id, action, user_id, time, changes, False)])


def record_changes(conn: Connection, events: Sequence[Change]) -> None:
    """Write several change events in one statement, in their order (``is_bulk`` is read off
    the connection, as for one)."""
    if not events:
        return
    is_bulk = bool(conn.info.get(BULK))
    user_agent = conn.info.get(USER_AGENT)
    rows = [
        {
            "company_id": e.company_id,
            "entity": e.entity,
            "entity_id": None if isinstance(e.entity_id, str) else e.entity_id,
            "entity_uuid": e.entity_id if isinstance(e.entity_id, str) else None,
            "action": e.action,
            "user_id": e.user_id,
            "change_source": "api",
            "change_source_user_agent": user_agent,
            "is_bulk_update": is_bulk,
            "time": e.time,
            "changes": orjson.dumps(e.changes).decode() if e.changes is not None else None,
        }
        for e in events
    ]
    held = conn.info.get(HELD_CHANGES)
    if held is not None:
        held += rows
    else:
        conn.execute(insert(change_events), rows)
    if CHANGE_LISTENERS:
        for e in events:
            change = e._replace(is_bulk=is_bulk)
            for listener in CHANGE_LISTENERS:
                listener(conn, change)


# ``conn.info`` key of the change events ``changes_held`` keeps for its end.
HELD_CHANGES = "dealbase_held_changes"


@contextmanager
def changes_held(conn: Connection) -> Iterator[None]:
    """Inside, change events are kept and written at the end in one statement, in their
    order (the same ids); their listeners still run at each write. Nothing inside may read
    the change events (changelogs, recents). Inside one already, it adds to that one; with
    an error nothing is written."""
    if HELD_CHANGES in conn.info:
        yield
        return
    held = conn.info[HELD_CHANGES] = []
    try:
        yield
    finally:
        conn.info.pop(HELD_CHANGES, None)
    if held:
        conn.execute(insert(change_events), held)


def max_of(conn: Connection, table: Table, company_id: int, column: str, *where: ColumnElement) -> Any:
    stmt = select(func.max(table.c[column])).where(table.c.company_id == company_id, *where)
    return conn.execute(stmt).scalar()


def count_by(
    conn: Connection, table: Table, company_id: int, column: str, ids: Iterable[Any], *where: ColumnElement
) -> dict[Any, int]:
    """Per value of ``column`` among ``ids``: how many rows match ``where`` (absent: none).

    The counters of the rows around a deal, person or organization (live notes, files,
    active participants…); pass ``table.c.is_deleted.is_(False)`` to count live rows only.
    """
    ids = sorted(set(ids))
    if not ids:
        return {}
    rows = grouped(conn, table, company_id, [table.c[column].in_(ids), *where], (column,))
    return {row[column]: row["count"] for row in rows}


def grouped(
    conn: Connection,
    table: Table,
    company_id: int,
    where: Sequence[ColumnElement],
    groups: Sequence[str],
    total: str | None = None,
) -> list[Row]:
    """One row per distinct value of the ``groups`` columns among the rows matching ``where``:
    those columns, ``count``, and with ``total`` the sum of that column (0 when none) as ``total``."""
    cols = [table.c[name] for name in groups]
    measures = [func.count().label("count")]
    if total is not None:
        measures.append(func.coalesce(func.sum(table.c[total]), 0).label("total"))
    stmt = select(*cols, *measures).where(table.c.company_id == company_id, *where).group_by(*cols)
    return [dict(r) for r in conn.execute(stmt).mappings()]


def activity_rollup(conn: Connection, company_id: int, column: str, ids: Iterable[int]) -> list[Row]:
    """The live activities of the given deals / persons / organizations (``column``: deal_id, …),
    with what their parents' counters and next / last activity need."""
    ids = sorted(set(ids))
    if not ids:
        return []
    t = activities
    col = t.c[column]
    stmt = select(
        col.label("parent_id"),
        t.c.id,
        t.c.done,
        t.c.due_date,
        t.c.due_time,
        t.c.subject,
        t.c.type,
        t.c.duration,
        t.c.note,
    ).where(t.c.company_id == company_id, col.in_(ids), t.c.is_deleted.is_(False))
    return _dicts(conn.execute(stmt))


@cache
def _activity_types_prepared() -> Prepared:
    t = activity_types
    stmt = select(t).where(t.c.company_id == bindparam("cid"), t.c.is_deleted.is_(False))
    return Prepared(stmt.order_by(t.c.order_nr, t.c.id))


def activity_type_keys(conn: Connection, company_id: int) -> dict[str, Row]:
    """The company's live activity types by ``key_string`` (read on every activity written)."""
    return {row["key_string"]: row for row in _activity_types_prepared().rows(conn, {"cid": company_id})}


def get_company(conn: Connection, company_id: int) -> Row:
    row = conn.execute(select(companies).where(companies.c.id == company_id)).mappings().one()
    return dict(row)


@cache
def _live_fields_prepared() -> Prepared:
    stmt = (
        select(fields)
        .where(
            fields.c.company_id == bindparam("cid"),
            fields.c.entity_type == bindparam("entity_type"),
            fields.c.is_deleted.is_(False),
        )
        .order_by(fields.c.order_nr, fields.c.id)
    )
    return Prepared(stmt)


def live_fields(conn: Connection, company_id: int, entity_type: str) -> list[Row]:
    """The custom fields of one entity type that are not deleted, in their order.

    Read on every request that shows or writes deals, persons or organizations: a
    prepared statement on the (company_id, entity_type, is_deleted) index.
    """
    return _live_fields_prepared().rows(conn, {"cid": company_id, "entity_type": entity_type})


@cache
def _counter_prepared(column: str) -> Prepared:
    return Prepared(select(companies.c[column]).where(companies.c.id == bindparam("cid")))


def company_counter(conn: Connection, company_id: int, column: str) -> int:
    """One of the company's version counters (``fields_version``, ``webhooks_version``): it
    moves with every change to what it counts, so a process may cache that by it."""
    rows = _counter_prepared(column).rows(conn, {"cid": company_id})
    return rows[0][column] if rows else 0


@cache
def _counters_prepared(counters: tuple[str, ...]) -> Prepared:
    return Prepared(select(*(companies.c[c] for c in counters)).where(companies.c.id == bindparam("cid")))


def company_counters(conn: Connection, company_id: int, counters: tuple[str, ...]) -> dict[str, int | None]:
    """Some of the company's version counters (``company_counter``) in one statement (each
    None when the company is gone)."""
    row = _counters_prepared(counters).first(conn, {"cid": company_id})
    return dict(zip(counters, row)) if row is not None else dict.fromkeys(counters)


def bump_company_counter(conn: Connection, company_id: int, column: str) -> None:
    conn.execute(update(companies).where(companies.c.id == company_id).values({column: companies.c[column] + 1}))


def fields_version(conn: Connection, company_id: int) -> int:
    """The company's field-definitions version (see ``companies.fields_version``)."""
    return company_counter(conn, company_id, "fields_version")


def bump_fields_version(conn: Connection, company_id: int) -> None:
    bump_company_counter(conn, company_id, "fields_version")


@cache
def _change_version_prepared() -> Prepared:
    return Prepared(
        select(func.max(change_events.c.id).label("v")).where(change_events.c.company_id == bindparam("cid"))
    )


def change_version(conn: Connection, company_id: int) -> int:
    """The company's newest change event: it moves with every write to its data."""
    rows = _change_version_prepared().rows(conn, {"cid": company_id})
    return rows[0]["v"] or 0


# -- rows by column: what is linked to an item, relinking, child rows ------------------


@cache
def _equal_prepared(table: Table, columns: tuple[str, ...], order_by: tuple[str, ...]) -> Prepared:
    where = [table.c[c] == bindparam(f"eq_{c}", type_=table.c[c].type) for c in columns]
    stmt = select(table).where(table.c.company_id == bindparam("cid"), *where)
    return Prepared(stmt.order_by(*(table.c[c] for c in order_by)))


def rows_equal(
    conn: Connection, table: Table, company_id: int, equals: dict[str, Any], order_by: tuple[str, ...] = ("id",)
) -> list[Row]:
    """The company's rows whose columns equal ``equals`` (column → value, not null), in
    ``order_by`` order: a statement prepared once per table, columns and order, for the
    lookups every write of an item makes (its lines, its follower, its participant)."""
    prepared = _equal_prepared(table, tuple(equals), order_by)
    return prepared.rows(conn, {"cid": company_id, **{f"eq_{c}": v for c, v in equals.items()}})


def rows_where(conn: Connection, table: Table, company_id: int, column: str, value: Any) -> list[Row]:
    """The company's rows whose ``column`` equals ``value`` (rows linked to one item)."""
    stmt = select(table).where(table.c.company_id == company_id, table.c[column] == value).order_by(table.c.id)
    return _dicts(conn.execute(stmt))


def rows_mentioning(conn: Connection, table: Table, company_id: int, column: str, text: str) -> list[Row]:
    """Live rows whose JSON text ``column`` holds the string ``text`` (e.g. a label id in label_ids)."""
    needle = '%"' + text.replace("\\", "").replace("%", "").replace("_", "") + '"%'
    stmt = select(table).where(
        table.c.company_id == company_id, table.c.is_deleted.is_(False), table.c[column].like(needle)
    )
    return _dicts(conn.execute(stmt))


def column_values(conn: Connection, table: Table, company_id: int, column: str, *where: ColumnElement) -> list[Any]:
    """One column of the rows matching ``where``, in id order."""
    stmt = select(table.c[column]).where(table.c.company_id == company_id, *where).order_by(table.c.id)
    return list(conn.execute(stmt).scalars())


def live_ids_where(conn: Connection, table: Table, company_id: int, equals: dict[str, Any]) -> list[Any]:
    """Ids of the live rows whose columns equal ``equals`` (column → value), in id order."""
    where = [table.c[column] == value for column, value in equals.items()]
    return column_values(conn, table, company_id, "id", table.c.is_deleted.is_(False), *where)


def live_rows_in(
    conn: Connection, table: Table, company_id: int, column: str, values: Sequence[Any], *where: ColumnElement
) -> list[Row]:
    """Live rows whose ``column`` is one of ``values`` (the items linked to several parents)."""
    return all_rows(conn, table, company_id, table.c[column].in_(list(values)), table.c.is_deleted.is_(False), *where)


def reassign(
    conn: Connection, table: Table, company_id: int, column: str, old: int, new: int, **also: Any
) -> list[int]:
    """Point every row whose ``column`` is ``old`` at ``new`` (setting ``also`` too); the ids moved."""
    col = table.c[column]
    ids = list(conn.execute(select(table.c.id).where(table.c.company_id == company_id, col == old)).scalars())
    if ids:
        stmt = update(table).where(table.c.company_id == company_id, col == old).values({column: new, **also})
        conn.execute(stmt)
    return ids


def delete_rows(conn: Connection, table: Table, company_id: int, *where: ColumnElement) -> None:
    """Remove rows for good (child rows: prices, variations, deal products, discounts)."""
    conn.execute(delete(table).where(table.c.company_id == company_id, *where))


def distinct_values(conn: Connection, table: Table, company_id: int, column: str, *where: ColumnElement) -> list[Any]:
    """The distinct values of one column among the rows that match (e.g. the deals of a product)."""
    col = table.c[column]
    stmt = select(col).where(table.c.company_id == company_id, *where).distinct()
    return list(conn.execute(stmt).scalars())


# -- JSON values ---------------------------------------------------------------------------


def json_text(conn: Connection, column: ColumnElement, key: str) -> ColumnElement:
    """The text of one key of a JSON text column (a custom field's value), in the dialect's way."""
    if conn.dialect.name == "postgresql":
        return func.cast(column, JSONB).op("->>")(key)
    return func.json_extract(column, f'$."{key}"')


# -- recents, changelogs, flow (read the change events) --------------------------------


def recent_items(
    conn: Connection,
    company_id: int,
    since: str,
    entities: Iterable[str],
    offset: int,
    limit: int,
    seen: Mapping[str, tuple[Table, Sequence[ColumnElement]]] | None = None,
) -> list[Row]:
    """Items with a change event at or after ``since``: one row per item, in the order of
    its first such event (so a later write never moves an item to another page), with
    ``last_time`` the time of its newest event. ``seen``: for an entity named there, only
    the items of its table (given) that meet its conditions (a user's visibility), tested
    in the statement by a non-correlated ``IN (SELECT id …)``, so every page is full."""
    c = change_events.c
    names = list(entities)
    which: ColumnElement = c.entity.in_(names)
    if seen:
        parts = []
        for name in names:
            if name not in seen:
                parts.append(c.entity == name)
                continue
            table, conditions = seen[name]
            key = c.entity_uuid if isinstance(table.c.id.type, String) else c.entity_id
            ids = select(table.c.id).where(table.c.company_id == company_id, *conditions)
            parts.append(and_(c.entity == name, key.in_(ids)))
        which = or_(*parts)
    stmt = (
        select(
            c.entity,
            c.entity_id,
            c.entity_uuid,
            func.min(c.id).label("first_event"),
            func.max(c.time).label("last_time"),
        )
        .where(c.company_id == company_id, c.time >= since, which)
        .group_by(c.entity, c.entity_id, c.entity_uuid)
        .order_by(func.min(c.id))
        .offset(offset)
        .limit(limit)
    )
    return _dicts(conn.execute(stmt))


def item_events(
    conn: Connection, company_id: int, entity: str, item_id: int | str, *, before: int | None = None
) -> list[Row]:
    """The change events of one item, newest first (``before``: only events with a lower id)."""
    c = change_events.c
    key = c.entity_uuid if isinstance(item_id, str) else c.entity_id
    where = [c.company_id == company_id, c.entity == entity, key == item_id]
    if before is not None:
        where.append(c.id < before)
    return _dicts(conn.execute(select(change_events).where(*where).order_by(c.id.desc())))


# -- search ------------------------------------------------------------------------------
# ``search_items`` rows (one per item) and the full-text indexes beside them (migration
# 0011): on SQLite the FTS5 table ``search_fts`` (trigram tokenizer, kept by triggers); on
# PostgreSQL a pg_trgm GIN index over the lower-cased texts (``SEARCH_TEXT``).

SEARCH_COLUMNS = ("title", "email", "phone", "address", "code", "custom", "notes")


def _item_key(item_key: int | str):
    from dealbase.store.tables import search_items as s

    return s.c.item_uuid == item_key if isinstance(item_key, str) else s.c.item_id == item_key


def search_put(conn: Connection, company_id: int, item_type: str, item_key: int | str, values: dict[str, Any]) -> None:
    """Write an item's search texts (its row made or replaced)."""
    from dealbase.store.tables import search_items as s

    where = [s.c.company_id == company_id, s.c.item_type == item_type, _item_key(item_key)]
    current = conn.execute(select(s).where(*where)).mappings().first()
    if current is None:
        keys = {"item_uuid": item_key} if isinstance(item_key, str) else {"item_id": item_key}
        conn.execute(insert(s).values(company_id=company_id, item_type=item_type, **keys, **values))
    elif any(current[k] != v for k, v in values.items()):
        conn.execute(update(s).where(s.c.id == current["id"], s.c.company_id == company_id).values(**values))


def search_put_many(conn: Connection, company_id: int, items: Sequence[tuple[str, int | str, dict[str, Any]]]) -> None:
    """``search_put`` of several items (item type, key, texts): the rows of those missing
    inserted in one statement, in the order given; the others updated where they differ."""
    from dealbase.store.tables import search_items as s

    current: dict[tuple[str, int | str], Row] = {}
    for item_type in dict.fromkeys(t for t, _, _ in items):
        keys = [k for t, k, _ in items if t == item_type]
        col = s.c.item_uuid if isinstance(keys[0], str) else s.c.item_id
        for start in range(0, len(keys), 500):
            where = [s.c.company_id == company_id, s.c.item_type == item_type, col.in_(keys[start : start + 500])]
            for row in _dicts(conn.execute(select(s).where(*where))):
                current[(item_type, row["item_uuid"] if isinstance(keys[0], str) else row["item_id"])] = row
    new = []
    for item_type, key, values in items:
        row = current.get((item_type, key))
        if row is None:
            ids = {"item_uuid": key, "item_id": None} if isinstance(key, str) else {"item_id": key, "item_uuid": None}
            new.append({"company_id": company_id, "item_type": item_type, **ids, **values})
        elif any(row[k] != v for k, v in values.items()):
            update_row(conn, s, company_id, row["id"], values)
    if new:
        conn.execute(insert(s), new)


def column_values_by(
    conn: Connection, table: Table, company_id: int, column: str, keys: Sequence[Any], value: str, *where: ColumnElement
) -> dict[Any, list[Any]]:
    """``column_values`` of ``value`` for each of ``keys`` (the rows whose ``column`` is it),
    in one statement per 500 keys; keys with no rows are left out."""
    found: dict[Any, list[Any]] = {}
    for start in range(0, len(keys), 500):
        chunk = table.c[column].in_(keys[start : start + 500])
        stmt = select(table.c[column], table.c[value]).where(table.c.company_id == company_id, chunk, *where)
        for key, got in conn.execute(stmt.order_by(table.c.id)).all():
            found.setdefault(key, []).append(got)
    return found


def search_drop(conn: Connection, company_id: int, item_type: str, item_key: int | str) -> None:
    from dealbase.store.tables import search_items as s

    conn.execute(delete(s).where(s.c.company_id == company_id, s.c.item_type == item_type, _item_key(item_key)))


def escape_like(text: str) -> str:
    """``text`` as literal characters in a LIKE pattern (with ``escape="\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(word: str) -> str:
    return "%" + escape_like(word) + "%"


def _fts_phrase(word: str) -> str:
    """A word as an FTS5 string: every character literal (operators, ``*``, quotes)."""
    return '"' + word.replace('"', '""') + '"'


def _pg_text():
    """The lower-cased texts of a row as one string: the expression PostgreSQL's trigram
    index is built on (the migration creates it with exactly this expression)."""
    from dealbase.store.tables import search_items as s

    joined = None
    for name in SEARCH_COLUMNS:
        part = func.coalesce(s.c[name], literal_column("''"))
        joined = part if joined is None else joined.op("||")(literal_column("E'\\n'")).op("||")(part)
    return func.lower(joined)


def search_candidates(
    conn: Connection,
    company_id: int,
    types: Sequence[str],
    columns: Sequence[str],
    words: Sequence[str],
    only: dict[str, list[Any]] | None,
    limit: int,
    seen: dict[str, ColumnElement] | None = None,
) -> list[Row]:
    """The newest ``limit`` items of ``types`` in which every word is found (case-insensitively)
    in one of ``columns``; ``only``: per type, the item keys allowed; ``seen``: per type, the
    condition on ``search_items`` its items must meet (the user's visibility).

    Items where each word starts a word come first (newest first, by the word index); only
    when they are fewer than ``limit`` are matches inside words added, and only for words of
    three characters or more (shorter ones match at word starts only).

    The words are data, never SQL: bound as LIKE patterns with ``%``/``_`` escaped, as
    regular expressions with every other character escaped, and, for SQLite's FTS5, as quoted
    strings in which every character is literal.
    """
    from dealbase.store.tables import search_items as s

    if not types or not columns or not words:
        return []
    where = [s.c.company_id == company_id]
    per_type = {}
    for item_type in types:
        cond = s.c.item_type == item_type
        if only is not None and item_type in only:
            keys = only[item_type]
            if not keys:
                continue
            col = s.c.item_uuid if isinstance(keys[0], str) else s.c.item_id
            cond = and_(cond, col.in_(keys))
        if seen and item_type in seen:
            cond = and_(cond, seen[item_type])
        per_type[item_type] = cond
    if not per_type:
        return []
    where.append(or_(*per_type.values()))
    for word in words:
        pattern = _like(word)
        where.append(or_(*[func.lower(s.c[c]).like(pattern, escape="\\") for c in columns]))
    rows = _word_start_matches(conn, company_id, list(per_type), columns, words, where, limit)
    if len(rows) < limit and all(len(w) >= 3 for w in words):
        seen = {r["id"] for r in rows}
        more = _substring_matches(conn, list(per_type), columns, words, where, limit)
        rows += [r for r in more if r["id"] not in seen][: limit - len(rows)]
    return rows


_WORD_CHARS = re.compile(r"[^\W_]+")


def _word_start_matches(
    conn: Connection,
    company_id: int,
    types: Sequence[str],
    columns: Sequence[str],
    words: Sequence[str],
    where: list,
    limit: int,
) -> list[Row]:
    from dealbase.store.tables import search_items as s

    if not any(_WORD_CHARS.search(w) for w in words):
        return []  # no letters or digits: nothing here can start a word
    if conn.dialect.name != "sqlite":
        for word in words:
            if not _WORD_CHARS.search(word):
                continue
            starts = "(^|[^[:alnum:]])" + _regex_literal(word)
            where = [*where, _pg_text().regexp_match(starts)]
            where.append(or_(*[func.lower(s.c[c]).regexp_match(starts) for c in columns]))
        return _dicts(conn.execute(select(s).where(*where).order_by(s.c.id.desc()).limit(limit)))
    # A word without letters or digits (``%``, ``--``) starts no word: the LIKEs of ``where``
    # alone decide whether it is there.
    phrases = ['"' + " ".join(tokens) + '"*' for tokens in map(_WORD_CHARS.findall, words) if tokens]
    query = f'company_id : "{int(company_id)}" AND ' + _fts_query(types, columns, phrases)
    return _fts_matches(conn, "search_words", query, where, limit)


def _substring_matches(
    conn: Connection, types: Sequence[str], columns: Sequence[str], words: Sequence[str], where: list, limit: int
) -> list[Row]:
    from dealbase.store.tables import search_items as s

    if conn.dialect.name != "sqlite":
        text_expr = _pg_text()
        where = [*where, *(text_expr.like(_like(w), escape="\\") for w in words)]
        return _dicts(conn.execute(select(s).where(*where).order_by(s.c.id.desc()).limit(limit)))
    # The FTS5 trigram index finds rows holding every word; the LIKEs in ``where`` then keep
    # those where each word is in a searched column.
    return _fts_matches(conn, "search_fts", _fts_query(types, columns, [_fts_phrase(w) for w in words]), where, limit)


def _fts_query(types: Sequence[str], columns: Sequence[str], phrases: Sequence[str]) -> str:
    """FTS5: an item of one of ``types`` with every phrase in one of ``columns``."""
    kinds = " OR ".join(f'"{t}"' for t in types)
    return f"item_type : ({kinds}) AND {{{' '.join(columns)}}} : ({' AND '.join(phrases)})"


def _fts_matches(conn: Connection, fts_table: str, query: str, where: list, limit: int) -> list[Row]:
    """Rows of ``search_items`` matching an FTS5 ``query`` and ``where``, newest first."""
    from sqlalchemy import column as sql_column
    from sqlalchemy import table as sql_table

    from dealbase.store.tables import search_items as s

    fts = sql_table(fts_table, sql_column("rowid"))
    stmt = (
        select(s)
        .select_from(fts.join(s, fts.c.rowid == s.c.id))
        .where(literal_column(fts_table).op("MATCH")(bindparam("fts_query", query)), *where)
        .order_by(fts.c.rowid.desc())
        .limit(limit)
    )
    return _dicts(conn.execute(stmt))


def _regex_literal(word: str) -> str:
    """``word`` as a PostgreSQL regular expression matching it literally."""
    return "".join(ch if ch.isalnum() else "\\" + ch for ch in word)


def search_titles(
    conn: Connection,
    company_id: int,
    types: Sequence[str],
    title_key: str,
    limit: int,
    seen: dict[str, ColumnElement] | None = None,
) -> list[Row]:
    """Items of ``types`` whose lower-cased title or name is exactly ``title_key`` (by index);
    ``seen`` as in ``search_candidates``."""
    from dealbase.store.tables import search_items as s

    if not types:
        return []
    kinds = [and_(s.c.item_type == t, seen[t]) if seen and t in seen else s.c.item_type == t for t in types]
    stmt = (
        select(s)
        .where(s.c.company_id == company_id, s.c.title_key == title_key, or_(*kinds))
        .order_by(s.c.id.desc())
        .limit(limit)
    )
    return _dicts(conn.execute(stmt))


def field_matches(
    conn: Connection,
    table: Table,
    company_id: int,
    column: str,
    custom_key: str | None,
    term: str,
    match: str,
    limit: int,
    offset: int,
    *where: ColumnElement,
) -> list[Row]:
    """``id`` and ``value`` of live rows whose field (a column, or the custom field
    ``custom_key`` — ``key`` or ``key.value`` — in ``custom_fields``) matches ``term`` case-sensitively: ``exact``,
    ``beginning`` or ``middle`` (anywhere). In id order."""
    from sqlalchemy import String, cast
    from sqlalchemy.dialects.postgresql import JSONB

    sqlite = conn.dialect.name == "sqlite"
    if custom_key is None:
        value = cast(table.c[column], String)
    else:
        # ``key`` or ``key.value`` (the value part of a monetary or address value).
        key, _, sub = custom_key.partition(".")
        if sqlite:
            path = '$."' + key.replace('"', "") + '"' + (f".{sub}" if sub else "")
            value = cast(func.json_extract(table.c.custom_fields, path), String)
        else:
            doc = cast(table.c.custom_fields, JSONB)
            value = doc[key][sub].astext if sub else doc[key].astext
    if match == "exact":
        cond = value == term
    elif match == "beginning":
        cond = func.substr(value, 1, len(term)) == term
    else:
        cond = (func.instr(value, term) if sqlite else func.strpos(value, term)) > 0
    stmt = (
        select(table.c.id, value.label("value"))
        .where(table.c.company_id == company_id, table.c.is_deleted.is_(False), value.is_not(None), cond, *where)
        .order_by(table.c.id)
        .limit(limit)
        .offset(offset)
    )
    return _dicts(conn.execute(stmt))


# -- projects ------------------------------------------------------------------------------


def rows_listing(conn: Connection, table: Table, company_id: int, column: str, item_id: int) -> list[Row]:
    """Live rows whose JSON id list ``column`` (``[1,2]``, as stored) holds ``item_id``."""
    n = str(int(item_id))
    col = table.c[column]
    stmt = select(table).where(
        table.c.company_id == company_id,
        table.c.is_deleted.is_(False),
        or_(col == f"[{n}]", col.like(f"[{n},%"), col.like(f"%,{n}]"), col.like(f"%,{n},%")),
    )
    return _dicts(conn.execute(stmt))
