#!/usr/bin/env python3
"""The sandbox's costs (issue 12, acceptance 6), each beside a baseline measured in the same run.

    python bench/sandbox.py [--database-url URL] [--rounds 5] [--samples 50] [--duration 5]

SQLite (a temporary file) by default; ``--database-url postgresql://…/<an empty database>``
for PostgreSQL (the fixture runs on SQLite either way: that is what it is made of). Prints a
table of target, measured p50, baseline p50, ratio and PASS/FAIL and writes
``bench/results/sandbox-latest.json``. See bench/README.md, "The sandbox".
"""

from __future__ import annotations

import os
import sys

from _venv import BENCH_DIR, REPO, use_project_venv

use_project_venv(__file__)

import argparse  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(BENCH_DIR))
import sandbox_data  # noqa: E402
from run import LUA, WRK_MISSING, Server  # noqa: E402

RESULTS = BENCH_DIR / "results"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
CONTROL = "c0ffee" * 6
SERVER_CORE, CLIENT_CORE = 0, 1
DEMO_DEALS = 100  # the deals of the demo data set a sandbox server's first company gets, ids 1..100


def say(msg: str) -> None:
    print(msg, flush=True)


@dataclass
class Figure:
    """One line of the report: the measured samples, the baseline's, the target."""

    name: str
    target: str
    limit: float  # the measured p50 (or the cost) must be below this
    unit: str
    samples: list[float]
    baseline: str
    baseline_samples: list[float]
    cpu_samples: list[float] = field(default_factory=list)  # in-process measures: this process's CPU

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def base_p50(self) -> float | None:
        return statistics.median(self.baseline_samples) if self.baseline_samples else None

    def row(self) -> dict:
        base = self.base_p50
        return {
            "name": self.name,
            "target": self.target,
            "unit": self.unit,
            "p50": round(self.p50, 4),
            "baseline": self.baseline,
            "baseline_p50": None if base is None else round(base, 4),
            "ratio": None if not base else round(self.p50 / base, 3),
            "cpu_p50": round(statistics.median(self.cpu_samples), 4) if self.cpu_samples else None,
            "pass": self.p50 < self.limit,
            "samples": [round(s, 4) for s in self.samples],
            "baseline_samples": [round(s, 4) for s in self.baseline_samples],
            "cpu_samples": [round(s, 4) for s in self.cpu_samples],
        }


def timed(work: Callable[..., object], *args: object) -> float:
    """Milliseconds ``work(*args)`` took."""
    started = time.perf_counter()
    work(*args)
    return (time.perf_counter() - started) * 1000


@dataclass
class Stopwatch:
    """Wall and CPU milliseconds of each call it times. The CPU time is this process's: what
    the call took of a core however busy the machine is (on SQLite the database's work too;
    not PostgreSQL's, which is another process's)."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def time(self, work: Callable[..., object], *args: object) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        work(*args)
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wall.append((time.perf_counter() - wall) * 1000)


def committed(conn, work: Callable[..., object], *args: object) -> None:
    work(conn, *args)
    conn.commit()


# -- the control plane: a company made, beside a trivial GET ------------------------------


class Client:
    """One kept-alive HTTP connection with the control token."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        headers = {"authorization": f"Bearer {CONTROL}", "content-type": "application/json"}
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
        answer = self.conn.getresponse()
        data = answer.read()
        return answer.status, json.loads(data) if data else {}

    def into(self, answers: list, method: str, path: str, body: dict | None = None) -> None:
        answers.append(self.call(method, path, body))


def serve(name: str, url: str, work: Path, pin: bool, **env: str) -> Server:
    """``dealbase serve --sandbox`` on ``url``, started and answering."""
    server = Server(
        name=name,
        cmd=[sys.executable, "-m", "dealbase", "serve", "--sandbox", "--host", "127.0.0.1", "--port", "{port}"],
        env=dict(
            os.environ,
            DEALBASE_DATABASE_URL=url,
            DEALBASE_FILES_DIR=str(work / "files"),
            DEALBASE_API_TOKEN=TOKEN,
            DEALBASE_CONTROL_TOKEN=CONTROL,
            DEALBASE_WEBHOOKS_DISPATCH="false",
            **env,
        ),
        probe_path="/api/v2/deals?limit=1",
        token=TOKEN,
    )
    server.start(SERVER_CORE if pin else None)
    if not server.wait_ready():
        raise SystemExit(f"{name} did not start: {server.error}")
    return server


def company_create(port: int, samples: int) -> Figure:
    """Companies made one after another (each deleted after, untimed), each beside a GET of
    the first company on the same connection; three of each unmeasured first."""
    client = Client(port)
    made, looked = [], []
    for n in range(samples + 3):
        answers: list = []
        lookup = timed(client.into, answers, "GET", "/_dealbase/companies/1")
        create = timed(client.into, answers, "POST", "/_dealbase/companies", {"name": f"Bench {n}"})
        (status, first), (created, company) = answers
        assert status == 200 and first["id"] == 1 and created == 201 and company["api_token"], answers
        assert client.call("DELETE", f"/_dealbase/companies/{company['id']}")[0] == 200
        if n >= 3:
            made.append(create)
            looked.append(lookup)
    return Figure(
        "company create (POST /_dealbase/companies)", "p50 < 20 ms", 20, "ms", made,
        "GET /_dealbase/companies/{id}, same server", looked,
    )  # fmt: skip


# -- the pipedrive fixture, beside a copy of its template ----------------------------------


def fixture(samples: int) -> Figure:
    from dealbase.testing import mock_pipedrive
    from dealbase.testing.mock import _template

    with mock_pipedrive():
        pass
    template = _template()
    scratch = Path(tempfile.mkdtemp(prefix="dealbase-bench-fixture-"))
    entered, copied = Stopwatch(), []

    def enter_and_leave() -> None:
        with mock_pipedrive() as handle:
            assert handle.api_token

    for n in range(samples):
        entered.time(enter_and_leave)
        copied.append(timed(template.copy_to, scratch / f"{n}.db"))
    shutil.rmtree(scratch, ignore_errors=True)
    return Figure(
        "pipedrive fixture setup + teardown", "p50 < 30 ms", 30, "ms", entered.wall,
        "copy of its template database", copied, entered.cpu,
    )  # fmt: skip


# -- reset and restore, beside a plain copy of the same rows ------------------------------


class Floor:
    """The same rows written or removed by the plainest SQL, in tables of the same columns
    without keys, indexes or triggers: what the database costs before any of dealbase's work."""

    def __init__(self, engine, company_id: int) -> None:
        from dealbase.store.snapshots import company_tables

        self.engine, self.company_id = engine, company_id
        self.tables = [str(t.name) for t in company_tables()]

    def _each(self, conn, sql: str, commit: bool = False) -> None:
        from sqlalchemy import text

        for table in self.tables:
            conn.execute(text(sql.format(t=table, c=self.company_id)))
        if commit:
            conn.commit()

    def _copies_empty(self, conn) -> None:
        self._each(conn, "DROP TABLE IF EXISTS bench_floor_{t}")
        self._each(conn, "CREATE TABLE bench_floor_{t} AS SELECT * FROM {t} WHERE 1 = 0")

    def copy(self) -> float:
        """Milliseconds to copy the company's rows of every table, committed."""
        with self.engine.connect() as conn:
            self._copies_empty(conn)
            conn.commit()
            took = timed(self._each, conn, "INSERT INTO bench_floor_{t} SELECT * FROM {t} WHERE company_id = {c}", True)
            self._each(conn, "DROP TABLE bench_floor_{t}")
            conn.commit()
        return took

    def remove(self) -> float:
        """Milliseconds to delete a copy of the company's rows of every table, committed."""
        with self.engine.connect() as conn:
            self._copies_empty(conn)
            self._each(conn, "INSERT INTO bench_floor_{t} SELECT * FROM {t} WHERE company_id = {c}")
            conn.commit()
            took = timed(self._each, conn, "DELETE FROM bench_floor_{t} WHERE company_id = {c}", True)
            self._each(conn, "DROP TABLE bench_floor_{t}")
            conn.commit()
        return took


def _writing(engine):
    return engine.connect().execution_options(dealbase_write=True)


SAVED = "bench-full"


def _rounds(engine, company, files_dir: str, rounds: int, prepare, floor, work, *args) -> tuple[Stopwatch, list[float]]:
    """The company saved as ``SAVED``; then, each round, ``prepare(conn)`` committed
    (untimed), the floor measured, and ``work(conn, company_id, *args)`` timed, committed."""
    from dealbase.clock import now
    from dealbase.store import snapshots

    with _writing(engine) as conn:
        snapshots.save(conn, company.id, SAVED, now(), files_dir)
        conn.commit()
    took, floors = Stopwatch(), []
    for _ in range(rounds):
        with _writing(engine) as conn:
            committed(conn, prepare)
        floors.append(floor(Floor(engine, company.id)))
        with _writing(engine) as conn:
            took.time(committed, conn, work, company.id, *args)
    return took, floors


def reset(engine, files_dir: str, rounds: int) -> Figure:
    from dealbase import sandbox
    from dealbase.clock import now
    from dealbase.store import snapshots

    company = sandbox_data.COMPANIES[1]

    def refill(conn) -> None:
        snapshots.restore(conn, company.id, SAVED, now(), files_dir)

    took, floor = _rounds(engine, company, files_dir, rounds, refill, Floor.remove, sandbox.reset)
    return Figure(
        f"reset of a company of {company.deals:,} deals", "p50 < 100 ms", 100, "ms", took.wall,
        "plain DELETE of the same rows (tables without keys or indexes)", floor, took.cpu,
    )  # fmt: skip


def restore(engine, files_dir: str, rounds: int) -> Figure:
    from dealbase.clock import now
    from dealbase.domain import service
    from dealbase.domain.deals import DEAL
    from dealbase.domain.unit import Unit
    from dealbase.store import repository as repo
    from dealbase.store import snapshots
    from dealbase.store.tables import users

    company = sandbox_data.COMPANIES[0]

    def delete_a_tenth(conn) -> None:
        """What a test does before it restores: a tenth of the deals deleted through the API."""
        unit = Unit(conn, company.id, repo.get(conn, users, company.id, company.user_id))
        for deal in repo.rows_where(conn, DEAL.table, company.id, "is_deleted", False)[::10]:
            service.delete(unit, DEAL, deal)

    work = snapshots.restore
    took, floor = _rounds(engine, company, files_dir, rounds, delete_a_tenth, Floor.copy, work, SAVED, now(), files_dir)
    return Figure(
        f"restore of a {company.deals:,}-deal snapshot (a tenth deleted)", "p50 < 1000 ms", 1000, "ms", took.wall,
        "plain INSERT … SELECT of the same rows (tables without keys or indexes)", floor, took.cpu,
    )  # fmt: skip


# -- the journal: v2 get-by-id req/s with and without it, same build ----------------------


def wrk(server: Server, duration: float, deals: int, pin: bool) -> tuple[float, float]:
    """Requests per second of ``GET /api/v2/deals/{random id}``, and per second of the
    server's CPU time (what one core serves, whoever else shares it)."""
    env = dict(os.environ, BENCH_MODE="int", BENCH_PATH="/api/v2/deals/%d", BENCH_LO="1", BENCH_HI=str(deals))
    cmd = ["wrk", "-t1", "-c32", f"-d{duration:g}s", "--timeout", "5s", "-s", str(LUA), server.url]
    cmd[1:1] = ["-H", f"x-api-token: {TOKEN}"]
    if pin:
        cmd = ["taskset", "-c", str(CLIENT_CORE), *cmd]
    cpu = server.cpu_seconds()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60, check=True)
    cpu = server.cpu_seconds() - cpu
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(result["errors"].values())
    if errors or "Non-2xx" in done.stdout:
        raise SystemExit(f"wrk saw errors on {server.name}: {done.stdout[-400:]}")
    return result["requests"] / (result["duration_us"] / 1e6), result["requests"] / cpu


def journal_cost(url: str, work: Path, rounds: int, duration: float, pin: bool) -> Figure:
    """Two sandbox servers on one database, the journal on (sandbox mode's default) and off
    (``DEALBASE_JOURNAL_SIZE=0``), loaded in turn, the order swapped each round. The cost is
    1 − (on ÷ off) of each round's requests per CPU second of the server, its median the
    figure: the req/s one core gives, unmoved by whoever else shares the core (the req/s
    cost, which they move, is printed beside it)."""
    on = serve("journal-on", url, work, pin)
    off = serve("journal-off", url, work, pin, DEALBASE_JOURNAL_SIZE="0")
    try:
        # the probe request is in the one's journal; the other has none
        status, listed = Client(on.port).call("GET", "/_dealbase/companies/1/requests?limit=1")
        assert status == 200 and listed["requests"], (status, listed)
        assert Client(off.port).call("GET", "/_dealbase/companies/1/requests?limit=1")[0] == 409
        deals = DEMO_DEALS
        costs, rates = [], {"journal-on": [], "journal-off": []}
        for n in range(rounds):
            pair = (on, off) if n % 2 == 0 else (off, on)
            for server in pair:
                wrk(server, 1, deals, pin)  # warm-up
            rate = {server.name: wrk(server, duration, deals, pin) for server in pair}
            for name, measured in rate.items():
                rates[name].append(measured)
            costs.append(100 * (1 - rate["journal-on"][1] / rate["journal-off"][1]))
    finally:
        on.stop()
        off.stop()
    for name, measured in rates.items():
        per_wall, per_cpu = (statistics.median(m[i] for m in measured) for i in (0, 1))
        say(f"  {name}: {per_wall:,.0f} req/s, {per_cpu:,.0f} req per CPU second of the server")
    wall = [100 * (1 - on_[0] / off_[0]) for on_, off_ in zip(rates["journal-on"], rates["journal-off"], strict=True)]
    say(f"  cost in req/s: median {statistics.median(wall):.1f} % (rounds: {', '.join(f'{c:.1f}' for c in wall)})")
    return Figure(
        "sandbox mode's journal on v2 get-by-id (cost, % of req/s)", "cost < 10 %", 10, "%", costs,
        "req per CPU second without the journal, same build and database", [],
    )  # fmt: skip


# -- the run --------------------------------------------------------------------------------


def report(figures: list[Figure], meta: dict) -> None:
    say("")
    say(f"{'measure':58} {'target':>14} {'p50':>9} {'baseline p50':>13} {'ratio':>7}  result  {'CPU p50':>9}")
    for f in figures:
        r = f.row()
        base = "–" if r["baseline_p50"] is None else f"{r['baseline_p50']:.2f} {f.unit}"
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.2f}×"
        result = "PASS" if r["pass"] else "FAIL"
        cpu = "" if r["cpu_p50"] is None else f"{r['cpu_p50']:7.2f} {f.unit}"
        say(f"{f.name:58} {f.target:>14} {f.p50:7.2f} {f.unit:<2} {base:>12} {ratio:>7}  {result}  {cpu:>9}")
    say("")
    for f in figures:
        say(f"  {f.name}: baseline is {f.baseline}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "sandbox-latest.json"
    out.write_text(json.dumps({**meta, "figures": [f.row() for f in figures]}, indent=2))
    say(f"\nwritten: {out.relative_to(REPO)}")


MEASURES = ("create", "fixture", "reset", "restore", "journal")


def measure(args, url: str, work: Path, pin: bool) -> list[Figure]:
    from dealbase.store.db import create_db_engine

    only = set(args.only.split(",")) if args.only else set(MEASURES)
    files_dir = str(work / "files")
    figures = []
    if only & {"reset", "restore"}:
        sandbox_data.load(url, work, files_dir, say)
        engine = create_db_engine(url)
        say(f"reset and restore on {engine.dialect.name} …")
        if "reset" in only:
            figures.append(reset(engine, files_dir, args.rounds))
        if "restore" in only:
            figures.append(restore(engine, files_dir, args.rounds))
        engine.dispose()
    if "fixture" in only:
        say("the pipedrive fixture …")
        figures.append(fixture(args.samples))
    if only & {"create", "journal"}:
        say("control plane and journal servers …")
        control_url = url if args.database_url else f"sqlite:///{work / 'control.db'}"
        if args.database_url:  # emptied: the servers make their own first company, with the demo data
            _empty(url)
        if "create" in only:
            server = serve("control", control_url, work, pin)
            try:
                figures.insert(0, company_create(server.port, args.samples))
            finally:
                server.stop()
        if "journal" in only:
            figures.append(journal_cost(control_url, work, args.rounds, args.duration, pin))
    return figures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="an empty PostgreSQL database (default: a temporary SQLite file)")
    ap.add_argument("--rounds", type=int, default=5, help="rounds of reset, restore and the journal's wrk runs")
    ap.add_argument("--samples", type=int, default=50, help="companies made and fixtures entered")
    ap.add_argument("--duration", type=float, default=5, help="seconds of each measured wrk run")
    ap.add_argument("--no-pin", action="store_true", help="servers on core 0 and this process on core 1 unless set")
    ap.add_argument("--only", help=f"a comma-separated subset of: {', '.join(MEASURES)}")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        say(WRK_MISSING)
        return 2
    pin = not args.no_pin and shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2
    if pin:
        os.sched_setaffinity(0, {CLIENT_CORE})

    work = Path(tempfile.mkdtemp(prefix="dealbase-sandbox-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.db'}"
    started = time.time()
    try:
        figures = measure(args, url, work, pin)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    meta = {
        "backend": "postgresql" if args.database_url else "sqlite",
        "rounds": args.rounds,
        "samples": args.samples,
        "duration_s": args.duration,
        "pinned": pin,
        "load_average": os.getloadavg(),
        "took_s": round(time.time() - started, 1),
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    report(figures, meta)
    return 0


def _empty(url: str) -> None:
    """Every table of the database at ``url`` dropped (PostgreSQL: the servers migrate it again)."""
    from sqlalchemy import text

    from dealbase.store.db import create_db_engine

    engine = create_db_engine(url)
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.commit()
    engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
