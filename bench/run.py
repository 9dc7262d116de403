#!/usr/bin/env python3
"""Read-path benchmark of dealbase against two baselines measured in the same run.

    python bench/run.py [--deals 100000] [--duration 10] [--rounds 3] [--workers 1]

See bench/README.md for what each figure means and the targets. Method as in
shared/docs/perf-baseline.md: wrk, 1 thread, 32 connections, wrk pinned to core 1 and every
1-worker server to core 0, a 2 s warm-up before each 10 s run, rounds interleaved
round-robin with the order rotated each round, medians reported, and RATIOS against the
baselines measured in the same run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from _venv import BENCH_DIR, REPO, use_project_venv  # noqa: E402

use_project_venv(__file__)

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

sys.path.insert(0, str(BENCH_DIR))
import dataset  # noqa: E402
import finding  # noqa: E402
from client import request  # noqa: E402

LUA = BENCH_DIR / "wrk" / "random_path.lua"
CACHE = BENCH_DIR / ".cache"
RESULTS = BENCH_DIR / "results"
PY = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
NPROC = os.cpu_count() or 1

# A run whose "other" load (not this server, not wrk) exceeds this share of a core is marked noisy.
NOISY_OTHER_PCT = 25.0

WRK_MISSING = """\
wrk is not installed (it is not part of CI). On Debian/Ubuntu, as root:

    apt-get update && apt-get install -y wrk

then run this script again."""


def say(msg: str = "") -> None:
    print(msg, flush=True)


def banner(msg: str) -> None:
    line = "!" * 100
    say(f"\n{line}\n!!! {msg}\n{line}\n")


# ---------------------------------------------------------------------------------------
# servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    cmd: list[str]
    env: dict[str, str]
    probe_path: str
    token: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None
    error: str | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, pin_core: int | None) -> None:
        cmd = [c.replace("{port}", str(self.port)) for c in self.cmd]
        if pin_core is not None:
            cmd = ["taskset", "-c", str(pin_core), *cmd]
        self.log_path = CACHE / "logs" / f"{self.name}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        logf = open(self.log_path, "w")
        logf.write("$ " + " ".join(cmd) + "\n")
        logf.flush()
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=self.env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True
        )
        logf.close()

    def wait_ready(self, timeout: float = 90) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.error = f"exited with code {self.proc.returncode}; log: {self.log_path}\n" + self.log_tail()
                return False
            try:
                request(self.url, self.probe_path, self.token, timeout=3)
                return True
            except OSError:
                time.sleep(0.25)
        self.error = f"did not answer within {timeout:.0f} s; log: {self.log_path}\n" + self.log_tail()
        return False

    def log_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            pass

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the server process and all its descendants."""
        if self.proc is None:
            return 0.0
        return tree_cpu_seconds(self.proc.pid)


def _proc_stat(pid: int) -> tuple[int, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2 :].split()
    # rest[0] = state (field 3); ppid field 4 → rest[1]; utime 14 → rest[11]; stime 15 → rest[12]
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def tree_cpu_seconds(root: int) -> float:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st:
                stats[int(entry)] = st
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total


def cpu_jiffies() -> dict[str, tuple[int, int]]:
    """(total, idle) jiffies for "cpu" (all cores) and each "cpuN" from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu"):
                break
            name, *parts = line.split()
            vals = [int(x) for x in parts]
            idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
            out[name] = (sum(vals[:8]), idle)
    return out


def busy_pct(j0: dict, j1: dict, name: str) -> float:
    """Busy share of one core (``cpuN``) in percent, or of all cores (``cpu``, 100 per core)."""
    (t0, i0), (t1, i1) = j0[name], j1[name]
    share = 1 - (i1 - i0) / max(1, t1 - t0)
    return share * (NPROC * 100 if name == "cpu" else 100)


def machine_busy_sample(seconds: float = 1.0) -> float:
    j0 = cpu_jiffies()
    time.sleep(seconds)
    return busy_pct(j0, cpu_jiffies(), "cpu")


class RunLock:
    """One bench/run.py at a time on this checkout: concurrent runs share cores, the dataset
    file and the cache directory, and would spoil each other's numbers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh = None

    def acquire(self, wait_s: float) -> bool:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        deadline = time.time() + wait_s
        told = False
        while True:
            try:
                fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.fh.seek(0)
                self.fh.truncate()
                self.fh.write(f"{os.getpid()}\n")
                self.fh.flush()
                return True
            except BlockingIOError:
                if not told:
                    self.fh.seek(0)
                    holder = self.fh.read().strip() or "?"
                    say(
                        f"another bench/run.py (pid {holder}) is running on this checkout; "
                        f"waiting up to {wait_s:.0f} s for it to finish …"
                    )
                    told = True
                if time.time() >= deadline:
                    return False
                time.sleep(5)


# ---------------------------------------------------------------------------------------
# benchmarks


@dataclass
class Bench:
    key: str
    label: str
    server: str
    kind: str  # get | list | v1list | search
    mode: str  # static | int | file
    path: str
    lo: int = 0
    hi: int = 0
    file: str | None = None
    expect_start: int | None = None  # v1: the start the page must report
    note: str = ""
    invalid: str | None = None  # set when validation fails
    body_bytes: float | None = None
    # wrk connections for this config (None: --connections); 1 measures one request's time.
    connections: int | None = None
    runs: list[dict] = field(default_factory=list)

    def sample_paths(self, rng: random.Random) -> list[str]:
        if self.mode == "static":
            return [self.path]
        if self.mode == "int":
            return [self.path % v for v in (self.lo, self.hi, rng.randint(self.lo, self.hi))]
        lines = [ln for ln in Path(self.file).read_text().splitlines() if ln]
        return [lines[0], lines[-1], rng.choice(lines)]


def make_benches(meta: dict, args, have_dealbase: bool) -> list[Bench]:
    lo, hi, n = meta["deal_id_min"], meta["deal_id_max"], meta["deals"]
    deep = args.deep_start if args.deep_start is not None else (n * 9 // 10)
    L = 100
    b = [
        Bench("fixed.get", "fixed   GET /api/v2/deals/{id}", "fixed", "get", "int", "/api/v2/deals/%d", lo, hi),
        Bench("floor.get", "floor   GET /api/v2/deals/{id}", "floor", "get", "int", "/api/v2/deals/%d", lo, hi),
        Bench(
            "dealbase.v2.get",
            "dealbase v2 GET /api/v2/deals/{id}",
            "dealbase",
            "get",
            "int",
            "/api/v2/deals/%d",
            lo,
            hi,
        ),
        Bench(
            "fixed.list",
            "fixed   GET /api/v2/deals?limit=100 (fixed list)",
            "fixed",
            "list",
            "static",
            f"/api/v2/deals?limit={L}",
        ),
        Bench(
            "floor.list.first",
            "floor   list 100, first page (keyset)",
            "floor",
            "list",
            "static",
            f"/api/v2/deals?limit={L}",
        ),
        Bench(
            "dealbase.v2.list.first",
            "dealbase v2 GET /api/v2/deals?limit=100 (first page)",
            "dealbase",
            "list",
            "static",
            f"/api/v2/deals?limit={L}",
        ),
        Bench(
            "floor.v1.list.start0",
            "floor   v1 list 100, start=0 (v1 shape, related objects)",
            "floor",
            "v1list",
            "static",
            f"/v1/deals?limit={L}&start=0",
            expect_start=0,
        ),
        Bench(
            "dealbase.v1.list.start0",
            "dealbase v1 GET /v1/deals?limit=100&start=0",
            "dealbase",
            "v1list",
            "static",
            f"/v1/deals?limit={L}&start=0",
            expect_start=0,
        ),
        Bench(
            "floor.list.cursor",
            "floor   list 100, random keyset cursor",
            "floor",
            "list",
            "int",
            f"/api/v2/deals?limit={L}&cursor=%d",
            lo - 1,
            hi - L,
        ),
        Bench(
            "dealbase.v2.list.cursor",
            "dealbase v2 GET /api/v2/deals?limit=100&cursor=<random>",
            "dealbase",
            "list",
            "file",
            f"/api/v2/deals?limit={L}&cursor=…",
            file=str(CACHE / "v2_cursors.txt"),
        ),
        Bench(
            "dealbase.v1.list.deep",
            f"dealbase v1 GET /v1/deals?limit=100&start={deep}",
            "dealbase",
            "v1list",
            "static",
            f"/v1/deals?limit={L}&start={deep}",
            expect_start=deep,
        ),
        Bench(
            "dealbase.v1.list.random",
            f"dealbase v1 GET /v1/deals?limit=100&start=<0..{n - L}>",
            "dealbase",
            "v1list",
            "int",
            f"/v1/deals?limit={L}&start=%d",
            0,
            n - L,
        ),
        # The finding configs (finding.py), one connection each: p50 is one request's time.
        Bench(
            "dealbase.v2.get.c1",
            "dealbase v2 GET /api/v2/deals/{id}, 1 connection",
            "dealbase",
            "get",
            "int",
            "/api/v2/deals/%d",
            lo,
            hi,
            connections=1,
        ),
        Bench(
            "dealbase.search.item",
            "dealbase v2 GET /api/v2/itemSearch?term=<word>, 1 connection",
            "dealbase",
            "search",
            "file",
            "/api/v2/itemSearch?term=…",
            file=str(CACHE / "search_paths.txt"),
            connections=1,
        ),
        Bench(
            "dealbase.v2.list.filtered",
            "dealbase v2 GET /api/v2/deals?limit=100&filter_id=<2 conditions>, 1 connection",
            "dealbase",
            "list",
            "static",
            "/api/v2/deals?limit=100&filter_id=…",
            connections=1,
        ),
    ]
    if not args.extra:
        b = [x for x in b if x.key != "dealbase.v1.list.random"]
    if not have_dealbase:
        b = [x for x in b if x.server != "dealbase"]
    if args.only:
        pats = args.only.split(",")
        b = [x for x in b if any(_match(x.key, p) for p in pats)]
    return b


def _match(key: str, pat: str) -> bool:
    import fnmatch

    return fnmatch.fnmatch(key, pat) or key == pat


def validate(bench: Bench, server: Server, meta: dict) -> None:
    """A few real requests before timing: 200, JSON, the expected shape. Sets bench.invalid."""
    rng = random.Random(1)
    sizes = []
    for path in bench.sample_paths(rng):
        try:
            status, body, headers = request(server.url, path, server.token)
        except OSError as e:
            bench.invalid = f"{path}: {e!r}"
            return
        sizes.append(len(body))
        if status != 200:
            bench.invalid = f"{path}: HTTP {status}: {body[:300]!r}"
            return
        try:
            doc = json.loads(body)
        except ValueError:
            bench.invalid = f"{path}: body is not JSON: {body[:200]!r}"
            return
        if doc.get("success") is not True:
            bench.invalid = f"{path}: success is not true: {body[:300]!r}"
            return
        data = doc.get("data")
        if bench.kind == "search":
            items = (data or {}).get("items") if isinstance(data, dict) else None
            if not isinstance(items, list):
                bench.invalid = f"{path}: expected data.items, got {str(data)[:200]}"
                return
            if not items:
                bench.note += f" (no result for {path})"
        elif bench.kind == "get":
            want = int(path.rsplit("/", 1)[1])
            if not isinstance(data, dict) or (bench.server != "fixed" and data.get("id") != want):
                bench.invalid = f"{path}: expected deal {want}, got {str(data)[:200]}"
                return
        else:
            if not isinstance(data, list) or len(data) != 100:
                bench.invalid = f"{path}: expected 100 deals, got {len(data) if isinstance(data, list) else data!r}"
                return
            ids = [d.get("id") for d in data]
            if ids != sorted(ids):
                bench.note += " (page not in id order)"
            if bench.kind == "v1list":
                pag = (doc.get("additional_data") or {}).get("pagination") or {}
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
                start = int(q["start"][0])
                if pag.get("start") != start:
                    bench.invalid = f"{path}: pagination.start is {pag.get('start')!r}, expected {start}"
                    return
                if meta.get("deal_ids_contiguous") and ids[0] != meta["deal_id_min"] + start:
                    bench.invalid = f"{path}: first id {ids[0]}, expected {meta['deal_id_min'] + start}"
                    return
    bench.body_bytes = statistics.mean(sizes)


def prepare_finding(benches: list[Bench], servers: dict, notes: list[str]) -> None:
    """The search terms and the saved filter the finding configs use (finding.py)."""
    for b in benches:
        if b.invalid or b.key not in ("dealbase.search.item", "dealbase.v2.list.filtered"):
            continue
        server = servers[b.server]
        try:
            if b.key == "dealbase.search.item":
                note = finding.write_search_paths(Path(b.file))
            else:
                b.path, note = finding.make_filter(server.url, server.token)
        except Exception as e:  # noqa: BLE001
            b.invalid = f"preparing it failed: {e!r}"
            continue
        b.note = note
        notes.append(f"{b.key}: {note}")


def collect_v2_cursors(server: Server, out: Path, budget_s: float, n_deals: int) -> str:
    """Walk dealbase's v2 list to collect real (opaque) next_cursor values, spread over the table.

    Walks with limit=500 (fewer, larger pages) and checks that a cursor also serves a page
    of 100; falls back to walking with limit=100. Returns a note for the report.
    """
    t0 = time.time()
    for walk_limit in (500, 100):
        cursors: list[str] = []
        path = f"/api/v2/deals?limit={walk_limit}"
        ok = True
        while time.time() - t0 < budget_s:
            status, body, _ = request(server.url, path, server.token, timeout=60)
            if status != 200:
                ok = False
                break
            doc = json.loads(body)
            if len(doc.get("data") or []) != walk_limit:
                ok = bool(cursors)
                break
            nxt = (doc.get("additional_data") or {}).get("next_cursor")
            if not nxt:
                break
            cursors.append(nxt)
            path = f"/api/v2/deals?limit={walk_limit}&cursor={urllib.parse.quote(nxt, safe='')}"
        if not ok or not cursors:
            continue
        # the last cursor may have fewer than 100 deals after it: drop it
        usable = cursors[:-1] if len(cursors) > 1 else cursors
        paths = [f"/api/v2/deals?limit=100&cursor={urllib.parse.quote(c, safe='')}" for c in usable]
        status, body, _ = request(server.url, paths[len(paths) // 2], server.token)
        if status != 200 or len(json.loads(body).get("data") or []) != 100:
            continue
        out.write_text("\n".join(paths) + "\n")
        covered = len(cursors) * walk_limit
        return (
            f"{len(paths)} cursors from walking limit={walk_limit} pages in {time.time() - t0:.0f} s, "
            f"covering the first {min(covered, n_deals):,} of {n_deals:,} deals"
        )
    return ""


def run_wrk(
    bench: Bench, server: Server, args, duration: float, wrk_core: int | None, server_core: int | None = None
) -> dict:
    env = dict(
        os.environ,
        BENCH_MODE=bench.mode,
        BENCH_PATH=bench.path,
        BENCH_LO=str(bench.lo),
        BENCH_HI=str(bench.hi),
        BENCH_FILE=bench.file or "",
    )
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{bench.connections or args.connections}",
        f"-d{duration:g}s",
        "--timeout",
        f"{args.timeout:g}s",
        "-H",
        f"x-api-token: {server.token}",
        "-s",
        str(LUA),
        server.url,
    ]
    if wrk_core is not None:
        cmd = ["taskset", "-c", str(wrk_core), *cmd]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu0 = server.cpu_seconds()
    j0 = cpu_jiffies()
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + args.timeout + 60)
    wall = time.perf_counter() - t0
    j1 = cpu_jiffies()
    cpu1 = server.cpu_seconds()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res: dict = {"wall_s": round(wall, 2), "exit": p.returncode}
    line = next((ln for ln in p.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        res["problem"] = f"wrk exit {p.returncode}, no result line: {(p.stderr or p.stdout)[-500:]}"
        return res
    w = json.loads(line[len("BENCH_JSON ") :])
    secs = w["duration_us"] / 1e6
    lat = w["latency_us"]
    res.update(
        requests=w["requests"],
        rps=w["requests"] / secs if secs else 0.0,
        p50_ms=lat["p50"] / 1000,
        p75_ms=lat["p75"] / 1000,
        p90_ms=lat["p90"] / 1000,
        p99_ms=lat["p99"] / 1000,
        p999_ms=lat["p999"] / 1000,
        max_ms=lat["max"] / 1000,
        mean_ms=lat["mean"] / 1000,
        mb_per_s=w["bytes"] / secs / 1e6 if secs else 0.0,
        errors=w["errors"],
        server_cpu_pct=100 * (cpu1 - cpu0) / wall,
        wrk_cpu_pct=100 * ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / wall,
        machine_busy_200=busy_pct(j0, j1, "cpu"),
    )
    # Load that is neither this server nor wrk: on the server's core when it is pinned,
    # else on the whole machine. High values mean another tenant shared the CPU (noise).
    if server_core is not None and f"cpu{server_core}" in j1:
        res["other_pct"] = max(0.0, busy_pct(j0, j1, f"cpu{server_core}") - res["server_cpu_pct"])
    else:
        res["other_pct"] = max(0.0, res["machine_busy_200"] - res["server_cpu_pct"] - res["wrk_cpu_pct"])
    # wrk's own summary line counts non-2xx/3xx; keep it as a cross-check.
    for ln in p.stdout.splitlines():
        if "Non-2xx or 3xx responses" in ln:
            res["non_2xx_3xx"] = int(ln.rsplit(":", 1)[1])
    bad = sum(w["errors"].values()) + res.get("non_2xx_3xx", 0)
    if p.returncode != 0:
        res["problem"] = f"wrk exit {p.returncode}: {p.stderr[-300:]}"
    elif w["requests"] == 0:
        res["problem"] = "no request completed"
    elif bad:
        res["problem"] = (
            f"{w['errors']['status']} HTTP errors (status >= 400), "
            f"{res.get('non_2xx_3xx', 0)} non-2xx/3xx, {w['errors']['timeout']} timeouts, "
            f"socket errors connect/read/write {w['errors']['connect']}/"
            f"{w['errors']['read']}/{w['errors']['write']}"
        )
    return res


# ---------------------------------------------------------------------------------------
# summary


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def summarise(b: Bench) -> dict:
    good = [r for r in b.runs if "rps" in r]
    problems = [f"round {r['round']}: {r['problem']}" for r in b.runs if r.get("problem")]
    s = {
        "key": b.key,
        "label": b.label,
        "server": b.server,
        "path": b.path,
        "body_kb": (b.body_bytes or 0) / 1024,
        "runs": b.runs,
        "problems": problems,
        "invalid": b.invalid,
        "note": b.note.strip(),
    }
    for k in (
        "rps",
        "p50_ms",
        "p99_ms",
        "p999_ms",
        "server_cpu_pct",
        "wrk_cpu_pct",
        "machine_busy_200",
        "other_pct",
        "mb_per_s",
    ):
        s[k] = med([r.get(k) for r in good])
    others = [r["other_pct"] for r in good if r.get("other_pct") is not None]
    s["max_other_pct"] = max(others) if others else None
    s["noisy_rounds"] = [r["round"] for r in good if (r.get("other_pct") or 0) > NOISY_OTHER_PCT]
    s["rounds_rps"] = [r.get("rps") for r in b.runs]
    errs = [r.get("errors") or {} for r in b.runs]
    s["non_2xx_3xx_total"] = sum(r.get("non_2xx_3xx", 0) for r in b.runs)
    s["timeouts_total"] = sum(e.get("timeout", 0) for e in errs)
    s["socket_errors_total"] = sum(e.get("connect", 0) + e.get("read", 0) + e.get("write", 0) for e in errs)
    s["valid"] = bool(good) and not problems and not b.invalid and len(good) == len(b.runs)
    return s


RATIOS = [
    # (name, numerator, denominator, op, target, group)
    ("v2 get-by-id ÷ floor get-by-id", "dealbase.v2.get", "floor.get", ">=", 0.70, "target"),
    (
        "v2 list-100 first page ÷ floor list-100 first page",
        "dealbase.v2.list.first",
        "floor.list.first",
        ">=",
        0.60,
        "target",
    ),
    (
        "v2 list-100 random cursor ÷ floor list-100 random cursor",
        "dealbase.v2.list.cursor",
        "floor.list.cursor",
        ">=",
        0.60,
        "target",
    ),
    # The v1 target as first specified: against the keyset list floor (v2-shaped, ~220 KB),
    # so it includes the v1 work (inflated references, related_objects, ~2x the bytes).
    (
        "v1 list-100 start=0 ÷ floor list-100 first page (as specified)",
        "dealbase.v1.list.start0",
        "floor.list.first",
        ">=",
        0.60,
        "target",
    ),
    # The same threshold against a floor that does the v1 work itself (baselines.py, v1 route).
    (
        "v1 list-100 start=0 ÷ floor v1 list-100 start=0 (v1-shaped floor)",
        "dealbase.v1.list.start0",
        "floor.v1.list.start0",
        ">=",
        0.60,
        "target",
    ),
    (
        "v1 first page ÷ v1 deep page (req/s; ≤ 3 = deep no slower than 3×)",
        "dealbase.v1.list.start0",
        "dealbase.v1.list.deep",
        "<=",
        3.0,
        "target",
    ),
    (
        "v1 list-100 random start ÷ floor list-100 random cursor",
        "dealbase.v1.list.random",
        "floor.list.cursor",
        None,
        None,
        "info",
    ),
    (
        "v2 get-by-id ÷ fixed get (CI guard ≥ 0.13, perf-baseline.md)",
        "dealbase.v2.get",
        "fixed.get",
        ">=",
        0.13,
        "fixed",
    ),
    ("floor get-by-id ÷ fixed get", "floor.get", "fixed.get", None, None, "fixed"),
    ("v2 list-100 first page ÷ fixed list", "dealbase.v2.list.first", "fixed.list", None, None, "fixed"),
    ("v2 list-100 random cursor ÷ fixed list", "dealbase.v2.list.cursor", "fixed.list", None, None, "fixed"),
    ("v1 list-100 start=0 ÷ fixed list", "dealbase.v1.list.start0", "fixed.list", None, None, "fixed"),
    ("v1 list-100 deep ÷ fixed list", "dealbase.v1.list.deep", "fixed.list", None, None, "fixed"),
    ("floor list-100 first page ÷ fixed list", "floor.list.first", "fixed.list", None, None, "fixed"),
    # The finding configs against a primary-key lookup, all with one connection.
    ("itemSearch ÷ get-by-id (1 connection)", "dealbase.search.item", "dealbase.v2.get.c1", None, None, "finding"),
    (
        "filtered list-100 ÷ get-by-id (1 connection)",
        "dealbase.v2.list.filtered",
        "dealbase.v2.get.c1",
        None,
        None,
        "finding",
    ),
]

# (name, config, percentile key, op, target ms): latency targets, one connection.
LATENCY_TARGETS = [
    ("itemSearch p50 latency (ms), 1 connection", "dealbase.search.item", "p50_ms", 50.0),
    ("filtered list-100 p50 latency (ms), 1 connection", "dealbase.v2.list.filtered", "p50_ms", 30.0),
]


def compute_ratios(summ: dict[str, dict]) -> list[dict]:
    out = []
    for name, num, den, op, target, group in RATIOS:
        a, b = summ.get(num), summ.get(den)
        if a is None or b is None:
            continue
        r = {"name": name, "numerator": num, "denominator": den, "op": op, "target": target, "group": group}
        if not (a["valid"] and b["valid"]) or not a["rps"] or not b["rps"]:
            r["value"] = (a["rps"] / b["rps"]) if a["rps"] and b["rps"] else None
            r["verdict"] = "INVALID"
            r["why"] = "; ".join(
                f"{x['key']}: " + (x["invalid"] or "; ".join(x["problems"]) or "no valid run")
                for x in (a, b)
                if not x["valid"]
            )
        else:
            r["value"] = a["rps"] / b["rps"]
            per_round = [x["rps"] / y["rps"] for x, y in zip(a["runs"], b["runs"]) if x.get("rps") and y.get("rps")]
            r["per_round"] = per_round
            if op == ">=":
                r["verdict"] = "PASS" if r["value"] >= target else "FAIL"
            elif op == "<=":
                r["verdict"] = "PASS" if r["value"] <= target else "FAIL"
            else:
                r["verdict"] = "info"
        out.append(r)
    g = summ.get("dealbase.v2.get")
    if g is not None:
        r = {
            "name": "v2 get-by-id p99 latency (ms)",
            "numerator": "dealbase.v2.get",
            "denominator": None,
            "op": "<",
            "target": 20.0,
            "group": "target",
            "value": g["p99_ms"],
        }
        r["verdict"] = "INVALID" if not g["valid"] or g["p99_ms"] is None else "PASS" if g["p99_ms"] < 20.0 else "FAIL"
        out.insert(1, r)
    for name, key, pct, target in LATENCY_TARGETS:
        x = summ.get(key)
        if x is None:
            continue
        r = {"name": name, "numerator": key, "denominator": None, "op": "<", "target": target, "group": "finding"}
        r["value"] = x[pct]
        r["verdict"] = "INVALID" if not x["valid"] or x[pct] is None else "PASS" if x[pct] < target else "FAIL"
        out.append(r)
    return out


def fmt(v, spec=",.0f", none="–"):
    return none if v is None else format(v, spec)


def print_report(summ: dict[str, dict], ratios: list[dict], args, meta: dict, notes: list[str]) -> None:
    say("\n" + "=" * 150)
    say(
        f"RESULTS: medians of {args.rounds} interleaved round(s) × {args.duration:g} s "
        f"(+{args.warmup:g} s warm-up), wrk -t{args.threads} -c{args.connections}, server workers={args.workers}, "
        f"{meta['deals']:,} deals"
    )
    say("=" * 150)
    hdr = (
        f"{'config':<60} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'KB/resp':>8} {'srv CPU%':>8} "
        f"{'wrk CPU%':>8} {'other%':>6} {'busy/200':>8} {'non2xx/tmo/sock':>15}  {'per round req/s':<24} status"
    )
    say(hdr)
    say("-" * len(hdr))
    for s in summ.values():
        rounds = " / ".join(fmt(x) for x in s["rounds_rps"])
        status = "ok" if s["valid"] else ("!!! INVALID" if s["invalid"] else "!!! ERRORS")
        if s.get("noisy_rounds"):
            status += f" (noisy: round {','.join(map(str, s['noisy_rounds']))})"
        errs = f"{s['non_2xx_3xx_total']}/{s['timeouts_total']}/{s['socket_errors_total']}"
        say(
            f"{s['label'][:60]:<60} {fmt(s['rps']):>8} {fmt(s['p50_ms'], '.1f'):>7} {fmt(s['p99_ms'], '.1f'):>7} "
            f"{fmt(s['body_kb'], '.1f'):>8} {fmt(s['server_cpu_pct']):>8} {fmt(s['wrk_cpu_pct']):>8} "
            f"{fmt(s.get('other_pct')):>6} {fmt(s['machine_busy_200']):>8} {errs:>15}  {rounds:<24} {status}"
        )
    say()
    say(f"{'ratio (median req/s ÷ median req/s)':<72} {'value':>7}  {'target':<8} {'verdict':<8} per round")
    say("-" * 120)
    for r in ratios:
        if r["group"] == "fixed" and not any(x["group"] == "fixed" for x in ratios[: ratios.index(r)]):
            say("  -- against the fixed (no database) baseline --")
        if r["group"] == "finding" and not any(x["group"] == "finding" for x in ratios[: ratios.index(r)]):
            say("  -- finding: itemSearch and a saved filter, one connection --")
        tgt = f"{r['op']} {r['target']:g}" if r["op"] else ""
        val = fmt(r["value"], ".1f" if "ms" in r["name"] else ".3f")
        per = ", ".join(f"{x:.3f}" for x in r.get("per_round", []))
        say(f"{r['name']:<72} {val:>7}  {tgt:<8} {r['verdict']:<8} {per}")
    bad = [s for s in summ.values() if not s["valid"]]
    for s in bad:
        why = s["invalid"] or "; ".join(s["problems"]) or "no valid run"
        banner(f"{s['key']} is NOT a valid measurement: {why}")
    for n in notes:
        say(f"note: {n}")


# ---------------------------------------------------------------------------------------


def dealbase_cli() -> tuple[bool, str]:
    return dataset.serve_supported()


def tool_version(cmd: list[str]) -> str:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        return (p.stdout + p.stderr).strip().splitlines()[0]
    except Exception as e:  # noqa: BLE001
        return f"unknown ({e})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=100_000, help="deals in the dataset (default 100000)")
    ap.add_argument("--duration", type=float, default=10, help="seconds per measured run (default 10)")
    ap.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each run (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    ap.add_argument(
        "--workers", type=int, default=1, help="server worker processes (default 1: pinned to core 0; >1: unpinned)"
    )
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    ap.add_argument("--timeout", type=float, default=5, help="wrk request timeout, seconds (default 5)")
    ap.add_argument("--only", help="comma-separated config keys or globs, e.g. 'floor.*,dealbase.v2.get'")
    ap.add_argument(
        "--no-extra",
        dest="extra",
        action="store_false",
        help="skip the extra v1 random-start run (not a target, shows offset paging cost)",
    )
    ap.add_argument("--no-dealbase", action="store_true", help="baselines only")
    ap.add_argument("--deep-start", type=int, default=None, help="v1 deep page start (default 90%% of --deals)")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the cached dataset")
    ap.add_argument(
        "--cursor-budget", type=float, default=120, help="seconds allowed for collecting v2 cursors (default 120)"
    )
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--wrk-core", type=int, default=1)
    ap.add_argument("--no-pin", action="store_true", help="do not use taskset at all")
    ap.add_argument(
        "--dealbase-log-level",
        default=None,
        help="set DEALBASE_LOG_LEVEL for the server (default: leave the server's own default)",
    )
    ap.add_argument(
        "--floor-fragment",
        action="store_true",
        help="floor passes stored JSON through as orjson.Fragment (a lower floor)",
    )
    ap.add_argument("--results-dir", default=str(RESULTS))
    ap.add_argument("--report", metavar="JSON", help="print the report of an earlier results file and exit")
    ap.add_argument(
        "--lock-wait",
        type=float,
        default=1800,
        help="seconds to wait for another bench/run.py on this checkout to finish (default 1800)",
    )
    args = ap.parse_args()

    if args.report:
        saved = json.loads(Path(args.report).read_text())
        for s in saved["results"].values():  # files written before the error columns existed
            s.setdefault("non_2xx_3xx_total", sum(r.get("non_2xx_3xx", 0) for r in s["runs"]))
            s.setdefault("timeouts_total", sum((r.get("errors") or {}).get("timeout", 0) for r in s["runs"]))
            s.setdefault(
                "socket_errors_total",
                sum(
                    sum(v for k, v in (r.get("errors") or {}).items() if k in ("connect", "read", "write"))
                    for r in s["runs"]
                ),
            )
        print_report(
            saved["results"],
            saved["ratios"],
            argparse.Namespace(**saved["args"]),
            saved["dataset"],
            saved.get("notes", []),
        )
        return 0

    if shutil.which("wrk") is None:
        say(WRK_MISSING)
        return 2
    pin = not args.no_pin and shutil.which("taskset") is not None and NPROC >= 2
    if not args.no_pin and not pin:
        say("warning: not pinning (taskset missing or fewer than 2 cores)")
    server_core = args.server_core if pin and args.workers == 1 else None
    wrk_core = args.wrk_core if pin else None

    CACHE.mkdir(parents=True, exist_ok=True)
    lock = RunLock(CACHE / "run.lock")
    if not lock.acquire(args.lock_wait):
        say("gave up waiting for the other bench/run.py")
        return 4
    notes: list[str] = []
    busy_before = machine_busy_sample(1.0)
    if busy_before > 30:
        notes.append(f"the machine was already {busy_before:.0f}/{NPROC * 100} busy before the run started")
        say(f"warning: the machine is already {busy_before:.0f}/{NPROC * 100} busy before any load: expect noise")

    have_dealbase = False
    help_text = ""
    if not args.no_dealbase:
        have_dealbase, help_text = dealbase_cli()
        if not have_dealbase:
            banner("`python -m dealbase serve --database-url …` is not available: measuring the baselines only")
            notes.append(
                "dealbase serve unavailable: " + help_text.strip().splitlines()[-1][:200]
                if help_text.strip()
                else "dealbase serve unavailable"
            )

    meta = dataset.build(args.deals, force=args.rebuild)
    token = meta["token"]
    db_url = meta["database_url"]

    uvicorn = [
        PY,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH_DIR),
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if args.workers > 1:
        uvicorn += ["--workers", str(args.workers)]
    base_env = dict(os.environ, BENCH_TOKEN=token, BENCH_DB=meta["db_path"])
    if args.floor_fragment:
        base_env["BENCH_FLOOR_FRAGMENT"] = "1"
    servers: dict[str, Server] = {
        "fixed": Server("fixed", [*uvicorn, "baselines:fixed_app"], base_env, "/api/v2/deals/1", token),
        "floor": Server("floor", [*uvicorn, "baselines:floor_app"], base_env, "/api/v2/deals/1", token),
    }
    if have_dealbase:
        cmd = [PY, "-m", "dealbase", "serve", "--host", "127.0.0.1", "--port", "{port}", "--database-url", db_url]
        if "--workers" in help_text:
            cmd += ["--workers", str(args.workers)]
        elif args.workers > 1:
            notes.append("dealbase serve has no --workers flag; DEALBASE_WORKERS is set instead")
        env = dict(
            os.environ, DEALBASE_API_TOKEN=token, DEALBASE_WORKERS=str(args.workers), DEALBASE_DATABASE_URL=db_url
        )
        if args.dealbase_log_level:
            env["DEALBASE_LOG_LEVEL"] = args.dealbase_log_level
        servers["dealbase"] = Server("dealbase", cmd, env, "/api/v2/deals/1", token)

    benches = make_benches(meta, args, have_dealbase)
    needed = {b.server for b in benches}
    servers = {k: v for k, v in servers.items() if k in needed}

    def _term(signum, frame):  # noqa: ARG001
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _term)
    started_at = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    try:
        for s in servers.values():
            s.start(server_core)
        for s in servers.values():
            if not s.wait_ready():
                banner(f"server {s.name} did not start: {s.error}")
        for b in benches:
            s = servers[b.server]
            if s.error:
                b.invalid = f"server {s.name} did not start"
        # v2 cursors need a running dealbase
        cb = next((b for b in benches if b.key == "dealbase.v2.list.cursor"), None)
        if cb and not cb.invalid:
            say("collecting dealbase v2 cursors …")
            try:
                note = collect_v2_cursors(servers["dealbase"], Path(cb.file), args.cursor_budget, meta["deals"])
            except Exception as e:  # noqa: BLE001
                note = ""
                cb.invalid = f"cursor collection failed: {e!r}"
            if note:
                cb.note = note
                notes.append("v2 random cursor: " + note)
            elif not cb.invalid:
                cb.invalid = "could not collect valid v2 cursors (see validation of the first page)"
        prepare_finding(benches, servers, notes)
        for b in benches:
            if not b.invalid:
                validate(b, servers[b.server], meta)
            if b.invalid:
                banner(f"{b.key}: {b.invalid}")

        todo = [b for b in benches if not b.invalid]
        per_run = args.warmup + args.duration + 1.5
        say(
            f"\n{len(todo)} configs × {args.rounds} rounds × ~{per_run:.0f} s ≈ "
            f"{len(todo) * args.rounds * per_run / 60:.1f} min of load "
            f"(server core {server_core if server_core is not None else 'unpinned'}, "
            f"wrk core {wrk_core if wrk_core is not None else 'unpinned'})\n"
        )
        step = max(1, math.ceil(len(todo) / max(1, args.rounds)))
        for rnd in range(args.rounds):
            shift = (rnd * step) % max(1, len(todo))
            order = todo[shift:] + todo[:shift]
            say(f"--- round {rnd + 1}/{args.rounds}: " + ", ".join(b.key for b in order))
            for b in order:
                s = servers[b.server]
                if s.proc.poll() is not None:
                    res = {"problem": f"server {s.name} is no longer running (exit {s.proc.returncode})"}
                else:
                    if args.warmup > 0:
                        run_wrk(b, s, args, args.warmup, wrk_core, server_core)
                    res = run_wrk(b, s, args, args.duration, wrk_core, server_core)
                res["round"] = rnd + 1
                b.runs.append(res)
                if "rps" in res:
                    say(
                        f"  {b.key:<28} {res['rps']:>9,.0f} req/s  p50 {res['p50_ms']:6.1f} ms  "
                        f"p99 {res['p99_ms']:7.1f} ms  srv {res['server_cpu_pct']:4.0f}%  wrk {res['wrk_cpu_pct']:3.0f}%"
                        f"  other {res['other_pct']:3.0f}%  busy {res['machine_busy_200']:4.0f}/200"
                        + (f"   !!! {res['problem']}" if res.get("problem") else "")
                    )
                else:
                    say(f"  {b.key:<28} !!! {res.get('problem')}")
    except KeyboardInterrupt:
        say("\ninterrupted: stopping the servers")
        for s in servers.values():
            s.stop()
        return 130
    finally:
        for s in servers.values():
            s.stop()

    summ = {b.key: summarise(b) for b in benches}
    ratios = compute_ratios(summ)
    print_report(summ, ratios, args, meta, notes)

    out = {
        "started_at": started_at,
        "args": vars(args),
        "busy_before_start": busy_before,
        "machine": {
            "nproc": NPROC,
            "platform": platform.platform(),
            "loadavg_at_end": os.getloadavg(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "wrk": tool_version(["wrk", "--version"]),
            "uvicorn": tool_version([PY, "-m", "uvicorn", "--version"]),
            "pinning": {"server_core": server_core, "wrk_core": wrk_core},
        },
        "dataset": {k: v for k, v in meta.items() if k != "deal_columns_filled"},
        "servers": {k: {"cmd": v.cmd, "error": v.error, "log": str(v.log_path)} for k, v in servers.items()},
        "results": summ,
        "ratios": ratios,
        "notes": notes,
    }
    rdir = Path(args.results_dir)
    rdir.mkdir(parents=True, exist_ok=True)
    path = rdir / f"{started_at}.json"
    path.write_text(json.dumps(out, indent=2, default=str))
    (rdir / "latest.json").write_text(json.dumps(out, indent=2, default=str))
    say(f"\nresults written to {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0 if all(s["valid"] for s in summ.values()) else 3


if __name__ == "__main__":
    sys.exit(main())
