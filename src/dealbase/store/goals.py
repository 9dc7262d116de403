"""The goals ``GET /goals`` finds by their columns (``domain/goals.py: find``)."""

from __future__ import annotations

from typing import Any

from dealbase.store import repository as repo
from dealbase.store.tables import goals

Row = dict[str, Any]


def matching(conn: Any, company_id: int, equal: dict[str, Any], period: tuple[str, str] | None) -> list[Row]:
    """Live goals, by id, whose columns have those values and whose duration (an open end
    never ends) overlaps ``period`` (start and end dates, both included) when given."""
    c = goals.c
    where = [c.is_deleted.is_(False), *(c[column] == value for column, value in equal.items())]
    if period is not None:
        start, end = period
        where += [c.duration_start <= end, c.duration_end.is_(None) | (c.duration_end >= start)]
    return repo.all_rows(conn, goals, company_id, *where, order_by=[c.id])
