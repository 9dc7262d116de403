#!/usr/bin/env python3
"""Issue 13's acceptance 6 with wrk: a regular user's lists and searches against the admin's.

    python bench/visibility.py [--rounds 3] [--duration 5] [--database-url postgresql://…/<empty db>]

On a copy of the cached benchmark database (``python bench/dataset.py``: 100,000 deals), the
company is put on a plan with visibility groups and given people as a team has them:

* role "Sales" (the dataset's five sales users and the regular user) and role "Partners";
* deals: 10 % owner-only (``visible_to`` 1), 20 of them the entire company's (7), the rest
  their owner's group's (3); the regular user owns every 20th deal and follows 300
  owner-only ones;
* **regular**: in "Sales", so they see their group's deals, the company's, their own and
  those they follow (about 90 %);
* **near-empty**: in "Partners", owning 20 deals (owner-only) and following 10: they see
  those and the company's 20, 50 of 100,000.

One ``dealbase serve`` (pinned to core 0, wrk to core 1, as ``run.py`` places them) on that
database (SQLite; with ``--database-url`` an empty PostgreSQL database, loaded through
dealbase's own snapshot and restore), and for each path the three tokens measured in turn,
``--rounds`` times, the order rotated each round. Each round's ratio is taken within that
round (other tenants move absolute figures by ±15 % or more); the report shows medians.
Targets: a list at least 0.80 of the admin's req/s, a search at least 0.70.
"""

from __future__ import annotations

from _venv import BENCH_DIR, use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import urllib.parse  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(BENCH_DIR))
import dataset  # noqa: E402
import finding  # noqa: E402
import run  # noqa: E402
from client import request  # noqa: E402

REGULAR_TOKEN = "feedface" * 5
SPARSE_TOKEN = "deadbeef" * 5
STAMP = "2026-01-01 00:00:00"
TARGETS = {"list": 0.80, "search": 0.70}


def _paths(work: Path) -> list[tuple[str, str, str, str | None]]:
    """(key, kind, path or label, file of paths or None)."""
    terms = finding.search_terms(n=40)
    deals_search = work / "deal_search.txt"
    deals_search.write_text("".join(f"/api/v2/deals/search?term={urllib.parse.quote(t)}\n" for t in terms))
    item_search = work / "item_search.txt"
    item_search.write_text("".join(f"/api/v2/itemSearch?term={urllib.parse.quote(t)}\n" for t in terms))
    return [
        ("v2.list", "list", "/api/v2/deals?limit=100", None),
        ("v1.list", "list", "/v1/deals?limit=100&start=0", None),
        ("v2.deals.search", "search", "/api/v2/deals/search?term=<word>", str(deals_search)),
        ("v2.itemSearch", "search", "/api/v2/itemSearch?term=<word>", str(item_search)),
    ]


def prepare(source: str, db: Path, admin_token: str) -> dict:
    """The team (see the module's docstring) in a copy of the dataset: what each user sees."""
    shutil.copyfile(source, db)
    con = sqlite3.connect(db)
    company, admin = con.execute(
        "SELECT company_id, user_id FROM api_tokens WHERE token = ?", (admin_token,)
    ).fetchone()
    con.execute("UPDATE companies SET plan = 'power' WHERE id = ?", (company,))

    def add(table: str, **values) -> int:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        return con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", tuple(values.values())).lastrowid

    def user(name: str, token: str, role: int) -> int:
        uid = add("users", company_id=company, name=name, email=f"{name.lower()}@bench.test", is_admin=0, created=STAMP)
        add("api_tokens", token=token, user_id=uid, company_id=company, add_time=STAMP)
        add("role_assignments", company_id=company, user_id=uid, role_id=role, add_time=STAMP)
        return uid

    sales = add("roles", company_id=company, name="Sales", add_time=STAMP, update_time=STAMP)
    partners = add("roles", company_id=company, name="Partners", add_time=STAMP, update_time=STAMP)
    others = [r[0] for r in con.execute("SELECT id FROM users WHERE company_id = ? AND id != ?", (company, admin))]
    for uid in others:
        add("role_assignments", company_id=company, user_id=uid, role_id=sales, add_time=STAMP)
    regular = user("Regular", REGULAR_TOKEN, sales)
    sparse = user("Partner", SPARSE_TOKEN, partners)
    deals = "UPDATE deals SET {} WHERE company_id = ? AND {}"
    con.execute(deals.format("visible_to = 3", "1 = 1"), (company,))
    con.execute(deals.format("visible_to = 1", "id % 10 = 0"), (company,))
    con.execute(deals.format("visible_to = 7", "id % 5000 = 1"), (company,))
    con.execute(deals.format("owner_id = ?", "id % 20 = 5"), (regular, company))
    con.execute(
        deals.format("owner_id = ?, visible_to = 1", "id IN (SELECT id FROM deals ORDER BY id DESC LIMIT 20)"),
        (sparse, company),
    )
    ids = [
        r[0]
        for r in con.execute(
            "SELECT id FROM deals WHERE company_id = ? AND visible_to = 1 AND owner_id != ? ORDER BY id",
            (company, sparse),
        )
    ]
    for who, followed in ((regular, ids[:: len(ids) // 300][:300]), (sparse, ids[7 :: len(ids) // 10][:10])):
        for deal_id in followed:
            add("followers", company_id=company, object_type="deal", object_id=deal_id, user_id=who, add_time=STAMP)
    con.commit()
    seen = {}
    for name, who, groups in (("regular", regular, "3, 7"), ("near-empty", sparse, "7")):
        seen[name] = con.execute(
            f"SELECT count(*) FROM deals WHERE company_id = ? AND is_deleted = 0 AND is_archived = 0 AND (owner_id = ? "
            f"OR visible_to IN ({groups}) OR id IN (SELECT object_id FROM followers WHERE user_id = ? AND object_type = 'deal'))",
            (company, who, who),
        ).fetchone()[0]
    seen["admin"] = con.execute(
        "SELECT count(*) FROM deals WHERE company_id = ? AND is_deleted = 0 AND is_archived = 0", (company,)
    ).fetchone()[0]
    con.close()
    return {"company_id": company, "seen": seen}


def to_postgres(db: Path, url: str, company_id: int, work: Path) -> None:
    """The company of ``db`` into the empty PostgreSQL database at ``url``: saved as a snapshot
    in the SQLite file, restored there by dealbase's own restore."""
    from sqlalchemy import insert, select

    from dealbase.clock import now
    from dealbase.store import snapshots
    from dealbase.store.db import create_db_engine, migrate
    from dealbase.store.tables import companies, company_snapshots

    files = str(work / "files")
    lite = create_db_engine(f"sqlite:///{db}")
    with lite.connect().execution_options(dealbase_write=True) as conn:
        snapshots.save(conn, company_id, "bench-visibility", now(), files)
        conn.commit()
        company = dict(conn.execute(select(companies).where(companies.c.id == company_id)).mappings().one())
        saved = [dict(r) for r in conn.execute(select(company_snapshots)).mappings()]
    lite.dispose()
    migrate(url)
    engine = create_db_engine(url)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        conn.execute(insert(companies), [company])
        conn.execute(insert(company_snapshots), [{k: v for k, v in row.items() if k != "id"} for row in saved])
        assert snapshots.restore(conn, company_id, "bench-visibility", now(), files) is not None
        snapshots.remove(conn, company_id, "bench-visibility")
        conn.commit()
    # The planner's statistics, which autovacuum gathers within a minute or so of a bulk load
    # like this one: gathered now, so that the run measures a settled database.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def check(server: run.Server, path: str, kind: str, want_items: int | None) -> str | None:
    """A problem with the answer to ``path`` (None: a 200 with the expected shape)."""
    status, body, _ = request(server.url, path, server.token, timeout=60)
    if status != 200:
        return f"{path}: HTTP {status}: {body[:200]!r}"
    data = json.loads(body).get("data")
    items = data.get("items") if kind == "search" else data
    if not isinstance(items, list):
        return f"{path}: no list in {body[:200]!r}"
    if want_items is not None and len(items) != want_items:
        return f"{path}: {len(items)} items, expected {want_items}"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5, help="seconds of each measured wrk run")
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--connections", type=int, default=32, help="wrk connections of the lists")
    ap.add_argument("--search-connections", type=int, default=4, help="wrk connections of the searches")
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: a SQLite copy)")
    ap.add_argument("--only", help="comma-separated path keys (v2.list, v1.list, v2.deals.search, v2.itemSearch)")
    args = ap.parse_args()
    args.threads, args.timeout = 1, 10.0
    if shutil.which("wrk") is None:
        print(run.WRK_MISSING)
        return 2
    pin = shutil.which("taskset") is not None and run.NPROC >= 2
    meta = dataset.build(args.deals)
    work = Path(tempfile.mkdtemp(prefix="dealbase-visibility-bench-"))
    server = None
    try:
        db = work / "dealbase.db"
        team = prepare(meta["db_path"], db, meta["token"])
        url = f"sqlite:///{db}"
        if args.database_url:
            run.say("loading the company into PostgreSQL …")
            to_postgres(db, args.database_url, team["company_id"], work)
            url = args.database_url
        backend = "PostgreSQL" if args.database_url else "SQLite"
        run.say(f"{backend}, {meta['deals']:,} deals; deals seen: {team['seen']}")
        cmd = [run.PY, "-m", "dealbase", "serve", "--host", "127.0.0.1", "--port", "{port}", "--database-url", url]
        env = dict(os.environ, DEALBASE_DATABASE_URL=url, DEALBASE_WEBHOOKS_DISPATCH="0")
        server = run.Server("dealbase", cmd, env, "/api/v2/deals?limit=1", meta["token"])
        server.start(0 if pin else None)
        if not server.wait_ready():
            run.say(f"the server did not start: {server.error}")
            return 3
        users = {
            "admin": server,
            "regular": dataclasses.replace(server, token=REGULAR_TOKEN),
            "near-empty": dataclasses.replace(server, token=SPARSE_TOKEN),
        }
        paths = [p for p in _paths(work) if not args.only or p[0] in args.only.split(",")]
        results: dict[str, dict[str, list[dict]]] = {}
        for key, kind, path, file in paths:
            for name, as_user in users.items():
                first = path if file is None else Path(file).read_text().splitlines()[0]
                want = None if kind == "search" else min(100, team["seen"][name])
                problem = check(as_user, first, kind, want)
                if problem:
                    run.say(f"INVALID {key} as {name}: {problem}")
                    return 3
            results[key] = {name: [] for name in users}
        for r in range(args.rounds):
            for key, kind, path, file in paths:
                bench = run.Bench(key, key, "dealbase", kind, "file" if file else "static", path, file=file)
                # a search takes tens of ms: few connections, so that little is left queued
                # in the server when a run ends (it would slow the next one)
                bench.connections = args.search_connections if kind == "search" else None
                order = list(users.items())
                order = order[r % len(order) :] + order[: r % len(order)]
                for name, as_user in order:
                    run.run_wrk(bench, as_user, args, args.warmup, 1 if pin else None)
                    res = run.run_wrk(bench, as_user, args, args.duration, 1 if pin else None, 0 if pin else None)
                    if "problem" in res:
                        run.say(f"{key} as {name}, round {r + 1}: {res['problem']}")
                    results[key][name].append(res)
                    run.say(
                        f"  round {r + 1} {key:16} {name:10} {res.get('rps', 0):8,.0f} req/s  p50 {res.get('p50_ms', 0):7.1f} ms  other {res.get('other_pct', 0):4.0f}%"
                    )
        summary = report(results, paths, backend, meta, team, args)
        run.RESULTS.mkdir(parents=True, exist_ok=True)
        out = run.RESULTS / f"visibility-{backend.lower()}-latest.json"
        out.write_text(json.dumps({"args": vars(args), "seen": team["seen"], "results": summary}, indent=1))
        run.say(f"\nwritten to {out}")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _per_cpu(res: dict) -> float:
    """Requests per second of the server's CPU time: what other tenants on its core take
    from it moves req/s, not this (run.py measures ``server_cpu_pct``)."""
    cpu = res.get("server_cpu_pct", 0.0) / 100
    return res.get("rps", 0.0) / cpu if cpu > 0 else 0.0


def report(results: dict, paths: list, backend: str, meta: dict, team: dict, args) -> dict:
    run.say(
        f"\n{backend}, {meta['deals']:,} deals, {args.rounds} rounds × {args.duration:g} s, "
        f"{args.connections} connections (searches {args.search_connections})"
    )
    seen = team["seen"]
    run.say(f"deals seen: admin {seen['admin']:,}, regular {seen['regular']:,}, near-empty {seen['near-empty']:,}")
    run.say(
        "ratios: each round's regular (near-empty) ÷ admin, the median; req/s, and requests per second of the "
        "server's CPU time (req/cpu-s: what other tenants on the core take moves req/s, not this)"
    )
    head = f"{'path':16} {'admin/s':>8} {'regular/s':>9} {'near/s':>7} {'regular÷admin':>13} {'per cpu-s':>9}"
    run.say(f"{head} {'near÷admin':>10} {'per cpu-s':>9}  target  result (per cpu-s; req/s rounds)")
    summary = {}
    for key, kind, _, _ in paths:
        rows = results[key]
        rps = {name: [r.get("rps", 0.0) for r in runs] for name, runs in rows.items()}
        cpu = {name: [_per_cpu(r) for r in runs] for name, runs in rows.items()}

        def ratio(values: dict, name: str) -> list[float]:
            return [g / a if a else 0.0 for g, a in zip(values[name], values["admin"])]

        regular, regular_cpu = ratio(rps, "regular"), ratio(cpu, "regular")
        near, near_cpu = ratio(rps, "near-empty"), ratio(cpu, "near-empty")
        target = TARGETS[kind]
        bad = any("problem" in r for runs in rows.values() for r in runs)
        verdict = "INVALID" if bad else ("PASS" if statistics.median(regular_cpu) >= target else "FAIL")
        med = statistics.median
        run.say(
            f"{key:16} {med(rps['admin']):8,.0f} {med(rps['regular']):9,.0f} {med(rps['near-empty']):7,.0f} "
            f"{med(regular):13.2f} {med(regular_cpu):9.2f} {med(near):10.2f} {med(near_cpu):9.2f}  "
            f"≥ {target:.2f}  {verdict} ({', '.join(f'{x:.2f}' for x in regular)})"
        )
        summary[key] = {
            "target": target,
            "result": verdict,
            "rps": rps,
            "per_cpu_s": cpu,
            "regular_ratio": med(regular),
            "regular_ratio_per_cpu_s": med(regular_cpu),
            "near_empty_ratio": med(near),
            "near_empty_ratio_per_cpu_s": med(near_cpu),
            "other_pct": {name: [r.get("other_pct") for r in runs] for name, runs in rows.items()},
        }
    return summary


if __name__ == "__main__":
    sys.exit(main())
