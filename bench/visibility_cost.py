#!/usr/bin/env python3
"""What visibility costs a regular user's reads, against an admin's, in-process.

    python bench/visibility_cost.py [--batches 9] [--calls 200] [--private 0.25]

On a copy of the cached benchmark database (``python bench/dataset.py``: 100,000 deals),
with a regular user added and, with ``--private`` above 0, that share of the deals made
owner-only (``visible_to`` 1; the dataset's owners are other users, so the regular user must
pass them over): alternating batches of the same requests as the admin and as the regular
user. Prints each path's median calls per second for both and their ratio (issue 13's
acceptance 6: a list at least 80 % of the admin's, a search at least 70 %).
"""

from __future__ import annotations

from _venv import BENCH_DIR, use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

REGULAR_TOKEN = "feedface" * 5
PATHS = (
    "/api/v2/deals?limit=100",
    "/v1/deals?limit=100&start=0",
    "/v1/deals?limit=100&start=5000",
    "/api/v2/deals/search?term=deal",
    "/v1/deals/summary",
)


def _copy(private: float, index: str | None) -> tuple[Path, str]:
    metas = sorted((BENCH_DIR / ".cache").glob("deals-*.json"))
    if not metas:
        sys.exit("no cached database: run python bench/dataset.py first")
    meta = json.loads(metas[-1].read_text())
    workdir = Path(tempfile.mkdtemp(prefix="visibility-cost-"))
    db = workdir / "dealbase.db"
    shutil.copyfile(meta["db_path"], db)
    con = sqlite3.connect(db)
    company = con.execute("SELECT company_id FROM api_tokens WHERE token = ?", (meta["token"],)).fetchone()[0]
    cur = con.execute(
        "INSERT INTO users (company_id, name, email, is_admin, created) VALUES (?, 'Regular', 'regular@bench.test', 0, "
        "'2026-01-01 00:00:00')",
        (company,),
    )
    con.execute(
        "INSERT INTO api_tokens (token, user_id, company_id, add_time) VALUES (?, ?, ?, '2026-01-01 00:00:00')",
        (REGULAR_TOKEN, cur.lastrowid, company),
    )
    if private > 0:
        every = max(1, round(1 / private))
        con.execute("UPDATE deals SET visible_to = 1 WHERE company_id = ? AND id % ? = 0", (company, every))
    if index:
        con.execute(f"CREATE INDEX bench_visibility ON deals ({index})")
    con.commit()
    con.close()
    return db, meta["token"]


async def _call(app, path: str, token: str) -> int:
    route, _, query = path.partition("?")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": route,
        "raw_path": route.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"x-api-token", token.encode())],
    }
    statuses = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def _batch(app, path: str, token: str, calls: int) -> float:
    started = time.perf_counter()
    statuses = {await _call(app, path, token) for _ in range(calls)}
    assert statuses == {200}, (path, statuses)
    return calls / (time.perf_counter() - started)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=9)
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--private", type=float, default=0.25)
    ap.add_argument("--index", help="columns of an index to add to deals first, e.g. 'company_id, visible_to, id'")
    args = ap.parse_args()

    from dealbase.app import create_app
    from dealbase.settings import Settings

    db, admin_token = _copy(args.private, args.index)
    try:
        app = create_app(Settings(database_url=f"sqlite:///{db}", webhooks_dispatch=False))
        print(f"100,000-deal dataset, {args.private:.0%} owner-only; {args.batches} batches of {args.calls} calls")
        print(f"{'path':36} {'admin/s':>9} {'regular/s':>10} {'ratio':>6}")
        for path in PATHS:
            rates: dict[str, list[float]] = {"admin": [], "regular": []}
            asyncio.run(_batch(app, path, admin_token, 5))
            asyncio.run(_batch(app, path, REGULAR_TOKEN, 5))
            for _ in range(args.batches):
                rates["admin"].append(asyncio.run(_batch(app, path, admin_token, args.calls)))
                rates["regular"].append(asyncio.run(_batch(app, path, REGULAR_TOKEN, args.calls)))
            admin, regular = statistics.median(rates["admin"]), statistics.median(rates["regular"])
            print(f"{path:36} {admin:9.0f} {regular:10.0f} {regular / admin:6.2f}")
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
