"""Restore of a company's snapshot of N deals (the issue's target: 10,000 deals under 1 s).

    .venv/bin/python bench/snapshot_restore.py [--deals 10000] [--rounds 3] [--database-url URL]

The company is made on a fresh database (a temporary SQLite file unless a URL is given,
e.g. ``postgresql://postgres@127.0.0.1:5432/<an empty database>``) and filled through the
write service, as the API would: organizations, persons and deals, with their change
events, search rows, stage moves and followers. It is saved once; then, each round, a
tenth of the deals are deleted and the snapshot restored and committed, timed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

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
from dealbase.store.tables import users


def fill(engine, deals: int) -> tuple[int, int]:
    """A company with ``deals`` deals (an organization per 10, a person per 2); its id and
    its admin's."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        made = create_company(conn, name="Bench", domain="bench", admin_name="Ada", admin_email="ada@bench.test")
        unit = Unit(conn, made.company_id, repo.get(conn, users, made.company_id, made.user_id))
        org_id = person_id = None
        for n in range(deals):
            if n % 10 == 0:
                org_id = service.create(unit, ORGANIZATION, Input({"name": f"Org {n}"}))["id"]
            if n % 2 == 0:
                person_id = service.create(unit, PERSON, Input({"name": f"Person {n}", "org_id": org_id}))["id"]
            values = {"title": f"Deal {n}", "value": n * 10, "person_id": person_id, "org_id": org_id}
            service.create(unit, DEAL, Input(values))
        conn.commit()
    return made.company_id, made.user_id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dealbase-snapshot-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    migrate(url)
    engine = create_db_engine(url)
    files_dir = str(work / "files")

    started = time.perf_counter()
    company_id, user_id = fill(engine, args.deals)
    print(f"filled {args.deals} deals through the service in {time.perf_counter() - started:.1f} s")

    with engine.connect().execution_options(dealbase_write=True) as conn:
        started = time.perf_counter()
        saved = snapshots.save(conn, company_id, "bench", now(), files_dir)
        conn.commit()
    rows = sum(n for table, n in saved["counts"].items() if table != "files")
    print(f"saved {rows} rows, {saved['size'] / 1e6:.1f} MB compressed, in {time.perf_counter() - started:.2f} s")

    timings, cpu = [], []
    for _ in range(args.rounds):
        with engine.connect().execution_options(dealbase_write=True) as conn:
            unit = Unit(conn, company_id, repo.get(conn, users, company_id, user_id))
            for deal in repo.rows_where(conn, DEAL.table, company_id, "is_deleted", False)[::10]:
                service.delete(unit, DEAL, deal)
            conn.commit()
        with engine.connect().execution_options(dealbase_write=True) as conn:
            started, started_cpu = time.perf_counter(), time.process_time()
            snapshots.restore(conn, company_id, "bench", now(), files_dir)
            conn.commit()
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    backend = engine.dialect.name
    shown = ", ".join(f"{t:.3f}" for t in timings)
    median, median_cpu = statistics.median(timings), statistics.median(cpu)
    print(f"{backend}: restore of {args.deals} deals ({rows} rows), committed: median {median:.3f} s ({shown})")
    # On a shared machine the wall time swings with the load; this process's CPU time less.
    print(f"  this process's CPU time: median {median_cpu:.3f} s; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
