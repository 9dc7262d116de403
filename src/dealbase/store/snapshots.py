"""A company's snapshots: all of its rows and stored files, saved and brought back whole.

A snapshot holds every row of every table with a ``company_id`` (found by walking the
schema, so a table added later is saved too) with its ids, and the bytes of every file
the company stored (``store/blobs.py``), as one zlib-compressed JSON payload in
``company_snapshots``: it survives a restart and lives and goes with its company.

A restore is one transaction: the company's rows go (children first), the saved rows come
back with their ids (parents first), and on PostgreSQL each table's id sequence is moved
past its largest id, so a later create never collides. The company's row stays; its
version counters move past both the current and the saved ones, so no process keeps
serving what it cached of the company (field definitions, webhooks) under a version it
has seen, and a marker change event moves the company's change version (v1 bookmarks)
to an id never used before.
"""

from __future__ import annotations

import base64
import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Integer, Table, delete, func, insert, select, text, update

from dealbase.store import blobs
from dealbase.store.repository import Row
from dealbase.store.tables import change_events, companies, company_snapshots, metadata

FORMAT = 1
VERSIONS = ("fields_version", "webhooks_version")
# The marker change event of a restore: no reader of change events asks for this entity.
RESTORED = ("company", "restore")
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


# -- saving -----------------------------------------------------------------------------


def _rows(conn: Connection, table: Table, company_id: int) -> dict[str, Any]:
    columns = [c for c in table.c if c.name != "company_id"]
    order = list(table.primary_key.columns)
    stmt = select(*columns).where(table.c.company_id == company_id).order_by(*order)
    return {"columns": [str(c.name) for c in columns], "rows": [list(r) for r in conn.execute(stmt)]}


def save(conn: Connection, company_id: int, name: str, created: str, files_dir: str) -> Row:
    """Save the company's state as the snapshot ``name`` (the caller checked it is new); its
    listing."""
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
    tables = company_tables()
    for table in reversed(tables):
        gone = delete(table).where(table.c.company_id == company_id)
        if table is change_events:
            gone = gone.where(change_events.c.id != marker)
        conn.execute(gone)
    for table in tables:
        saved = state["tables"].get(table.name)
        if saved and saved["rows"]:
            _insert(conn, table, company_id, saved)
    _move_versions(conn, company_id, state["versions"])
    if conn.dialect.name == "postgresql":
        for table in tables:
            if state["tables"].get(table.name, {}).get("rows"):
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


def _insert(conn: Connection, table: Table, company_id: int, saved: dict[str, Any]) -> None:
    # Columns the table no longer has are left out, ones it gained take their defaults.
    known = [(i, c) for i, c in enumerate(saved["columns"]) if c in table.c]
    rows = [{"company_id": company_id, **{c: row[i] for i, c in known}} for row in saved["rows"]]
    conn.execute(insert(table), rows)


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
