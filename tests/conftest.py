"""Fixtures: a fresh database per test on each backend, and an API client whose every
response is checked against the official schema of its operation and status.

Backends: SQLite always; PostgreSQL too when one answers (``DEALBASE_TEST_DATABASE_URL``,
else the local server at 127.0.0.1:5432 as user ``postgres``).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from dealbase.app import create_app
from dealbase.bootstrap import Company, create_company
from dealbase.settings import Settings
from dealbase.store.db import create_db_engine, migrate, normalize_url
from dealbase.store.tables import metadata

try:
    from tests.support import spec
except ImportError:  # pytest put tests/ itself on sys.path
    from support import spec

TOKEN = "0123456789abcdef0123456789abcdef01234567"
OTHER_TOKEN = "fedcba9876543210fedcba9876543210fedcba98"


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


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("DEALBASE_TEST_SQLITE_ONLY") != "1" and _postgres_admin_url():
        backends.append("postgresql")
    return backends


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = _postgres_admin_url()
    assert admin is not None
    name = f"dealbase_test_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(normalize_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = admin.rsplit("/", 1)[0]
    url = f"{base}/{name}"
    migrate(url)
    yield url
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(params=_backends())
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "dealbase.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url):
    engine = create_db_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def company(engine) -> Company:
    with engine.connect().execution_options(dealbase_write=True) as conn:
        made = create_company(
            conn, name="Acme", domain="acme", admin_name="Ada Admin", admin_email="ada@acme.test", token=TOKEN
        )
        conn.commit()
    return made


@pytest.fixture
def other_company(engine, company) -> Company:
    with engine.connect().execution_options(dealbase_write=True) as conn:
        made = create_company(
            conn,
            name="Rival",
            domain="rival",
            admin_name="Rita Rival",
            admin_email="rita@rival.test",
            token=OTHER_TOKEN,
        )
        conn.commit()
    return made


class Api:
    """A client for one caller: checks every response against the official schema."""

    def __init__(self, client: TestClient, token: str | None, check_schema: bool = True) -> None:
        self.client = client
        self.token = token
        self.check_schema = check_schema

    def request(
        self,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: dict | None = None,
        headers: dict | None = None,
        content: bytes | str | None = None,
        data: dict | None = None,
        files: dict | None = None,
        token: bool = True,
    ):
        headers = dict(headers or {})
        if token and self.token:
            headers.setdefault("x-api-token", self.token)
        kwargs: dict[str, Any] = {"params": params, "headers": headers}
        if json is not None:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        if data is not None:
            kwargs["data"] = data
        if files is not None:
            kwargs["files"] = files
        response = self.client.request(method, url, **kwargs)
        assert response.headers["content-type"].startswith("application/json"), response.text
        body = response.json()
        if self.check_schema and spec.specs_available():
            spec.validate_response(method, url, response.status_code, body)
        return response

    def get(self, url, **kw):
        return self.request("GET", url, **kw)

    def post(self, url, **kw):
        return self.request("POST", url, **kw)

    def put(self, url, **kw):
        return self.request("PUT", url, **kw)

    def patch(self, url, **kw):
        return self.request("PATCH", url, **kw)

    def delete(self, url, **kw):
        return self.request("DELETE", url, **kw)


@pytest.fixture
def files_dir(tmp_path) -> Path:
    """Where this test's uploaded contents go."""
    return tmp_path / "files"


@pytest.fixture
def app(engine, company, files_dir):
    settings = Settings(database_url=str(engine.url), company_domain="acme", files_dir=str(files_dir))
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
