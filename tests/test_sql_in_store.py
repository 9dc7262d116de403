"""All SQL lives in ``store/``: no statement is built or run anywhere else.

Every module of ``src/dealbase`` outside ``store/`` is parsed. A statement is built by a
call of SQLAlchemy's ``select`` / ``insert`` / ``update`` / ``delete`` / ``text`` (imported
under any name, from any ``sqlalchemy`` module, or reached through ``import sqlalchemy``) or
of a table's own ``.select()`` / ``.insert()`` / ``.update()`` / ``.delete()``; it is run by
``.execute(…)``, ``.scalar(…)``, ``.scalars(…)`` or ``.exec_driver_sql(…)``. Each fails,
naming the module and line. Conditions built from columns (``deals.c.status == "open"``)
are data handed to the store, and stay allowed; so do ``dict.update``, ``service.update``
and a handler named ``delete``, which are none of these.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "dealbase"

STORE = "store/"
BUILDERS = frozenset({"select", "insert", "update", "delete", "text"})
TABLE_BUILDERS = frozenset({"select", "insert", "update", "delete"})
# A connection's (or a session's, a result's, a cursor's) ways to run SQL: no object of
# ours outside the store has methods of these names.
RUNNERS = frozenset({"execute", "scalar", "scalars", "exec_driver_sql"})
TABLES = "dealbase.store.tables"


def _is_sqlalchemy(module: str) -> bool:
    return module == "sqlalchemy" or module.startswith("sqlalchemy.")


class _Imports:
    """What a module's imports bind to SQLAlchemy and to the tables, by local name."""

    def __init__(self, tree: ast.AST) -> None:
        self.builders: set[str] = set()  # ``from sqlalchemy import select as sel`` → sel
        self.sqlalchemy: set[str] = set()  # ``import sqlalchemy as sa`` → sa
        self.tables: set[str] = set()  # ``from dealbase.store.tables import deals`` → deals
        self.tables_module: set[str] = set()  # ``from dealbase.store import tables`` → tables
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if _is_sqlalchemy(alias.name):
                        self.sqlalchemy.add(alias.asname or alias.name.partition(".")[0])
                    elif alias.name == TABLES and alias.asname:
                        self.tables_module.add(alias.asname)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                module = node.module or ""
                for alias in node.names:
                    name = alias.asname or alias.name
                    if _is_sqlalchemy(module) and alias.name in BUILDERS:
                        self.builders.add(name)
                    elif _is_sqlalchemy(module):
                        self.sqlalchemy.add(name)  # a submodule (``from sqlalchemy import sql``) or harmless
                    elif module == TABLES:
                        self.tables.add(name)
                    elif f"{module}.{alias.name}" == TABLES:
                        self.tables_module.add(name)


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_table(node: ast.expr, imports: _Imports) -> bool:
    if isinstance(node, ast.Name):
        return node.id in imports.tables
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imports.tables_module


def _sql_call(node: ast.Call, imports: _Imports) -> str | None:
    """What the call does with SQL (``builds a statement: select``), or None."""
    func = node.func
    if isinstance(func, ast.Name) and func.id in imports.builders:
        return f"builds a statement: {func.id}(...)"
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in RUNNERS:
        return f"runs SQL: .{func.attr}(...)"
    if func.attr in BUILDERS and _root(func.value) in imports.sqlalchemy:
        return f"builds a statement: {ast.unparse(func)}(...)"
    if func.attr in TABLE_BUILDERS and _is_table(func.value, imports):
        return f"builds a statement: {ast.unparse(func)}(...)"
    return None


def sql_outside_store(path: str, source: str) -> list[str]:
    """The statements the module at ``path`` (under ``src/dealbase``) builds or runs, unless it
    is in the store."""
    if path.startswith(STORE):
        return []
    tree = ast.parse(source, path)
    imports = _Imports(tree)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (what := _sql_call(node, imports)):
            out.append(f"src/dealbase/{path}:{node.lineno} {what}")
    return sorted(out, key=lambda line: int(line.split(":")[1].split()[0]))


def test_no_sql_outside_the_store():
    found = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += sql_outside_store(file.relative_to(PACKAGE).as_posix(), file.read_text())
    assert found == [], "put the statement in store/ and call it:\n" + "\n".join(found)


def test_every_spelling_of_a_statement_is_found():
    source = """
import sqlalchemy as sa
from sqlalchemy import insert, select as sel, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from dealbase.store.tables import deals
from dealbase.store import tables

def rows(conn):
    conn.execute(sel(deals))
    ctx.conn.scalar(sa.select(deals.c.id))
    insert(deals).values(title="x")
    pg_insert(deals)
    conn.exec_driver_sql("VACUUM")
    text("SELECT 1")
    deals.update().where(deals.c.id == 1)
    tables.persons.delete()
    unit.conn.scalars(sa.sql.expression.delete(deals))
"""
    assert sql_outside_store("api/handlers/deals.py", source) == [
        "src/dealbase/api/handlers/deals.py:9 runs SQL: .execute(...)",
        "src/dealbase/api/handlers/deals.py:9 builds a statement: sel(...)",
        "src/dealbase/api/handlers/deals.py:10 runs SQL: .scalar(...)",
        "src/dealbase/api/handlers/deals.py:10 builds a statement: sa.select(...)",
        "src/dealbase/api/handlers/deals.py:11 builds a statement: insert(...)",
        "src/dealbase/api/handlers/deals.py:12 builds a statement: pg_insert(...)",
        "src/dealbase/api/handlers/deals.py:13 runs SQL: .exec_driver_sql(...)",
        "src/dealbase/api/handlers/deals.py:14 builds a statement: text(...)",
        "src/dealbase/api/handlers/deals.py:15 builds a statement: deals.update(...)",
        "src/dealbase/api/handlers/deals.py:16 builds a statement: tables.persons.delete(...)",
        "src/dealbase/api/handlers/deals.py:17 runs SQL: .scalars(...)",
        "src/dealbase/api/handlers/deals.py:17 builds a statement: sa.sql.expression.delete(...)",
    ]
    assert sql_outside_store("store/repository.py", source) == []


def test_what_is_no_statement_is_let_through():
    source = """
from sqlalchemy import ColumnElement, or_
from dealbase.domain import service
from dealbase.api import resources as res
from dealbase.store.tables import deals

def update(ctx, values: dict, seen: set):
    values.update(title="x")
    seen.update({1, 2})
    service.update(ctx, DEAL, old, given)
    res.delete(ctx, DEAL)
    where: ColumnElement = or_(deals.c.status == "open", deals.c.id.in_([1, 2]))
    return update(ctx, values, seen)

def delete(ctx):
    text = ctx.raw("text")
    return text.strip()
"""
    assert sql_outside_store("api/handlers/deals.py", source) == []
