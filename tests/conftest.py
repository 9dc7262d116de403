"""Fixtures: a database per test on each backend, and an API client whose every response is
checked against the official schema of its operation and status.

Backends: SQLite always; PostgreSQL too when one answers (``DEALBASE_TEST_DATABASE_URL``,
else the local server at 127.0.0.1:5432 as user ``postgres``), unless
``DEALBASE_TEST_SQLITE_ONLY=1``.

On SQLite a test runs inside a transaction rolled back at its end, on the xdist worker's
database where the company ``company`` names is already made (tests/support/database.py).
A test marked ``slow``, one that takes ``database_url`` (it reaches the database from
outside: a CLI, a server process), and every PostgreSQL test get a fresh database of their
own instead, where everything really commits. So a rolled-back test reaches the database only
through ``engine`` (apps take it: ``create_app(settings, engine)``); one that needs another
connection (a second engine, a subprocess) takes ``database_url``.

Markers: ``postgresql`` (the PostgreSQL run of a test), ``slow`` (left out of the fast run:
takes seconds, or needs real commits: server processes, the CLI, the webhook dispatcher;
given to every test that takes ``database_url``), ``e2e`` (drives a started server with a
real client). The fast run is in the README (Tests).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import make_lead
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient
from support.api import Api
from support.database import (
    ACME,
    OTHER_TOKEN,
    RIVAL,
    TOKEN,
    WorkerDatabase,
    emptied,
    fresh_sqlite,
    make_company,
    postgres_database,
)

from dealbase.app import create_app
from dealbase.bootstrap import Company
from dealbase.domain import unit
from dealbase.events import outbox
from dealbase.settings import Settings
from dealbase.store.db import create_db_engine, normalize_url
from dealbase.testing.database import migrated_template

__all__ = ["Api", "OTHER_TOKEN", "TOKEN"]  # what test modules import from here


def _postgres_admin_url() -> str | None:
    url = os.environ.get("DEALBASE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    if not url.startswith("postgres"):
        return None
    try:
        engine = create_engine(normalize_url(url), connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception:
        return None
    return url


def _backends() -> list:
    backends = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get("DEALBASE_TEST_SQLITE_ONLY") != "1" and _postgres_admin_url():
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgresql))
    return backends


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _no_webhooks_cached_from_another_database() -> None:
    # The process caches a company's webhooks by its webhooks version; a rolled-back or new
    # database can reach that version again with other webhooks.
    outbox.forget_cached_hooks()


@pytest.fixture(params=_backends())
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def sqlite_template() -> Path:
    return migrated_template()


@pytest.fixture(scope="session")
def worker_database(sqlite_template, tmp_path_factory) -> Iterator[WorkerDatabase]:
    made = WorkerDatabase(sqlite_template, tmp_path_factory.mktemp("worker") / "dealbase.db")
    yield made
    made.close()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = _postgres_admin_url()
    assert admin is not None
    with postgres_database(admin) as url:
        yield url


@pytest.fixture
def rolled_back(backend, request) -> bool:
    """Whether this test runs in a transaction rolled back on the worker's database."""
    return backend == "sqlite" and request.node.get_closest_marker("slow") is None


@pytest.fixture
def database_url(backend, request, tmp_path) -> str:
    """A fresh migrated database of this test's own, without a company."""
    if backend == "sqlite":
        return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "dealbase.db")
    return emptied(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(rolled_back, request, monkeypatch):
    if rolled_back:
        # One connection for the test and its apps: no dispatcher task may use it between them.
        monkeypatch.setenv("DEALBASE_WEBHOOKS_DISPATCH", "0")
        with request.getfixturevalue("worker_database").rolled_back() as engine:
            yield engine
        return
    engine = create_db_engine(request.getfixturevalue("database_url"))
    yield engine
    engine.dispose()


@pytest.fixture
def company(engine, rolled_back, request) -> Company:
    if rolled_back:
        return request.getfixturevalue("worker_database").company
    return make_company(engine, **ACME)


@pytest.fixture
def other_company(engine, company) -> Company:
    return make_company(engine, **RIVAL)


@pytest.fixture
def files_dir(tmp_path) -> Path:
    """Where this test's uploaded contents go."""
    return tmp_path / "files"


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """Read from the environment once per worker (it takes milliseconds; tests are many)."""
    return Settings(company_domain="acme", webhooks_dispatch=False)


@pytest.fixture
def app(engine, company, files_dir, base_settings):
    settings = base_settings.model_copy(update={"database_url": str(engine.url), "files_dir": str(files_dir)})
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=True) as c:
        yield c


@pytest.fixture
def api(client) -> Api:
    return Api(client, TOKEN)


@pytest.fixture
def other_api(client, other_company) -> Api:
    return Api(client, OTHER_TOKEN)


@pytest.fixture
def anonymous(client) -> Api:
    return Api(client, None)


# -- shared by several test modules ----------------------------------------------------


@pytest.fixture
def lead_id(api) -> str:
    return make_lead(api)["id"]


@pytest.fixture
def at(monkeypatch):
    """``at("2026-03-01 00:00:00")``: every write from now on happens at that moment."""

    def set_time(moment: str) -> None:
        monkeypatch.setattr(unit, "now", lambda: moment)

    return set_time
