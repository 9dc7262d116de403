"""Build (once, cached) the benchmark's SQLite database: N deals in dealbase's own schema.

    python bench/dataset.py [--deals 100000] [--force]

Steps:

1. Schema plus the company, admin user and API token that dealbase creates on first start.
   The first of these that works is used:
   a. dealbase's own code, as ``dealbase serve`` runs it on start:
      ``dealbase.store.db.migrate`` then ``dealbase.bootstrap.ensure_company`` (with the
      bench token as ``api_token``); other likely bootstrap names are tried if that moves;
   b. ``python -m dealbase serve`` started once on the empty file with
      ``DEALBASE_API_TOKEN`` set, stopped as soon as it answers;
   c. provisional: ``dealbase.store.tables.metadata.create_all`` plus our own company, user
      and token rows (only while the server cannot start yet).
2. Bulk rows with plain ``sqlite3`` ``executemany`` (commit every 10k): a few more users,
   a pipeline with six stages (or the one the bootstrap made), organizations, persons, and
   N deals from ``deals.py``; deal custom field definitions if a fields table exists.
3. ``wal_checkpoint(TRUNCATE)``; a JSON sidecar records token, ids and build stats.

The cache key hashes this builder, ``deals.py`` and dealbase's storage/bootstrap sources,
so a schema change rebuilds the file; stale files are removed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
SRC = REPO / "src" / "dealbase"
CACHE = BENCH_DIR / ".cache"
BUILD_VERSION = 3
BENCH_TOKEN = "b3nchb3nchb3nchb3nchb3nchb3nchb3nch0001"  # 40 chars, like a Pipedrive token
SEED = 20261123
N_EXTRA_USERS = 5
N_ORGS = 1000
N_PERSONS = 5000
BATCH = 10_000

sys.path.insert(0, str(BENCH_DIR))
import deals as dealgen  # noqa: E402

from dealbase.store.tables import ADDRESS_PARTS  # noqa: E402


def log(msg: str) -> None:
    print(f"[dataset] {msg}", flush=True)


def now_text() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


# ---------------------------------------------------------------------------------------
# cache key


def _source_files() -> list[Path]:
    files = [BENCH_DIR / "dataset.py", BENCH_DIR / "deals.py"]
    if SRC.is_dir():
        store = SRC / "store"
        if store.is_dir():
            files += sorted(p for p in store.rglob("*") if p.is_file() and p.suffix in (".py", ".ini", ".sql"))
        for p in sorted(SRC.rglob("*.py")):
            if "bootstrap" in p.name or p.name in ("cli.py", "settings.py"):
                files.append(p)
    return files


def cache_key(n: int) -> str:
    h = hashlib.sha256(f"v{BUILD_VERSION}:{n}".encode())
    for p in _source_files():
        if "__pycache__" in p.parts:
            continue
        h.update(str(p.relative_to(REPO)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


# ---------------------------------------------------------------------------------------
# step 1: schema + first-start rows


def _venv_python() -> str:
    cand = REPO / ".venv" / "bin" / "python"
    return str(cand) if cand.exists() else sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_supported() -> tuple[bool, str]:
    """Whether ``python -m dealbase serve --help`` works; returns (ok, help text)."""
    try:
        p = subprocess.run(
            [_venv_python(), "-m", "dealbase", "serve", "--help"], cwd=REPO, capture_output=True, text=True, timeout=60
        )
    except Exception as e:  # noqa: BLE001
        return False, str(e)
    out = p.stdout + p.stderr
    return p.returncode == 0 and "--database-url" in out, out


def _bootstrap_via_function(db_path: Path, token: str) -> str | None:
    """Call dealbase's bootstrap function if one is published. Returns a description."""
    try:
        sys.path.insert(0, str(REPO / "src"))
        import importlib

        try:  # what `dealbase serve` does on start: migrate, then ensure_company
            from dealbase.bootstrap import ensure_company
            from dealbase.settings import Settings
            from dealbase.store.db import create_db_engine, migrate

            url = f"sqlite:///{db_path}"
            migrate(url)
            engine = create_db_engine(url)
            try:
                ensure_company(engine, Settings(database_url=url, api_token=token))
            finally:
                engine.dispose()
            return "dealbase.store.db.migrate + dealbase.bootstrap.ensure_company (as `serve` does)"
        except ImportError:
            pass
        for modname, fname in (
            ("dealbase.store.bootstrap", "bootstrap"),
            ("dealbase.store.bootstrap", "first_start"),
            ("dealbase.store.bootstrap", "ensure_bootstrapped"),
            ("dealbase.bootstrap", "bootstrap"),
            ("dealbase.store", "bootstrap"),
        ):
            try:
                mod = importlib.import_module(modname)
            except ImportError:
                continue
            fn = getattr(mod, fname, None)
            if fn is None:
                continue
            return _call_bootstrap(fn, db_path, token, f"{modname}.{fname}")
    except Exception as e:  # noqa: BLE001
        log(f"bootstrap function failed ({e!r}); trying the server")
    return None


def _call_bootstrap(fn, db_path: Path, token: str, name: str) -> str | None:
    """Adapter for the published bootstrap function (signature read from the code)."""
    import inspect

    os.environ["DEALBASE_API_TOKEN"] = token
    url = f"sqlite:///{db_path}"
    params = inspect.signature(fn).parameters
    kwargs = {}
    if "database_url" in params:
        kwargs["database_url"] = url
    if "url" in params:
        kwargs["url"] = url
    if "api_token" in params:
        kwargs["api_token"] = token
    if "token" in params:
        kwargs["token"] = token
    if "engine" in params:
        from sqlalchemy import create_engine

        kwargs["engine"] = create_engine(url)
    if "settings" in params:
        from dealbase.settings import Settings

        kwargs["settings"] = Settings(database_url=url, api_token=token)
    missing = [
        p
        for p, v in params.items()
        if v.default is inspect.Parameter.empty and v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD) and p not in kwargs
    ]
    if missing:
        log(f"{name}{inspect.signature(fn)}: cannot fill {missing}; skipping it")
        return None
    fn(**kwargs)
    return f"function {name}"


def _bootstrap_via_serve(db_path: Path, token: str) -> str | None:
    ok, _ = serve_supported()
    if not ok:
        return None
    port = free_port()
    env = dict(os.environ, DEALBASE_API_TOKEN=token, DEALBASE_LOG_LEVEL="warning")
    logf = open(CACHE / "bootstrap-serve.log", "w")
    proc = subprocess.Popen(
        [
            _venv_python(),
            "-m",
            "dealbase",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--database-url",
            f"sqlite:///{db_path}",
        ],
        cwd=REPO,
        env=env,
        stdout=logf,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            if proc.poll() is not None:
                log(f"dealbase serve exited with {proc.returncode} during bootstrap; see {logf.name}")
                return None
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/api/v2/deals?limit=1", headers={"x-api-token": token}
                )
                with urllib.request.urlopen(req, timeout=2) as r:
                    r.read()
                    return "dealbase serve (first start)"
            except urllib.error.HTTPError as e:
                # Answering at all means the first start has finished.
                log(f"bootstrap server answered {e.code}; continuing")
                return f"dealbase serve (first start, answered {e.code})"
            except OSError:
                time.sleep(0.3)
        log("dealbase serve did not answer within 90 s during bootstrap")
        return None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        logf.close()


def _bootstrap_provisional(db_path: Path, token: str) -> str:
    """Schema from dealbase.store.tables plus first-start rows written by us."""
    sys.path.insert(0, str(REPO / "src"))
    from sqlalchemy import create_engine

    from dealbase.store import tables

    url = f"sqlite:///{db_path}"
    schema = "metadata.create_all"
    try:  # the server's own migrations, so that it accepts the file later
        from dealbase.store.db import migrate

        migrate(url)
        schema = "dealbase.store.db.migrate"
    except ImportError:
        engine = create_engine(url)
        tables.metadata.create_all(engine)
        engine.dispose()
    con = sqlite3.connect(db_path)
    t = now_text()
    ins = Inserter(con)
    company_id = ins.one("companies", {"name": "dealbase", "domain": "dealbase", "plan": "lite", "add_time": t})
    user_id = ins.one(
        "users",
        {
            "company_id": company_id,
            "name": "Admin",
            "email": "admin@dealbase.local",
            "is_admin": 1,
            "active_flag": 1,
            "created": t,
            "modified": t,
        },
    )
    ins.one("api_tokens", {"token": token, "user_id": user_id, "company_id": company_id, "add_time": t})
    con.commit()
    con.close()
    return f"provisional ({schema} + own first-start rows)"


# ---------------------------------------------------------------------------------------
# step 2: bulk rows


class Inserter:
    """Inserts into whatever columns the live schema has; checks required columns."""

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self._cols: dict[str, list[tuple]] = {}

    def columns(self, table: str) -> list[tuple]:
        if table not in self._cols:
            self._cols[table] = self.con.execute(f"PRAGMA table_info({table})").fetchall()
        return self._cols[table]

    def has_table(self, table: str) -> bool:
        return bool(self.columns(table))

    def prepare(self, table: str, names: list[str]) -> tuple[str, list[str]]:
        info = self.columns(table)
        if not info:
            raise RuntimeError(f"table {table!r} does not exist in the bootstrapped schema")
        existing = {r[1] for r in info}
        use = [n for n in names if n in existing]
        # cid, name, type, notnull, dflt_value, pk
        required = [r[1] for r in info if r[3] and r[4] is None and not r[5]]
        missing = [c for c in required if c not in use]
        if missing:
            raise RuntimeError(f"{table}: the schema requires columns the builder does not fill: {missing}")
        sql = f"INSERT INTO {table} ({', '.join(use)}) VALUES ({', '.join('?' * len(use))})"
        return sql, use

    def one(self, table: str, row: dict) -> int:
        sql, use = self.prepare(table, list(row))
        cur = self.con.execute(sql, [row[c] for c in use])
        return cur.lastrowid

    def many(self, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        sql, use = self.prepare(table, list(rows[0]))
        self.con.executemany(sql, [tuple(r[c] for c in use) for r in rows])


def _first_start_ids(con: sqlite3.Connection, token: str) -> tuple[str, int, int]:
    row = con.execute("SELECT token, user_id, company_id FROM api_tokens WHERE token = ?", (token,)).fetchone()
    if row is None:
        row = con.execute("SELECT token, user_id, company_id FROM api_tokens ORDER BY rowid LIMIT 1").fetchone()
        if row is None:
            raise RuntimeError("bootstrap created no API token")
        log("the server did not take DEALBASE_API_TOKEN; using the token it created")
    return row[0], row[1], row[2]


def populate(db_path: Path, n: int, token: str) -> dict:
    con = sqlite3.connect(db_path)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    ins = Inserter(con)
    token, admin_id, company_id = _first_start_ids(con, token)
    rng = random.Random(SEED)
    t = now_text()

    # users
    user_ids = [admin_id]
    for _ in range(N_EXTRA_USERS):
        first, last = dealgen.person_name(rng)
        user_ids.append(
            ins.one(
                "users",
                {
                    "company_id": company_id,
                    "name": f"{first} {last}",
                    "email": f"{first.lower()}.{last.lower()}@dealbase.local".encode("ascii", "ignore").decode(),
                    "is_admin": 0,
                    "active_flag": 1,
                    "default_currency": "USD",
                    "created": t,
                    "modified": t,
                },
            )
        )

    # pipeline + stages (reuse the bootstrap's if it made one)
    pipe = con.execute(
        "SELECT id FROM pipelines WHERE company_id = ? AND is_deleted = 0 ORDER BY id LIMIT 1", (company_id,)
    ).fetchone()
    stages: list[tuple[int, int]] = []
    if pipe:
        pipeline_id = pipe[0]
        stages = [
            tuple(r)
            for r in con.execute(
                "SELECT id, deal_probability FROM stages WHERE pipeline_id = ? AND is_deleted = 0 ORDER BY order_nr, id",
                (pipeline_id,),
            )
        ]
    else:
        pipeline_id = ins.one(
            "pipelines",
            {
                "company_id": company_id,
                "name": "Sales pipeline",
                "order_nr": 1,
                "is_deal_probability_enabled": 1,
                "is_deleted": 0,
                "add_time": t,
                "update_time": t,
            },
        )
    if not stages:
        for i, (name, prob) in enumerate(dealgen.STAGES, 1):
            sid = ins.one(
                "stages",
                {
                    "company_id": company_id,
                    "pipeline_id": pipeline_id,
                    "name": name,
                    "order_nr": i,
                    "deal_probability": prob,
                    "is_deal_rot_enabled": 0,
                    "is_deleted": 0,
                    "add_time": t,
                    "update_time": t,
                },
            )
            stages.append((sid, prob))

    # organizations
    org_rows = []
    for _ in range(N_ORGS):
        a = dealgen.address(rng)
        add_ts = dealgen.EPOCH_2023 + rng.randrange(dealgen.SPAN)
        row = {
            "company_id": company_id,
            "name": dealgen.org_name(rng),
            "owner_id": rng.choice(user_ids),
            "visible_to": 3,
            "label_ids": "[]",
            "address": a["value"],
            **{f"address_{k}": a[k] for k in ADDRESS_PARTS},
            "custom_fields": "{}",
            "is_deleted": 0,
            "add_time": dealgen._fmt(add_ts),
            "update_time": dealgen._fmt(add_ts + 86400),
        }
        org_rows.append(row)
    first_org = (con.execute("SELECT COALESCE(MAX(id), 0) FROM organizations").fetchone()[0]) + 1
    ins.many("organizations", org_rows)
    org_ids = [
        r[0]
        for r in con.execute(
            "SELECT id FROM organizations WHERE company_id = ? AND id >= ? ORDER BY id", (company_id, first_org)
        )
    ]

    # persons
    person_rows = []
    for _ in range(N_PERSONS):
        first, last = dealgen.person_name(rng)
        org_id = rng.choice(org_ids) if rng.random() < 0.8 else None
        mail = f"{first}.{last}".lower().encode("ascii", "ignore").decode()
        add_ts = dealgen.EPOCH_2023 + rng.randrange(dealgen.SPAN)
        person_rows.append(
            {
                "company_id": company_id,
                "name": f"{first} {last}",
                "first_name": first,
                "last_name": last,
                "owner_id": rng.choice(user_ids),
                "org_id": org_id,
                "emails": orjson.dumps([{"value": f"{mail}@example.com", "primary": True, "label": "work"}]).decode(),
                "phones": orjson.dumps(
                    [{"value": f"+372 5{rng.randint(100000, 9999999)}", "primary": True, "label": "mobile"}]
                ).decode(),
                "visible_to": 3,
                "label_ids": "[]",
                "custom_fields": "{}",
                "is_deleted": 0,
                "add_time": dealgen._fmt(add_ts),
                "update_time": dealgen._fmt(add_ts + 3600),
            }
        )
    first_person = (con.execute("SELECT COALESCE(MAX(id), 0) FROM persons").fetchone()[0]) + 1
    ins.many("persons", person_rows)
    person_org = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT id, org_id FROM persons WHERE company_id = ? AND id >= ?", (company_id, first_person)
        )
    }
    con.commit()

    ctx = dealgen.Context(
        company_id=company_id,
        user_ids=user_ids,
        pipeline_id=pipeline_id,
        stages=stages,
        person_ids=sorted(person_org),
        person_org=person_org,
        org_ids=org_ids,
    )
    fields_note = _insert_field_definitions(con, ins, ctx, t)

    # deals
    sql, use = ins.prepare("deals", list(dealgen.DEAL_COLUMNS))
    skipped = [c for c in dealgen.DEAL_COLUMNS if c not in use]
    if skipped:
        log(f"deals table has no columns {skipped}; not filled")
    first_deal = (con.execute("SELECT COALESCE(MAX(id), 0) FROM deals").fetchone()[0]) + 1
    t0 = time.perf_counter()
    insert_s = 0.0
    done = 0
    make = dealgen.make_deal
    while done < n:
        k = min(BATCH, n - done)
        batch = []
        for _ in range(k):
            d = make(rng, ctx)
            batch.append(tuple(d[c] for c in use))
        ti = time.perf_counter()
        con.executemany(sql, batch)
        con.commit()
        insert_s += time.perf_counter() - ti
        done += k
        if done % 50_000 == 0 or done == n:
            log(f"  {done:,} deals")
    total_s = time.perf_counter() - t0
    lo, hi, cnt = con.execute("SELECT MIN(id), MAX(id), COUNT(*) FROM deals WHERE id >= ?", (first_deal,)).fetchone()
    search_note = _fill_search_index(con, ins, company_id)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return {
        "token": token,
        "company_id": company_id,
        "admin_user_id": admin_id,
        "user_ids": user_ids,
        "pipeline_id": pipeline_id,
        "stage_ids": [s for s, _ in stages],
        "orgs": len(org_ids),
        "persons": len(person_org),
        "deals": cnt,
        "deal_id_min": lo,
        "deal_id_max": hi,
        "deal_ids_contiguous": (hi - lo + 1) == cnt,
        "deal_columns_filled": use,
        "custom_fields_note": fields_note,
        "search_index_note": search_note,
        "insert_seconds": round(insert_s, 2),
        "insert_rows_per_s": round(n / insert_s) if insert_s else None,
        "generate_and_insert_seconds": round(total_s, 2),
    }


def _insert_field_definitions(con, ins: Inserter, ctx, t: str) -> str:
    """Deal custom field definitions, when the schema has a fields table (adapted on sight)."""
    for table in ("fields", "custom_fields", "field_definitions"):
        if ins.has_table(table):
            cols = {r[1] for r in ins.columns(table)}
            return _insert_fields_into(con, ins, table, cols, ctx, t)
    return "no fields table in the schema: custom_fields blobs only"


def _insert_fields_into(con, ins: Inserter, table: str, cols: set[str], ctx, t: str) -> str:
    rows = []
    for i, (key, name, ftype) in enumerate(ctx.field_keys, 1):
        opts = dealgen.FIELD_OPTIONS.get(name)
        options = [{"id": j, "label": lab} for j, lab in enumerate(opts, 1)] if opts else None
        cand = {
            "company_id": ctx.company_id,
            "entity": "deal",
            "entity_type": "deal",
            "item_type": "deal",
            "key": key,
            "field_code": key,
            "field_key": key,
            "name": name,
            "field_name": name,
            "field_type": ftype,
            "type": ftype,
            "options": orjson.dumps(options).decode() if options else None,
            "order_nr": 100 + i,
            "is_custom_field": 1,
            "is_custom": 1,
            "edit_flag": 1,
            "active_flag": 1,
            "is_deleted": 0,
            "mandatory_flag": 0,
            "add_time": t,
            "update_time": t,
        }
        rows.append({k: v for k, v in cand.items() if k in cols})
    try:
        ins.many(table, rows)
        con.commit()
        return f"{len(rows)} definitions in {table} (columns {sorted(rows[0])})"
    except Exception as e:  # noqa: BLE001
        con.rollback()
        log(f"could not insert field definitions into {table}: {e}")
        return f"field definitions NOT inserted into {table}: {e}"


def _fill_search_index(con, ins: Inserter, company_id: int) -> str:
    """The search rows (``search_items``, migration 0011) dealbase's write hooks would have
    written for the organizations, persons and deals above; the SQLite triggers fill FTS5."""
    if not ins.has_table("search_items"):
        return "no search_items table in the schema"
    from dealbase.domain.search import SEARCHABLE_TYPES, document
    from dealbase.store.repository import SEARCH_COLUMNS

    keys = [
        key
        for key, field_type in con.execute(
            "SELECT key, field_type FROM fields WHERE company_id = ? AND entity_type = 'deal' AND is_deleted = 0",
            (company_id,),
        )
        if field_type in SEARCHABLE_TYPES
    ]
    columns = ("title_key", *SEARCH_COLUMNS)
    sql = (
        f"INSERT INTO search_items (company_id, item_type, item_id, {', '.join(columns)}) "
        f"VALUES ({', '.join('?' * (3 + len(columns)))})"
    )
    t0 = time.perf_counter()
    total = 0
    for item_type, table in (("organization", "organizations"), ("person", "persons"), ("deal", "deals")):
        last = 0
        while True:
            cur = con.execute(
                f"SELECT * FROM {table} WHERE company_id = ? AND is_deleted = 0 AND id > ? ORDER BY id LIMIT ?",
                (company_id, last, BATCH),
            )
            names = [d[0] for d in cur.description]
            rows = [dict(zip(names, r)) for r in cur.fetchall()]
            if not rows:
                break
            batch = []
            for row in rows:
                doc = document(item_type, row, [], keys if item_type == "deal" else [])
                batch.append((company_id, item_type, row["id"], *(doc[c] for c in columns)))
            con.executemany(sql, batch)
            con.commit()
            last = rows[-1]["id"]
            total += len(rows)
    log(f"  {total:,} search rows in {time.perf_counter() - t0:.1f} s")
    return f"{total} search rows ({len(keys)} searchable deal custom fields)"


# ---------------------------------------------------------------------------------------


def build(n: int = 100_000, force: bool = False, bootstrap: str = "auto") -> dict:
    """Return the metadata of a cached database with ``n`` deals, building it if needed."""
    CACHE.mkdir(parents=True, exist_ok=True)
    key = cache_key(n)
    db = CACHE / f"deals-{n}-{key}.db"
    meta_path = db.with_suffix(".json")
    if not force and db.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("complete"):
            log(f"cached: {db.name} ({meta['deals']:,} deals, bootstrap: {meta['bootstrap']})")
            return meta
    for old in CACHE.glob("deals-*.db*"):
        old.unlink()
    for old in CACHE.glob("deals-*.json"):
        old.unlink()
    tmp = CACHE / f"building-{key}.db"
    for p in CACHE.glob(f"building-{key}.db*"):
        p.unlink()
    log(f"building {n:,} deals into {db.name}")
    t0 = time.perf_counter()
    how = None
    if bootstrap in ("auto", "function"):
        how = _bootstrap_via_function(tmp, BENCH_TOKEN)
    if how is None and bootstrap in ("auto", "serve"):
        how = _bootstrap_via_serve(tmp, BENCH_TOKEN)
    if how is None:
        if bootstrap not in ("auto", "provisional"):
            raise RuntimeError(f"bootstrap {bootstrap!r} failed")
        for p in CACHE.glob(f"building-{key}.db*"):
            p.unlink()
        how = _bootstrap_provisional(tmp, BENCH_TOKEN)
    log(f"schema and first-start rows: {how}")
    stats = populate(tmp, n, BENCH_TOKEN)
    for suffix in ("-wal", "-shm"):
        p = Path(str(tmp) + suffix)
        if p.exists():
            p.unlink()
    shutil.move(tmp, db)
    meta = {
        "complete": True,
        "db_path": str(db),
        "database_url": f"sqlite:///{db}",
        "key": key,
        "bootstrap": how,
        "built_at": now_text(),
        "build_seconds": round(time.perf_counter() - t0, 1),
        "size_bytes": db.stat().st_size,
        **stats,
    }
    meta_path.write_text(json.dumps(meta, indent=2))
    log(
        f"built in {meta['build_seconds']} s: {meta['deals']:,} deals, {meta['size_bytes'] / 1e6:.0f} MB, "
        f"insert {meta['insert_rows_per_s']:,} rows/s"
    )
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--deals", type=int, default=100_000)
    ap.add_argument("--force", action="store_true", help="rebuild even if cached")
    ap.add_argument("--bootstrap", choices=("auto", "function", "serve", "provisional"), default="auto")
    a = ap.parse_args()
    meta = build(a.deals, a.force, a.bootstrap)
    print(json.dumps({k: v for k, v in meta.items() if k != "deal_columns_filled"}, indent=2))


if __name__ == "__main__":
    main()
