"""Baseline servers measured in the same run as dealbase (see README.md).

Run with uvicorn (uvloop + httptools, ``--no-access-log``) from the bench directory:

    uvicorn --app-dir bench baselines:fixed_app ...
    BENCH_DB=/path/to/deals.db uvicorn --app-dir bench baselines:floor_app ...

fixed_app  — no database: ``GET /api/v2/deals/{id}`` returns one pre-built ~2 KB v2 deal and
             ``GET /api/v2/deals`` a pre-built list of 100 deals; ``orjson.dumps`` per request.
             The ceiling of the server stack.
floor_app  — the least work a real endpoint can do on the same database file, with plain
             ``sqlite3`` + orjson, run inline in ``async def`` (one connection per process):
             ``GET /api/v2/deals/{id}``: primary-key select, build the v2 dict, dump;
             ``GET /api/v2/deals?limit=100[&cursor=<id>]``: keyset
             ``WHERE id > ? ORDER BY id LIMIT ?``; ``next_cursor`` is the last id.
             ``BENCH_FLOOR_FRAGMENT=1`` passes stored JSON through as ``orjson.Fragment``
             instead of parsing it (a lower floor; not the default).

Both answer 401 without the ``x-api-token`` header when ``BENCH_TOKEN`` is set, like dealbase.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import sys
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parent))
import deals as dealgen  # noqa: E402

TOKEN = os.environ.get("BENCH_TOKEN")
JSON = "application/json"
_UNAUTH = orjson.dumps({"success": False, "error": "unauthorized access", "errorCode": 401})


def _authorised(request: Request) -> bool:
    return TOKEN is None or request.headers.get("x-api-token") == TOKEN


def _json(body: bytes, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type=JSON)


# ---------------------------------------------------------------------------------------
# fixed


def _fixed_deals(n: int) -> list[dict]:
    rng = random.Random(7)
    ctx = dealgen.Context()
    return [dealgen.v2_from_row_dict(i, dealgen.make_deal(rng, ctx)) for i in range(1, n + 1)]


_FIXED = _fixed_deals(100)
_FIXED_ONE = {"success": True, "data": _FIXED[0]}
_FIXED_LIST = {"success": True, "data": _FIXED, "additional_data": {"next_cursor": "100"}}


async def fixed_get(request: Request) -> Response:
    if not _authorised(request):
        return _json(_UNAUTH, 401)
    return _json(orjson.dumps(_FIXED_ONE))


async def fixed_list(request: Request) -> Response:
    if not _authorised(request):
        return _json(_UNAUTH, 401)
    return _json(orjson.dumps(_FIXED_LIST))


fixed_app = Starlette(
    routes=[
        Route("/api/v2/deals/{id:int}", fixed_get),
        Route("/api/v2/deals", fixed_list),
    ]
)


# ---------------------------------------------------------------------------------------
# floor


class _Floor:
    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None

    def open(self) -> None:
        path = os.environ["BENCH_DB"]
        con = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        con.execute("PRAGMA query_only = 1")
        con.execute("PRAGMA cache_size = -65536")
        present = {r[1] for r in con.execute("PRAGMA table_info(deals)")}
        cols = tuple(c for c in dealgen.V2_COLUMNS if c in present)
        self.render = dealgen.make_v2_renderer(cols, fragment=os.environ.get("BENCH_FLOOR_FRAGMENT") == "1")
        sel = ", ".join(cols)
        self.sql_get = f"SELECT {sel} FROM deals WHERE id = ?"
        self.sql_list = f"SELECT {sel} FROM deals WHERE id > ? ORDER BY id LIMIT ?"
        self.con = con


floor = _Floor()


async def floor_get(request: Request) -> Response:
    if not _authorised(request):
        return _json(_UNAUTH, 401)
    row = floor.con.execute(floor.sql_get, (request.path_params["id"],)).fetchone()
    if row is None:
        return _json(orjson.dumps({"success": False, "error": "Deal not found", "errorCode": 404}), 404)
    return _json(orjson.dumps({"success": True, "data": floor.render(row)}))


async def floor_list(request: Request) -> Response:
    if not _authorised(request):
        return _json(_UNAUTH, 401)
    q = request.query_params
    try:
        limit = min(int(q.get("limit", 100)), 500)
        after = int(q.get("cursor", 0))
    except ValueError:
        return _json(orjson.dumps({"success": False, "error": "bad parameter", "errorCode": 400}), 400)
    rows = floor.con.execute(floor.sql_list, (after, limit)).fetchall()
    render = floor.render
    data = [render(r) for r in rows]
    nxt = str(rows[-1][0]) if len(rows) == limit else None
    return _json(orjson.dumps({"success": True, "data": data, "additional_data": {"next_cursor": nxt}}))


@contextlib.asynccontextmanager
async def _floor_lifespan(app):
    floor.open()
    yield
    floor.con.close()


floor_app = Starlette(
    routes=[
        Route("/api/v2/deals/{id:int}", floor_get),
        Route("/api/v2/deals", floor_list),
    ],
    lifespan=_floor_lifespan,
)
