"""The tests' databases, two ways.

* **Rolled back** (SQLite, the default): each xdist worker migrates one database and makes
  the test company in it once. A test runs inside one transaction of one connection the
  worker holds, rolled back at the test's end; what the app begins, commits and rolls back
  on that connection are savepoints inside it. SQLite rolls rowids back too, so every test
  starts from the same ids.
* **Fresh**: a migrated database of the test's own, for what must really commit (server
  processes, the CLI, the webhook dispatcher's thread) and for PostgreSQL, whose sequences
  do not roll back: a copy of the migrated template the testing kit keeps
  (``dealbase.testing.database.migrated_template``, SQLite), or the worker's database
  emptied with ``TRUNCATE … RESTART IDENTITY`` (PostgreSQL).
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import StaticPool

from dealbase.bootstrap import Company, create_company
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store.db import create_db_engine, migrate, normalize_url
from dealbase.store.tables import metadata, users

T = TypeVar("T")

TOKEN = "0123456789abcdef0123456789abcdef01234567"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210fedcba98"

ACME = {"name": "Acme", "domain": "acme", "admin_name": "Ada Admin", "admin_email": "ada@acme.test", "token": TOKEN}
RIVAL = {
    "name": "Rival",
    "domain": "rival",
    "admin_name": "Rita Rival",
    "admin_email": "rita@rival.test",
    "token": OTHER_TOKEN,
}


def make_company(engine: Engine, **fields) -> Company:
    """A company made and committed (on a rolled-back engine: until the test's end)."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        made = create_company(conn, **fields)
        conn.commit()
    return made


def in_unit(engine: Engine, company: Company, work: Callable[[Unit], T]) -> T:
    """``work(unit)`` as the company's user, below HTTP (a plain ``Unit``, as a seed script
    or the control plane calls the domain), in a transaction of its own, committed."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        user = repo.get(conn, users, company.company_id, company.user_id)
        done = work(Unit(conn, company.company_id, user))
        conn.commit()
    return done


# -- rolled back ------------------------------------------------------------------------


class SavepointConnection(sqlite3.Connection):
    """A SQLite connection whose transactions are savepoints of the test's outer one.

    The engine begins with ``BEGIN [IMMEDIATE]`` (store/db.py) and ends with the driver's
    ``commit()`` / ``rollback()``: here they open, release and undo a savepoint, so a commit
    lasts until the test's rollback. Outside a test (no outer transaction) releasing the
    outermost savepoint commits, which is how the worker's company is made.
    """

    depth = 0

    def execute(self, sql, *args):
        if sql in ("BEGIN", "BEGIN IMMEDIATE"):
            self.depth += 1
            return super().execute("SAVEPOINT request")
        return super().execute(sql, *args)

    def commit(self) -> None:
        if self.depth:
            self.depth -= 1
            super().execute("RELEASE request")

    def rollback(self) -> None:
        # also the pool's reset when a connection that began nothing goes back
        if self.depth:
            self.depth -= 1
            super().execute("ROLLBACK TO request")
            super().execute("RELEASE request")

    def begin_test(self) -> None:
        self.depth = 0
        super().execute("BEGIN")

    def end_test(self) -> None:
        self.depth = 0
        super().execute("ROLLBACK")


class HeldPool(StaticPool):
    """The worker's one connection, kept when an app's shutdown disposes the engine: a new
    pool would connect anew and set the pragmas again, which SQLite refuses in a transaction."""

    def recreate(self) -> HeldPool:
        return self

    def dispose(self) -> None:
        pass


class WorkerDatabase:
    """The worker's migrated SQLite database with the test company in it, and the one
    connection the rolled-back tests run on."""

    def __init__(self, template: Path, path: Path) -> None:
        shutil.copy(template, path)
        self.url = f"sqlite:///{path}"
        self.conn = sqlite3.connect(
            path, factory=SavepointConnection, check_same_thread=False, isolation_level=None, timeout=30
        )
        # The engine's first connect sets the pragmas (foreign keys: outside any transaction).
        self.engine = create_db_engine(self.url, poolclass=HeldPool, creator=lambda: self.conn)
        self.company = make_company(self.engine, **ACME)

    @contextmanager
    def rolled_back(self) -> Iterator[Engine]:
        """The worker's engine; whatever is written through it goes at the end."""
        self.conn.begin_test()
        try:
            yield self.engine
        finally:
            self.conn.end_test()

    def close(self) -> None:
        self.conn.close()


# -- fresh ------------------------------------------------------------------------------


def fresh_sqlite(template: Path, path: Path) -> str:
    shutil.copy(template, path)
    return f"sqlite:///{path}"


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A migrated PostgreSQL database of this worker's own, dropped at the end."""
    name = f"dealbase_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(admin_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def emptied(url: str) -> str:
    """The PostgreSQL database at ``url`` with every table empty and every id back at 1."""
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url
