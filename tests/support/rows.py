"""What the tests count in the database directly."""

from __future__ import annotations

from sqlalchemy import Engine, Table, func, select

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
