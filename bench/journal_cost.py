#!/usr/bin/env python3
"""What the request journal (sandbox mode) costs a v2 get-by-id, in-process.

    python bench/journal_cost.py [--batches 20] [--calls 2000]

One app on a fresh SQLite database is driven through its ASGI interface (no HTTP, no
sockets) with ``GET /api/v2/deals/{id}``, in batches alternating the journal off and on, so
the machine's drift falls on both alike. Prints each state's median calls per second and
its cost: the median, over the batches, of the rate it lost against the journal-off batch
beside it (issue 12's target for the journal: under 10 %), and the same of each state's best
batch. The third state has one fault rule that matches nothing (what the rules cost a
request they spare). On a loaded machine the batches swing by more than these costs: run it
on idle cores.
"""

from __future__ import annotations

from _venv import use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

TOKEN = "0123456789abcdef0123456789abcdef01234567"


async def call(app, method: str, path: str, body: bytes = b"") -> int:
    """One request through the app's ASGI interface; its status."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"x-api-token", TOKEN.encode()),
            (b"content-type", b"application/json"),
            (b"user-agent", b"bench"),
        ],
    }
    statuses = []

    async def receive():
        return {"type": "http.request", "body": body}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    return statuses[0]


async def batch(app, path: str, calls: int) -> float:
    """Calls per second of ``calls`` GETs of ``path``."""
    started = time.perf_counter()
    statuses = {await call(app, "GET", path) for _ in range(calls)}
    elapsed = time.perf_counter() - started
    assert statuses == {200}, statuses
    return calls / elapsed


def fresh_app(prefix: str, database_url: str | None = None):
    """An app on a fresh SQLite database in a new temporary folder (or on ``database_url``,
    an empty database), its company made with ``TOKEN`` as the admin's API token, webhooks
    not sent."""
    from dealbase.app import create_app
    from dealbase.bootstrap import ensure_company
    from dealbase.settings import Settings
    from dealbase.store.db import create_db_engine, migrate

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    settings = Settings(
        database_url=database_url or f"sqlite:///{workdir / 'dealbase.db'}",
        files_dir=str(workdir / "files"),
        api_token=TOKEN,
        webhooks_dispatch=False,
    )
    migrate(settings.database_url)
    ensure_company(create_db_engine(settings.database_url), settings)
    return create_app(settings)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=20)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()

    from dealbase.control import faults, journal

    app = fresh_app("dealbase-journal-cost-")
    settings = app.settings
    ring = journal.Journal(1000)
    rule = faults.parse_rule(1, {"match": {"operation": "deleteDeal"}, "status": 500})
    # One app, switched between the three states before each batch, so that nothing but the
    # state differs (not the connection, the caches, nor where the app sits in memory).
    states = {
        "off": lambda: (setattr(app, "journal", None), setattr(app.faults, "rules", [])),
        "journal": lambda: (setattr(app, "journal", ring), setattr(app.faults, "rules", [])),
        "spared": lambda: (setattr(app, "journal", None), setattr(app.faults, "rules", [rule])),
    }

    async def run() -> dict[str, list[float]]:
        assert await call(app, "POST", "/api/v2/deals", b'{"title": "Bench"}') == 200
        path = "/api/v2/deals/1"
        rates: dict[str, list[float]] = {name: [] for name in states}
        for enter in states.values():  # warm up
            enter()
            await batch(app, path, args.calls // 4)
        for n in range(args.batches):
            order = list(states.items())
            for name, enter in order if n % 2 == 0 else order[::-1]:
                enter()
                rates[name].append(await batch(app, path, args.calls))
        return rates

    rates = asyncio.run(run())
    print(f"v2 get-by-id in-process, {args.batches} alternating batches of {args.calls} calls")
    print(f"  {'':30} {'median':>9} {'paired cost':>12} {'best':>9} {'best cost':>10}")
    best_off = max(rates["off"])
    for name, label in (("off", "journal off"), ("journal", "journal on"), ("spared", "one fault rule, not matching")):
        # each batch against the journal-off batch run beside it: the drift cancels out; the
        # best batches are the least disturbed by other work on the machine
        paired = statistics.median(1 - rate / base for rate, base in zip(rates[name], rates["off"], strict=True))
        best = max(rates[name])
        print(
            f"  {label:30} {statistics.median(rates[name]):9,.0f} {paired:+12.1%} {best:9,.0f} {1 - best / best_off:+10.1%}"
        )


if __name__ == "__main__":
    main()
