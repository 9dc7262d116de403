"""A company's snapshots: all of its rows and stored files, saved and brought back whole.

A snapshot holds every row of every table with a ``company_id`` (found by walking the
schema, so a table added later is saved too) with its ids, and the bytes of every file
the company stored (``store/blobs.py``), as one zlib-compressed JSON payload in
``company_snapshots``: it survives a restart and lives and goes with its company.

A restore is one transaction: the company's rows go (children first), the saved rows come
back with their ids (parents first). Only the rows that differ from the saved ones are
written: replaced in the tables whose rows stand alone (``_plan``), updated in place in
the others, where a row that stays is never deleted (unless a saved key is held by a newer
row: then those tables are emptied and filled again). On PostgreSQL each table's id
sequence is moved past its largest id, so a later create never collides. The company's row stays; its
version counters move past both the current and the saved ones, so no process keeps
serving what it cached of the company (field definitions, webhooks) under a version it
has seen, and a marker change event moves the company's change version (v1 bookmarks)
to an id never used before.
"""

from __future__ import annotations

import base64
import contextlib
import gc
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Integer, Table, delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from dealbase.store import blobs
from dealbase.store.repository import Row
from dealbase.store.tables import change_events, companies, company_snapshots, metadata, people_changes

FORMAT = 1
VERSIONS = ("fields_version", "webhooks_version", "users_version")
# The marker change event of a restore: no reader of change events asks for this entity.
RESTORED = ("company", "restore")
# Tables whose rows are written once and never changed (histories): a restore compares
# their ids only. ``tests/test_snapshots.py`` fails if the store updates them.
APPEND_ONLY = (change_events, people_changes)
_GONE = object()  # an append-only row the snapshot does not have
# The meta columns of a snapshot, as listed (the payload only restore reads).
_LISTED = (company_snapshots.c.name, company_snapshots.c.created, company_snapshots.c.size, company_snapshots.c.counts)


def company_tables() -> list[Table]:
    """The tables holding company rows, parents before children (the snapshots themselves
    are not part of the state they save)."""
    return [t for t in metadata.sorted_tables if "company_id" in t.c and t is not company_snapshots]


@dataclass(frozen=True)
class Restored:
    """What a restore brought back: the snapshot's listing and the keys of its files (the
    company's other files are the caller's to remove once the transaction is committed)."""

    listed: Row
    files: frozenset[str]


def _listed(values: Any) -> Row:
    return {
        "name": values["name"],
        "created": values["created"],
        "size": values["size"],
        "counts": orjson.loads(values["counts"]),
    }


def listing(conn: Connection, company_id: int) -> list[Row]:
    """The company's snapshots, oldest first, without their payloads."""
    stmt = select(*_LISTED).where(company_snapshots.c.company_id == company_id).order_by(company_snapshots.c.id)
    return [_listed(r) for r in conn.execute(stmt).mappings()]


def exists(conn: Connection, company_id: int, name: str) -> bool:
    stmt = select(company_snapshots.c.id).where(
        company_snapshots.c.company_id == company_id, company_snapshots.c.name == name
    )
    return conn.execute(stmt).first() is not None


def remove(conn: Connection, company_id: int, name: str) -> bool:
    """Delete the named snapshot; whether there was one."""
    stmt = delete(company_snapshots).where(
        company_snapshots.c.company_id == company_id, company_snapshots.c.name == name
    )
    return conn.execute(stmt).rowcount > 0


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a payload's rows are in memory: a snapshot of
    10,000 deals holds over 100,000 row lists, and every full pass the allocations trigger
    walks them all (it took half of a restore's time). The rows go by their reference counts
    when it ends; anything cyclic made meanwhile, here or by another thread of the process
    (the switch is the process's), waits for the collector's next pass."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


# -- saving -----------------------------------------------------------------------------


def _rows(conn: Connection, table: Table, company_id: int) -> dict[str, Any]:
    columns = [c for c in table.c if c.name != "company_id"]
    order = list(table.primary_key.columns)
    stmt = select(*columns).where(table.c.company_id == company_id).order_by(*order)
    return {"columns": [str(c.name) for c in columns], "rows": [list(r) for r in conn.execute(stmt)]}


def save(conn: Connection, company_id: int, name: str, created: str, files_dir: str) -> Row:
    """Save the company's state as the snapshot ``name`` (the caller checked it is new); its
    listing."""
    with _collector_paused():
        return _save(conn, company_id, name, created, files_dir)


def _save(conn: Connection, company_id: int, name: str, created: str, files_dir: str) -> Row:
    tables = {str(t.name): _rows(conn, t, company_id) for t in company_tables()}
    versions = conn.execute(select(*(companies.c[v] for v in VERSIONS)).where(companies.c.id == company_id)).one()
    files = {key: blobs.read(files_dir, company_id, key) for key in blobs.keys(files_dir, company_id)}
    state = {
        "format": FORMAT,
        "versions": dict(zip(VERSIONS, versions, strict=True)),
        "tables": tables,
        "files": {key: base64.b64encode(data).decode() for key, data in files.items() if data is not None},
    }
    payload = zlib.compress(orjson.dumps(state), 1)
    counts = {t: len(saved["rows"]) for t, saved in tables.items() if saved["rows"]}
    counts["files"] = len(state["files"])
    values = {"name": name, "created": created, "size": len(payload), "counts": orjson.dumps(counts).decode()}
    conn.execute(insert(company_snapshots).values(company_id=company_id, payload=payload, **values))
    return _listed(values)


# -- restoring --------------------------------------------------------------------------


def restore(conn: Connection, company_id: int, name: str, stamp: str, files_dir: str) -> Restored | None:
    """Bring the company back to the snapshot ``name`` in the caller's transaction (None: no
    such snapshot). The snapshot's files are written first: a key names one content for
    good, so a rollback leaves at worst a file no row points at."""
    with _collector_paused():
        return _restore(conn, company_id, name, stamp, files_dir)


def _restore(conn: Connection, company_id: int, name: str, stamp: str, files_dir: str) -> Restored | None:
    found = conn.execute(
        select(*_LISTED, company_snapshots.c.payload).where(
            company_snapshots.c.company_id == company_id, company_snapshots.c.name == name
        )
    ).first()
    if found is None:
        return None
    state = orjson.loads(zlib.decompress(found.payload))
    for key, data in state["files"].items():
        blobs.write(files_dir, company_id, key, base64.b64decode(data))
    marker = _mark(conn, company_id, name, stamp)
    saved = {t: _known(t, state["tables"].get(t.name)) for t in company_tables()}
    rewritten, compared = _plan()
    for table in compared:
        _replace_changed(conn, table, company_id, saved[table], keep=marker if table is change_events else None)
    try:
        with conn.begin_nested():
            _update_in_place(conn, rewritten, company_id, saved)
    except (IntegrityError, conn.dialect.loaded_dbapi.IntegrityError):
        # A saved row's key is held by a row that goes, or it points at one gone for good:
        # every row of these tables goes, children first, and comes back, parents first.
        for table in reversed(rewritten):
            conn.execute(delete(table).where(table.c.company_id == company_id))
        for table in rewritten:
            _insert(conn, table, company_id, *saved[table])
    _move_versions(conn, company_id, state["versions"])
    if conn.dialect.name == "postgresql":
        for table, (_columns, rows) in saved.items():
            if rows:
                _move_sequence(conn, table)
    return Restored(_listed(found._mapping), frozenset(state["files"]))


def _mark(conn: Connection, company_id: int, name: str, stamp: str) -> int:
    """The restore's change event, written before the company's events go: its id is new."""
    entity, action = RESTORED
    stmt = insert(change_events).values(
        company_id=company_id,
        entity=entity,
        entity_id=company_id,
        action=action,
        change_source="api",
        time=stamp,
        changes=orjson.dumps({"snapshot": [None, name]}).decode(),
    )
    return conn.execute(stmt.returning(change_events.c.id)).scalar_one()


def _plan() -> tuple[list[Table], list[Table]]:
    """How each table is restored: ``rewritten`` (parents first), every row of the company
    deleted and the saved ones inserted; ``compared``, only the rows that differ from the
    saved ones replaced. A table is compared when a row of it can go or come alone: nothing
    references it, it references nothing but its company, it has no unique index. The
    largest tables are of that kind (change events, the search rows, whose full-text
    triggers make every written row costly), and most of their rows are unchanged."""
    referenced = {fk.column.table for t in metadata.tables.values() for fk in t.foreign_keys}
    rewritten, compared = [], []
    for table in company_tables():
        alone = (
            table not in referenced
            and all(fk.column.table is companies for fk in table.foreign_keys)
            and not any(index.unique for index in table.indexes)
            and [c.name for c in table.primary_key.columns] == ["id"]
        )
        (compared if alone else rewritten).append(table)
    return rewritten, compared


def _known(table: Table, saved: dict[str, Any] | None) -> tuple[list[str], list[list[Any]]]:
    """The saved columns the table still has and the rows' values of them (columns it gained
    since take their defaults)."""
    if not saved:
        return [], []
    columns = saved["columns"]
    if all(c in table.c for c in columns):
        return columns, saved["rows"]
    known = [i for i, c in enumerate(columns) if c in table.c]
    return [columns[i] for i in known], [[row[i] for i in known] for row in saved["rows"]]


def _replace_changed(
    conn: Connection, table: Table, company_id: int, saved: tuple[list[str], list[list[Any]]], keep: int | None
) -> None:
    """The company's rows of ``table`` made equal to the saved ones, touching only those
    that differ (``keep``: a row id to leave as it is)."""
    columns, rows = saved
    if not columns:
        conn.execute(delete(table).where(table.c.company_id == company_id, table.c.id != keep))
        return
    at = columns.index("id")
    wanted = {row[at]: row for row in rows}
    if table in APPEND_ONLY:  # a row there is its id: only the set of ids can differ
        ids = _current(conn, table, company_id, ["id"], 0)
        current: dict[Any, Any] = {i: wanted.get(i, _GONE) for i in ids}
    else:
        current = _current(conn, table, company_id, columns, at)
    gone = [i for i, row in current.items() if wanted.get(i) != row and i != keep]
    for chunk in range(0, len(gone), 500):
        conn.execute(delete(table).where(table.c.company_id == company_id, table.c.id.in_(gone[chunk : chunk + 500])))
    _insert(conn, table, company_id, columns, [row for i, row in wanted.items() if current.get(i) != row])


def _current(conn: Connection, table: Table, company_id: int, columns: list[str], at: int) -> dict[Any, list[Any]]:
    """The company's rows of ``table``, their ``columns`` by the value at ``at``, straight from
    the driver (SQLAlchemy's work per row cost more than the query). Values compare equal to
    the saved ones where they are: a boolean read as 0 or 1 equals False or True."""
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in columns)
    cursor = conn.connection.cursor()
    try:
        cursor.execute(f"SELECT {names} FROM {quote(table.name)} WHERE company_id = {int(company_id)}")
        return {row[at]: list(row) for row in cursor.fetchall()}
    finally:
        cursor.close()


def _update_in_place(conn: Connection, tables: list[Table], company_id: int, saved: dict[Table, Any]) -> None:
    """The company's rows of ``tables`` (parents first) made equal to the saved ones where
    they can be: missing rows inserted and differing ones updated, parents first, then the
    rows the snapshot lacks deleted, children first. Rows that stay are never deleted, so no
    reference to them is checked (on PostgreSQL each such check scans the referencing table)."""
    gone_by_table = []
    for table in tables:
        columns, rows = saved[table]
        key = table.primary_key.columns[0]
        if not columns:
            gone_by_table.append(
                (table, key, conn.execute(select(key).where(table.c.company_id == company_id)).scalars().all())
            )
            continue
        at = columns.index(key.name)
        wanted = {row[at]: row for row in rows}
        current = _current(conn, table, company_id, columns, at)
        _insert(conn, table, company_id, columns, [row for k, row in wanted.items() if k not in current])
        changed = [(current[k], row) for k, row in wanted.items() if k in current and current[k] != row]
        _update(conn, table, company_id, columns, key.name, changed)
        gone_by_table.append((table, key, [k for k in current if k not in wanted]))
    for table, key, gone in reversed(gone_by_table):
        for chunk in range(0, len(gone), 500):
            conn.execute(delete(table).where(table.c.company_id == company_id, key.in_(gone[chunk : chunk + 500])))


def _update(
    conn: Connection,
    table: Table,
    company_id: int,
    columns: list[str],
    key: str,
    changed: list[tuple[list[Any], list[Any]]],
) -> None:
    """The rows, found by ``key``, given the saved values of the columns that differ (pairs of
    the current row and the saved one), straight to the driver: one statement for the rows
    that differ in the same columns. Setting only those leaves the other columns' indexes
    alone (a deal deleted and brought back differs in two columns of its twenty indexed)."""
    at = columns.index(key)
    by_columns: dict[tuple[int, ...], list[tuple[Any, ...]]] = {}
    for current, saved in changed:
        differ = tuple(i for i, (now, then) in enumerate(zip(current, saved, strict=True)) if now != then and i != at)
        by_columns.setdefault(differ, []).append((*(saved[i] for i in differ), saved[at]))
    quote = conn.dialect.identifier_preparer.quote
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    cursor = conn.connection.cursor()
    try:
        for differ, values in by_columns.items():
            # The key is never set again: on SQLite, setting a referenced column checks every
            # referencing table, even to the same value.
            sets = ", ".join(f"{quote(columns[i])} = {mark}" for i in differ)
            where = f"WHERE company_id = {int(company_id)} AND {quote(key)} = {mark}"
            cursor.executemany(f"UPDATE {quote(table.name)} SET {sets} {where}", values)
    finally:
        cursor.close()


def _insert(conn: Connection, table: Table, company_id: int, columns: list[str], rows: list[list[Any]]) -> None:
    """The rows, with their ids, straight to the driver: thousands of rows a table, where
    SQLAlchemy's work per row would cost more than the database's (PostgreSQL: COPY)."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    names = ", ".join(quote(c) for c in ("company_id", *columns))
    target = f"{quote(table.name)} ({names})"
    if conn.dialect.name == "postgresql":
        with conn.connection.driver_connection.cursor() as cursor, cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for row in rows:
                copy.write_row((company_id, *row))
        return
    # The company's id is ours, an int: written into the statement, the saved rows go as they are.
    marks = ", ".join("?" * len(columns))
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(f"INSERT INTO {target} VALUES ({int(company_id)}, {marks})", rows)
    finally:
        cursor.close()


def _move_versions(conn: Connection, company_id: int, saved: dict[str, int]) -> None:
    current = conn.execute(select(*(companies.c[v] for v in VERSIONS)).where(companies.c.id == company_id)).one()
    moved = {v: max(now, saved.get(v, 0)) + 1 for v, now in zip(VERSIONS, current, strict=True)}
    conn.execute(update(companies).where(companies.c.id == company_id).values(moved))


def _move_sequence(conn: Connection, table: Table) -> None:
    """Move the table's id sequence past its largest id, never back."""
    if "id" not in table.c or not isinstance(table.c.id.type, Integer):  # UUID ids have no sequence
        return
    top = conn.execute(select(func.max(table.c.id))).scalar()
    if top is None:
        return
    conn.execute(
        text(
            "SELECT setval(s, :top) FROM (SELECT pg_get_serial_sequence(:table, 'id')::regclass AS s) q "
            "WHERE :top > coalesce(pg_sequence_last_value(s), 0)"
        ),
        {"table": table.name, "top": top},
    )
