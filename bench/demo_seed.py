"""Seeding a company with the demo data set (issue 12: a 100-deal demo company well under 0.5 s
on SQLite).

    .venv/bin/python bench/demo_seed.py [--deals 100] [--rounds 7] [--database-url URL]

Each round makes a new company on one fresh database (a temporary SQLite file unless a URL
of an empty migrated database is given) and seeds it with ``demo.seed`` in its own
transaction, committed; the seed alone is timed (wall and this process's CPU time), and the
medians are printed. ``--profile`` prints a cProfile summary of one more round.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import tempfile
import time
from pathlib import Path

from dealbase import demo
from dealbase.bootstrap import create_company
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store.db import create_db_engine, migrate
from dealbase.store.tables import users


def seed_once(engine, n: int, deals: int, profile: cProfile.Profile | None = None) -> tuple[float, float]:
    """Make company ``n`` and seed it; the seed's wall and CPU seconds."""
    with engine.connect().execution_options(dealbase_write=True) as conn:
        made = create_company(
            conn, name=f"Demo {n}", domain=f"demo{n}", admin_name="Ada", admin_email=f"ada{n}@demo.test"
        )
        unit = Unit(conn, made.company_id, repo.get(conn, users, made.company_id, made.user_id))
        started, started_cpu = time.perf_counter(), time.process_time()
        if profile is not None:
            profile.enable()
        demo.seed(unit, seed_value=1, deals=deals)
        if profile is not None:
            profile.disable()
        conn.commit()
        return time.perf_counter() - started, time.process_time() - started_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--database-url")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='dealbase-demo-bench-')) / 'bench.db'}"
        migrate(url)
    engine = create_db_engine(url)
    seed_once(engine, 0, args.deals)  # warm: imports, statement caches
    walls, cpus = zip(*(seed_once(engine, n, args.deals) for n in range(1, args.rounds + 1)))
    print(
        f"{engine.dialect.name}: demo seed of {args.deals} deals, {args.rounds} rounds: "
        f"median {statistics.median(walls):.3f} s wall ({', '.join(f'{w:.3f}' for w in walls)}), "
        f"{statistics.median(cpus):.3f} s CPU; load average {os.getloadavg()[0]:.1f}"
    )
    if args.profile:
        profile = cProfile.Profile()
        seed_once(engine, args.rounds + 1, args.deals, profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
