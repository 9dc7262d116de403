"""Saved filters as SQL: a resolved condition tree (``domain/filters.py``) → one WHERE clause.

Every condition becomes an expression on the filtered table; a condition on a related object
becomes ``IN (SELECT …)`` over that object's live rows of the same company. Custom values
are read from the ``custom_fields`` JSON text: ``json_extract`` on SQLite,
``jsonb_extract_path[_text]`` on PostgreSQL. The meaning of each operator is documented in
``domain/filters.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    cast,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from dealbase.conditions import Cond, Group
from dealbase.store.repository import escape_like
from dealbase.store.tables import change_events

_RANGE_END = {
    "ends_at": "=",
    "does_not_end_at": "!=",
    "ends_before": "<",
    "ends_e_before": "<=",
    "ends_after": ">",
    "ends_e_after": ">=",
}
_NEGATED = {
    "!=": "=",
    "NOT LIKE '$%'": "LIKE '$%'",
    "NOT LIKE '%$%'": "LIKE '%$%'",
    "NOT LIKE '%$'": "LIKE '%$'",
    "not_contains": "contains",
}
_PATTERNS = {"LIKE '$%'": "{}%", "LIKE '%$%'": "%{}%", "LIKE '%$'": "%{}"}


class _Json:
    """Values inside a JSON text column, for one dialect."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def _doc(self, column: ColumnElement) -> ColumnElement:
        return cast(column, JSONB)

    def text(self, column: ColumnElement, path: tuple[str, ...]) -> ColumnElement:
        if self.pg:
            return func.jsonb_extract_path_text(self._doc(column), *path)
        return func.json_extract(column, _sqlite_path(path))

    def number(self, column: ColumnElement, path: tuple[str, ...]) -> ColumnElement:
        if self.pg:
            return cast(self.text(column, path), Float)
        return func.json_extract(column, _sqlite_path(path))

    def int_at(self, column: ColumnElement, key: str, index: int) -> ColumnElement:
        """An integer at ``column[key][index]`` (a change event's new value)."""
        if self.pg:
            return cast(func.jsonb_extract_path_text(self._doc(column), key, str(index)), Integer)
        return func.json_extract(column, f'$."{key}"[{index}]')

    def array_has(self, column: ColumnElement, path: tuple[str, ...], item: int) -> ColumnElement:
        if self.pg:
            doc = func.jsonb_extract_path(self._doc(column), *path) if path else self._doc(column)
            return doc.op("@>")(cast(literal(f"[{int(item)}]"), JSONB))
        each = func.json_each(column, _sqlite_path(path)).table_valued("value")
        return select(literal(1)).select_from(each).where(each.c.value == item).exists()

    def array_filled(self, column: ColumnElement, path: tuple[str, ...]) -> ColumnElement:
        """A non-empty array is there."""
        if self.pg:
            doc = func.jsonb_extract_path(self._doc(column), *path) if path else self._doc(column)
            empty = cast(literal("[]"), JSONB)
            return func.coalesce(and_(doc.op("@>")(empty), doc != empty), false())
        return func.coalesce(func.json_array_length(column, _sqlite_path(path)), 0) > 0


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


class Compiler:
    def __init__(self, tables: dict[str, Table], company_id: int, dialect: str) -> None:
        self.tables = tables
        self.company_id = company_id
        self.json = _Json(dialect)

    def group(self, tree: Group, table: Table) -> ColumnElement:
        parts = [self.group(i, table) if isinstance(i, Group) else self.cond(i, table) for i in tree.items]
        if not parts:
            return true()
        return and_(*parts) if tree.glue == "and" else or_(*parts)

    def cond(self, cond: Cond, table: Table) -> ColumnElement:
        if cond.link is None:
            return self.test(cond, table)
        other = self.tables[cond.entity]
        direction, column = cond.link
        live = [other.c.company_id == self.company_id, other.c.is_deleted.is_(False), self.test(cond, other)]
        if direction == "out":
            return table.c[column].in_(select(other.c.id).where(*live))
        return table.c.id.in_(select(other.c[column]).where(*live))

    # -- one field ------------------------------------------------------------------------

    def value(self, cond: Cond, table: Table, path: tuple[str, ...]) -> ColumnElement:
        t = cond.target
        col = table.c[t.column]
        if not path:
            return col
        if t.value in ("num", "option", "id"):
            return self.json.number(col, path)
        return self.json.text(col, path)

    def test(self, cond: Cond, table: Table) -> ColumnElement:
        t, op = cond.target, cond.op
        if t.value == "ids":
            return self.set_test(cond, table)
        x = self.value(cond, table, t.path)
        if op == "IS NULL":
            return x.is_(None)
        if op == "IS NOT NULL":
            return x.is_not(None)
        if op == "has_been":
            return or_(x == cond.value, self.entered(cond, table, t.column))
        if t.end_path is not None and (op in _RANGE_END or op == "includes"):
            end = self.value(cond, table, t.end_path)
            if op == "includes":
                return self.includes(x, end, cond.value, t.value == "day")
            return self.compare(end, _RANGE_END[op], cond.value, t.value)
        return self.compare(x, op, cond.value, t.value)

    def entered(self, cond: Cond, table: Table, column: str) -> ColumnElement:
        """The rows a change event once set ``column`` of to the condition's value."""
        e = change_events.c
        moved = select(e.entity_id).where(
            e.company_id == self.company_id,
            e.entity == cond.entity,
            self.json.int_at(e.changes, column, 1) == cond.value,
        )
        return table.c.id.in_(moved)

    def compare(self, x: ColumnElement, op: str, value: Any, kind: str) -> ColumnElement:
        positive = _NEGATED.get(op)
        if positive is not None:
            return or_(x.is_(None), not_(self.compare(x, positive, value, kind)))
        if op in _PATTERNS:
            pattern = _PATTERNS[op].format(escape_like(value.lower()))
            return func.lower(x).like(pattern, escape="\\")
        if kind == "day":
            return _day(x, op, value)
        if kind == "text":
            x, value = func.lower(x), value.lower()
        if kind == "bool":
            return x.is_(value) if op == "=" else x.is_not(value)
        return {
            "=": lambda: x == value,
            "<": lambda: x < value,
            ">": lambda: x > value,
            "<=": lambda: x <= value,
            ">=": lambda: x >= value,
        }[op]()

    def includes(self, start: ColumnElement, end: ColumnElement, value: Any, day: bool) -> ColumnElement:
        if not day:
            return and_(start <= value, end >= value)
        lo, hi = value
        parts = [start.is_not(None), end.is_not(None)]
        if hi is not None:
            parts.append(start < hi)
        if lo is not None:
            parts.append(end >= lo)
        return and_(*parts)

    def set_test(self, cond: Cond, table: Table) -> ColumnElement:
        t, op = cond.target, cond.op
        col = table.c[t.column]
        filled = self.json.array_filled(col, t.path)
        if op == "IS NULL":
            return not_(filled)
        if op == "IS NOT NULL":
            return filled
        has = and_(filled, self.json.array_has(col, t.path, cond.value))
        return has if op in ("=", "contains") else not_(has)


def _day(x: ColumnElement, op: str, value: tuple[str | None, str | None]) -> ColumnElement:
    """``x`` (a date or a date-time as text) against the day interval ``[lo, hi)``."""
    lo, hi = value

    def at_least(bound: str | None) -> ColumnElement:
        return x.is_not(None) if bound is None else x >= bound

    def below(bound: str | None) -> ColumnElement:
        return false() if bound is None else x < bound

    if op == "=":
        return and_(at_least(lo), x < hi) if hi is not None else at_least(lo)
    if op == "<":
        return below(lo)
    if op == "<=":
        return below(hi) if hi is not None else x.is_not(None)
    if op == ">":
        return at_least(hi) if hi is not None else false()
    return at_least(lo)  # >=


def where(tree: Group, table: Table, tables: dict[str, Table], company_id: int, dialect: str) -> ColumnElement:
    """The WHERE clause selecting ``table``'s rows that match ``tree``."""
    return Compiler(tables, company_id, dialect).group(tree, table)
