"""The companies ``sandbox.py`` resets and restores, made once through the write service and
cached as a SQLite file in ``bench/.cache`` (filling 11,000 deals through the service takes
about a minute; a copy of the file, a moment).

Two companies on one database: company 1 with ``RESTORE_DEALS`` deals, company 2 with
``RESET_DEALS``. Each is filled as the API would fill it: an organization per 10 deals, a person
per 2, with their change events, search rows, stage moves and followers. The cache key hashes
this file and the dealbase sources that decide which rows a write makes.

On PostgreSQL the same companies are brought over by dealbase's own restore: each is saved as
a snapshot in a copy of the SQLite file, the payloads are stored for companies made the same
way on PostgreSQL, and restored there (the ids match: both databases made the same rows in the
same order).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, insert, select

from dealbase.bootstrap import create_company
from dealbase.clock import now
from dealbase.domain import service
from dealbase.domain.deals import DEAL
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.unit import Input, Unit
from dealbase.store import repository as repo
from dealbase.store import snapshots
from dealbase.store.db import create_db_engine, migrate
from dealbase.store.tables import company_snapshots, users

BENCH_DIR = Path(__file__).resolve().parent
SRC = BENCH_DIR.parent / "src" / "dealbase"
CACHE = BENCH_DIR / ".cache"
RESTORE_DEALS = 10_000
RESET_DEALS = 1_000
LOADED = "bench-loaded"  # the snapshot a PostgreSQL company is loaded from


@dataclass(frozen=True)
class Company:
    id: int
    user_id: int
    deals: int


COMPANIES = (Company(1, 1, RESTORE_DEALS), Company(2, 2, RESET_DEALS))


def _cache_key() -> str:
    h = hashlib.sha256()
    sources = [Path(__file__), SRC / "bootstrap.py", SRC / "store" / "tables.py"]
    for folder in (SRC / "domain", SRC / "events", SRC / "store" / "migrations"):
        sources += folder.rglob("*.py")
    for path in sorted(sources):
        h.update(str(path.relative_to(BENCH_DIR.parent)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def _fill(engine: Engine, company: Company) -> None:
    with engine.connect().execution_options(dealbase_write=True) as conn:
        unit = Unit(conn, company.id, repo.get(conn, users, company.id, company.user_id))
        org_id = person_id = None
        for n in range(company.deals):
            if n % 10 == 0:
                org_id = service.create(unit, ORGANIZATION, Input({"name": f"Org {n}"}))["id"]
            if n % 2 == 0:
                person_id = service.create(unit, PERSON, Input({"name": f"Person {n}", "org_id": org_id}))["id"]
            values = {"title": f"Deal {n}", "value": n * 10, "person_id": person_id, "org_id": org_id}
            service.create(unit, DEAL, Input(values))
        conn.commit()


def _make_companies(engine: Engine) -> None:
    """The companies, empty, in the order that gives them the ids ``COMPANIES`` names."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        for company in COMPANIES:
            made = create_company(
                conn,
                name=f"Bench {company.deals}",
                domain=f"bench-{company.deals}",
                admin_name="Ada",
                admin_email=f"ada@bench-{company.deals}.test",
            )
            assert (made.company_id, made.user_id) == (company.id, company.user_id), made
        conn.commit()


def cached_sqlite(say) -> Path:
    """The SQLite file with both companies filled, built on first use."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"sandbox-{_cache_key()}.db"
    if path.is_file():
        return path
    for old in CACHE.glob("sandbox-*.db"):
        old.unlink()
    partial = CACHE / f".building-{path.name}"
    partial.unlink(missing_ok=True)
    url = f"sqlite:///{partial}"
    migrate(url)
    engine = create_db_engine(url)
    _make_companies(engine)
    for company in COMPANIES:
        say(f"filling company {company.id} with {company.deals:,} deals through the write service (cached after)")
        _fill(engine, company)
    engine.dispose()
    partial.replace(path)
    return path


def load(url: str, work: Path, files_dir: str, say) -> None:
    """The companies into the empty database at ``url`` (SQLite: a copy of the cached file)."""
    source = cached_sqlite(say)
    if url.startswith("sqlite"):
        shutil.copyfile(source, url.removeprefix("sqlite:///"))
        return
    copy = work / "transfer.db"
    shutil.copyfile(source, copy)
    sqlite = create_db_engine(f"sqlite:///{copy}")
    with sqlite.connect().execution_options(dealbase_write=True) as conn:
        for company in COMPANIES:
            snapshots.save(conn, company.id, LOADED, now(), files_dir)
        conn.commit()
        saved = conn.execute(select(company_snapshots)).mappings().all()
    sqlite.dispose()
    migrate(url)
    engine = create_db_engine(url)
    _make_companies(engine)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        conn.execute(insert(company_snapshots), [{k: v for k, v in row.items() if k != "id"} for row in saved])
        for company in COMPANIES:
            assert snapshots.restore(conn, company.id, LOADED, now(), files_dir) is not None
            snapshots.remove(conn, company.id, LOADED)
        conn.commit()
    engine.dispose()
