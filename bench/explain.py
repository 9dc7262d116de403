#!/usr/bin/env python3
"""Where one dealbase request spends its time, in-process (no HTTP, no wrk).

    python bench/explain.py '/v1/deals?limit=100&start=0' [--calls 50] [--profile]

Uses the cached benchmark database (build it with ``python bench/dataset.py`` or a run).
Prints: mean time per call through dealbase's ASGI app, every SQL statement the request
ran, each statement replayed with plain sqlite3 (time, rows, ``EXPLAIN QUERY PLAN``), and,
with ``--profile``, the top functions by own time under cProfile.

It calls dealbase's internals (``dealbase.app.create_app`` and the app's ``engine``): it is
a diagnostic aid for the server team, not part of the benchmark's figures.
"""

from __future__ import annotations

import os
import sys

from _venv import BENCH_DIR, use_project_venv  # noqa: E402

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("path", help="request path with query, e.g. '/api/v2/deals/500'")
    ap.add_argument("--calls", type=int, default=50)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--db", help="database file (default: the cached benchmark database)")
    a = ap.parse_args()

    metas = sorted((BENCH_DIR / ".cache").glob("deals-*.json"))
    if a.db:
        db, token = a.db, os.environ.get("BENCH_TOKEN", "")
    elif metas:
        meta = json.loads(metas[-1].read_text())
        db, token = meta["db_path"], meta["token"]
    else:
        sys.exit("no cached database: run python bench/dataset.py first")

    from sqlalchemy import event

    from dealbase.app import create_app
    from dealbase.settings import Settings

    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    # Every statement on every DBAPI connection the app opens, including raw-cursor fast
    # paths that bypass SQLAlchemy's events and connections the app keeps open: sqlite3's
    # trace callback gets the SQL with its parameters expanded. Recorded only while tracing.
    statements: list = []
    tracing = [False]

    @event.listens_for(app.engine, "connect")
    def _trace(dbapi_conn, _record):
        dbapi_conn.set_trace_callback(lambda sql: statements.append((sql, ())) if tracing[0] else None)

    path, _, query = a.path.partition("?")
    status: dict = {}

    async def call() -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "query_string": query.encode(),
            "headers": [(b"x-api-token", token.encode())],
        }

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(m):
            if m["type"] == "http.response.start":
                status["status"] = m["status"]
            else:
                status["bytes"] = len(m.get("body", b""))

        await app(scope, receive, send)

    async def many(n: int) -> None:
        for _ in range(n):
            await call()

    asyncio.run(call())  # warm
    t = time.perf_counter()
    asyncio.run(many(a.calls))
    per = (time.perf_counter() - t) / a.calls
    print(
        f"{a.path}: HTTP {status.get('status')}, {status.get('bytes', 0):,} bytes, "
        f"{per * 1000:.2f} ms per call in-process ({1 / per:,.0f} calls/s on one core)"
    )

    tracing[0] = True
    asyncio.run(call())
    tracing[0] = False
    con = sqlite3.connect(db)
    total = 0.0
    print(f"\n{len(statements)} statements (replayed with plain sqlite3, fetching all rows):")
    for stmt, params in statements:
        if stmt.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE")):
            print(f"  {'':>8}            {stmt.strip()}")
            continue
        t = time.perf_counter()
        try:
            rows = con.execute(stmt, params).fetchall()
        except sqlite3.Error as exc:  # e.g. FTS5's own statements on its shadow tables
            print(f"  {'':>8}            not replayable ({exc}): {' '.join(stmt.split())[:90]}")
            continue
        dt = time.perf_counter() - t
        total += dt
        try:
            plan = "; ".join(r[3] for r in con.execute("EXPLAIN QUERY PLAN " + stmt, params))
        except sqlite3.Error as exc:
            plan = f"(no plan: {exc})"
        print(f"  {dt * 1000:7.2f} ms {len(rows):5d} rows  {' '.join(stmt.split())[:110]}")
        print(f"  {'':>24}plan: {plan}")
    print(f"  SQL total {total * 1000:.2f} ms of {per * 1000:.2f} ms per call")

    if a.profile:
        prof = cProfile.Profile()
        prof.enable()
        asyncio.run(many(a.calls))
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print("\n" + out.getvalue())


if __name__ == "__main__":
    main()
