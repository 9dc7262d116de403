"""The mock's databases: one migrated SQLite file with a company in it, made once per schema
and kept in the temporary directory, copied for every mock (migrating takes seconds, a copy
a millisecond), so every mock starts from the same company, ids and token."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import alembic
import sqlalchemy

import dealbase.store
from dealbase.bootstrap import create_company
from dealbase.store.db import create_db_engine, migrate

COMPANY = {"name": "Sandbox", "domain": "sandbox", "admin_name": "Sandy Admin", "admin_email": "admin@sandbox.test"}


@dataclass(frozen=True)
class Template:
    path: Path
    company_id: int
    user_id: int
    api_token: str

    def copy_to(self, path: Path) -> str:
        """The template copied to ``path``; its database URL."""
        shutil.copyfile(self.path, path)
        return f"sqlite:///{path}"


def _schema_key() -> str:
    """What the template depends on: the migrations, the tables, the libraries that run them,
    and the company's first rows (``bootstrap.py``)."""
    store = Path(dealbase.store.__file__).parent
    h = hashlib.sha256(f"{alembic.__version__}|{sqlalchemy.__version__}".encode())
    sources = [store / "tables.py", Path(dealbase.__file__).parent / "bootstrap.py", *(store / "migrations").rglob("*.py")]
    for path in sorted(sources):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:20]


def template() -> Template:
    """The template of this schema, made on first use (whole or not there: several processes
    may make it at once)."""
    directory = Path(tempfile.gettempdir()) / f"dealbase-testing-{os.getuid()}"
    key = _schema_key()
    path = directory / f"{key}.db"
    facts = path.with_suffix(".json")
    if not (path.is_file() and facts.is_file()):
        directory.mkdir(mode=0o700, exist_ok=True)
        partial = directory / f".{path.stem}-{os.getpid()}.db"
        url = f"sqlite:///{partial}"
        migrate(url)
        engine = create_db_engine(url)
        with engine.connect().execution_options(dealbase_write=True) as conn:
            # Every maker writes the same rows and token, so whichever file and facts win
            # the race of two processes making it at once, they belong together.
            made = create_company(conn, **COMPANY, token=hashlib.sha256(f"token|{key}".encode()).hexdigest()[:40])
            conn.commit()
        engine.dispose()
        partial_facts = partial.with_suffix(".json")
        partial_facts.write_text(json.dumps({"company_id": made.company_id, "user_id": made.user_id, "api_token": made.token}))
        os.replace(partial, path)
        os.replace(partial_facts, facts)
    return Template(path, **json.loads(facts.read_text()))
