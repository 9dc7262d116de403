"""The kit's databases, made once per schema and kept in the temporary directory (migrating
takes seconds, a copy a millisecond):

* ``migrated_template()``: an empty migrated SQLite database (dealbase's own tests copy it);
* ``template()``: that with a company in it, copied for every mock, so every mock starts
  from the same company, ids and token.

Each is written under a name of its own and renamed into place, whole or not there: several
processes (test workers) may make it at once.
"""

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


def _key(sources: list[Path]) -> str:
    """A name for what is made from ``sources`` by the libraries that run migrations."""
    h = hashlib.sha256(f"{alembic.__version__}|{sqlalchemy.__version__}".encode())
    for path in sorted(sources):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:20]


def _schema_sources() -> list[Path]:
    store = Path(dealbase.store.__file__).parent
    return [store / "tables.py", *(store / "migrations").rglob("*.py")]


def _directory() -> Path:
    directory = Path(tempfile.gettempdir()) / f"dealbase-testing-{os.getuid()}"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def _partial(path: Path) -> Path:
    """Where one process makes ``path`` before renaming it into place."""
    return path.with_name(f".{path.stem}-{os.getpid()}{path.suffix}")


def migrated_template() -> Path:
    """An empty migrated SQLite database of this schema, made on first use."""
    path = _directory() / f"{_key(_schema_sources())}.db"
    if not path.is_file():
        partial = _partial(path)
        migrate(f"sqlite:///{partial}")
        os.replace(partial, path)
    return path


def template() -> Template:
    """The migrated database with the kit's company in it (``bootstrap.py``'s first rows),
    made on first use."""
    key = _key([*_schema_sources(), Path(dealbase.__file__).parent / "bootstrap.py"])
    path = _directory() / f"company-{key}.db"
    facts = path.with_suffix(".json")
    if not (path.is_file() and facts.is_file()):
        partial = _partial(path)
        shutil.copyfile(migrated_template(), partial)
        engine = create_db_engine(f"sqlite:///{partial}")
        with engine.connect().execution_options(dealbase_write=True) as conn:
            # Every maker writes the same rows and token, so whichever file and facts win
            # the race of two processes making it at once, they belong together.
            made = create_company(conn, **COMPANY, token=hashlib.sha256(f"token|{key}".encode()).hexdigest()[:40])
            conn.commit()
        engine.dispose()
        partial_facts = partial.with_suffix(".json")
        partial_facts.write_text(
            json.dumps({"company_id": made.company_id, "user_id": made.user_id, "api_token": made.token})
        )
        os.replace(partial, path)
        os.replace(partial_facts, facts)
    return Template(path, **json.loads(facts.read_text()))
