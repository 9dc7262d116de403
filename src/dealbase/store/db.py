"""Engine creation and schema migration."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalize_url(url: str) -> str:
    """Let users write ``postgresql://`` and still get the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str, **options: Any) -> Engine:
    """The engine for ``url``. ``options`` go to SQLAlchemy's ``create_engine`` over ours (the
    tests hand SQLite one connection they hold, in a transaction rolled back after each test)."""
    url = normalize_url(url)
    if is_sqlite(url):
        # The driver's own transaction handling is off so that writes can take the lock
        # up front (BEGIN IMMEDIATE) instead of failing to upgrade a read lock later.
        connect_args = {"check_same_thread": False, "timeout": 30, "isolation_level": None}
        engine = create_engine(url, **{"connect_args": connect_args, **options})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # A 64 MiB page cache per connection (the default is 2 MiB): list pages read
            # hundreds of wide rows.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            write = conn.get_execution_options().get("dealbase_write")
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    return create_engine(url, **{"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True, **options})


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database at ``url`` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
