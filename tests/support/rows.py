"""What the tests count in the database directly."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table, func, select

from dealbase.store.tables import metadata


def count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def counts(engine: Engine, *tables: Table) -> dict[str, int]:
    """How many rows each table has (every table when none is named): a refused request
    leaves them all as they were."""
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in tables or metadata.sorted_tables
        }


# A stored time (``2026-03-11 09:30:00``, ISO ``T`` and fractions too), masked unless it is
# the moment a test froze the clock at: rows made before (the company's first rows) carry
# the time the test database was made.
_TIME = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")
# What a company's rows hold that is made fresh each time: UUIDs (leads, lead labels),
# custom field keys and other hex tokens.
_FRESH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\b[0-9a-f]{32,40}\b")


def _plain(value: Any) -> Any:
    """A stored value the same on both backends: booleans as 0/1, numbers as floats, JSON
    (text on SQLite, JSONB on PostgreSQL) parsed, times as text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _line(row: dict[str, Any]) -> str:
    return orjson.dumps(row, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()


def company_digest(conn: Connection, company_id: int, moment: str) -> str:
    """A digest of ``company_rows``: two companies written alike in databases alike have
    the same one."""
    return hashlib.sha256("\n".join(company_rows(conn, company_id, moment)).encode()).hexdigest()


def company_rows(conn: Connection, company_id: int, moment: str) -> list[str]:
    """Every row of the company (every row of every table with a ``company_id``, by id; not
    its settings in ``companies``), with ids as stored, times other than ``moment`` masked,
    and each fresh token (UUID, custom field key) as the order it is first met in (custom
    fields by id first, then change events by id); each as a line of JSON after its table's
    name."""
    from dealbase.store.snapshots import company_tables

    walk = []
    for table in sorted(company_tables(), key=lambda t: (t.name != "fields", t.name != "change_events", t.name)):
        stmt = select(table).where(table.c.company_id == company_id).order_by(*table.primary_key.columns)
        walk.append((table.name, [dict(r) for r in conn.execute(stmt).mappings()]))
    tokens: dict[str, str] = {}

    def fresh(match: re.Match) -> str:
        return tokens.setdefault(match.group(), f"<fresh {len(tokens)}>")

    def time(match: re.Match) -> str:
        return match.group() if match.group() == moment else "<time>"

    lines = []
    for name, rows in walk:
        # a column left empty is left out, so that a column a later migration adds (empty
        # here) changes nothing
        shown = [
            _FRESH.sub(fresh, _TIME.sub(time, _line({k: _plain(v) for k, v in row.items() if v is not None})))
            for row in rows
        ]
        shown = [_line(orjson.loads(line)) for line in shown]  # keys that were tokens, sorted again
        if rows and isinstance(rows[0].get("id"), str):  # UUID keys: in the order of their tokens
            shown.sort()
        lines += [f"{name} {line}" for line in shown]
    return lines
