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
             ``GET /v1/deals?limit=100&start=N``: the classic v1 list done the shortest way:
             one ``OFFSET`` select, the referenced users / persons / organizations read with
             ``IN`` lists, each deal built in the v1 shape (references inflated, names,
             weighted and formatted values, custom fields flat) with ``related_objects``
             and the pagination block. The floor cost of the v1 work, which is not the v2
             work: about twice the bytes and three more reads.

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

from dealbase.domain.counters import counter_fields  # noqa: E402
from dealbase.domain.deals import V1_NOTHING_YET  # noqa: E402  (the v1 keys for what no deal has yet)

# Stored counters (activities, notes, …): read from the row like any column.
COUNTERS = [f.column for f in counter_fields(deal=True) if f.v1]
from dealbase.store.tables import ADDRESS_PARTS  # noqa: E402

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
        self.sql_v1 = (
            "SELECT * FROM deals WHERE company_id = 1 AND is_deleted = 0 AND is_archived = 0 "
            "ORDER BY id LIMIT ? OFFSET ?"
        )
        self.field_plan = _field_plan(_field_types(con))
        self.con = con


def _select_in(con: sqlite3.Connection, table: str, ids) -> dict[int, dict]:
    ids = list({i for i in ids if i is not None})
    if not ids:
        return {}
    cur = con.execute(f"SELECT * FROM {table} WHERE id IN ({','.join('?' * len(ids))})", ids)
    names = [d[0] for d in cur.description]
    return {r[0]: dict(zip(names, r)) for r in cur.fetchall()}


_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def _money(value, code: str) -> str:
    return (
        f"{_SYMBOL.get(code, code + ' ')}{value:,.0f}"
        if float(value).is_integer()
        else f"{_SYMBOL.get(code, code + ' ')}{value:,.2f}"
    )


def _field_types(con: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(con.execute("SELECT key, field_type FROM fields WHERE entity_type = 'deal' AND is_deleted = 0"))
    except sqlite3.OperationalError:  # no fields table: blobs are spread as they are
        return {}


def _v1_custom(item: dict, values: dict) -> None:
    """v1's flat custom keys: subfields beside their field (monetary, daterange, address)."""
    plain, special = floor.field_plan
    if not plain and not special:
        item.update(values)
        return
    get = values.get
    for key in plain:
        item[key] = get(key)
    for key, t, subkeys in special:
        v = get(key)
        if v is None:
            item[key] = None
            for sub in subkeys:
                item[sub] = None
        elif t == "monetary":
            item[key], item[subkeys[0]] = v["value"], v["currency"]
        elif t == "daterange":
            item[key], item[subkeys[0]] = v["value"], v["until"]
        elif t == "address":
            item[key] = v["value"]
            for sub, part in zip(subkeys, ADDRESS_PARTS):
                item[sub] = v.get(part)
        elif t == "enum":
            item[key] = str(v)
        else:  # set
            item[key] = ",".join(map(str, v))


def _field_plan(types: dict[str, str]) -> tuple[list[str], list[tuple[str, str, tuple[str, ...]]]]:
    plain, special = [], []
    for key, t in types.items():
        if t == "monetary":
            special.append((key, t, (key + "_currency",)))
        elif t == "daterange":
            special.append((key, t, (key + "_until",)))
        elif t == "address":
            special.append((key, t, tuple(f"{key}_{p}" for p in ADDRESS_PARTS)))
        elif t in ("enum", "set"):
            special.append((key, t, ()))
        else:
            plain.append(key)
    return plain, special


def _v1_deals(con: sqlite3.Connection, limit: int, start: int) -> dict:
    cur = con.execute(floor.sql_v1, (limit + 1, start))
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r)) for r in cur.fetchall()]
    more = len(rows) > limit
    rows = rows[:limit]
    users = _select_in(con, "users", [r["owner_id"] for r in rows] + [r["creator_user_id"] for r in rows])
    people = _select_in(con, "persons", [r["person_id"] for r in rows])
    orgs = _select_in(con, "organizations", [r["org_id"] for r in rows])
    stages = _select_in(con, "stages", [r["stage_id"] for r in rows])
    counts = {}
    if orgs:
        q = f"SELECT org_id, count(*) FROM persons WHERE org_id IN ({','.join('?' * len(orgs))}) AND is_deleted = 0 GROUP BY org_id"
        counts = dict(con.execute(q, list(orgs)).fetchall())
    u = {
        i: {"id": i, "name": r["name"], "email": r["email"], "has_pic": 0, "pic_hash": None, "active_flag": True}
        for i, r in users.items()
    }
    p = {}
    for i, r in people.items():
        emails = [
            {"label": e["label"], "value": e["value"], "primary": e["primary"]}
            for e in orjson.loads(r["emails"] or "[]")
        ] or [{"value": "", "primary": True}]
        phones = [
            {"label": e["label"], "value": e["value"], "primary": e["primary"]}
            for e in orjson.loads(r["phones"] or "[]")
        ] or [{"value": "", "primary": True}]
        p[i] = {
            "active_flag": True,
            "id": i,
            "name": r["name"],
            "email": emails,
            "phone": phones,
            "owner_id": r["owner_id"],
        }
    o = {
        i: {
            "id": i,
            "name": r["name"],
            "people_count": counts.get(i, 0),
            "owner_id": r["owner_id"],
            "address": r["address"],
            "active_flag": True,
            "cc_email": "acme@pipedrivemail.com",
        }
        for i, r in orgs.items()
    }
    data = []
    for r in rows:
        owner, creator = u.get(r["owner_id"]), u.get(r["creator_user_id"])
        person, org = p.get(r["person_id"]), o.get(r["org_id"])
        labels = orjson.loads(r["label_ids"]) if r["label_ids"] else []
        value = r["value"]
        weighted = (
            value if r["status"] == "won" else 0 if r["status"] == "lost" else value * (r["probability"] or 100) / 100
        )
        item = {
            "id": r["id"],
            "title": r["title"],
            "creator_user_id": {**creator, "has_pic": False, "value": creator["id"]} if creator else None,
            "user_id": {**owner, "has_pic": False, "value": owner["id"]} if owner else None,
            "person_id": {**person, "value": person["id"]} if person else None,
            "org_id": {**org, "value": org["id"]} if org else None,
            "pipeline_id": r["pipeline_id"],
            "stage_id": r["stage_id"],
            "value": value,
            "currency": r["currency"],
            "add_time": r["add_time"],
            "update_time": r["update_time"],
            "stage_change_time": r["stage_change_time"],
            "is_archived": False,
            "status": r["status"],
            "probability": r["probability"],
            "lost_reason": r["lost_reason"],
            "visible_to": str(r["visible_to"]),
            "close_time": r["close_time"],
            "won_time": r["won_time"],
            "first_won_time": r["first_won_time"],
            "lost_time": r["lost_time"],
            "expected_close_date": r["expected_close_date"],
            "label": ",".join(map(str, labels)) or None,
            "origin": r["origin"],
            "origin_id": r["origin_id"],
            "channel": r["channel"],
            "channel_id": r["channel_id"],
            "active": r["status"] == "open",
            "deleted": False,
            "stage_order_nr": stages[r["stage_id"]]["order_nr"],
            "person_name": person["name"] if person else None,
            "org_name": org["name"] if org else None,
            "owner_name": owner["name"] if owner else None,
            "formatted_value": _money(value, r["currency"]),
            "weighted_value": weighted,
            "formatted_weighted_value": _money(weighted, r["currency"]),
            "weighted_value_currency": r["currency"],
            "cc_email": f"acme+deal{r['id']}@pipedrivemail.com",
            **{k: r[k] for k in COUNTERS},
            **V1_NOTHING_YET,
        }
        if r["custom_fields"]:
            _v1_custom(item, orjson.loads(r["custom_fields"]))
        data.append(item)
    pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return {
        "success": True,
        "data": data or None,
        "additional_data": {"pagination": pagination},
        "related_objects": {
            "user": {str(k): v for k, v in u.items()},
            "person": {str(k): v for k, v in p.items()},
            "organization": {str(k): v for k, v in o.items()},
        },
    }


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


async def floor_list_v1(request: Request) -> Response:
    if not _authorised(request):
        return _json(_UNAUTH, 401)
    q = request.query_params
    try:
        limit = min(int(q.get("limit", 100)), 500)
        start = int(q.get("start", 0))
    except ValueError:
        return _json(orjson.dumps({"success": False, "error": "bad parameter", "errorCode": 400}), 400)
    return _json(orjson.dumps(_v1_deals(floor.con, limit, start)))


@contextlib.asynccontextmanager
async def _floor_lifespan(app):
    floor.open()
    yield
    floor.con.close()


floor_app = Starlette(
    routes=[
        Route("/api/v2/deals/{id:int}", floor_get),
        Route("/api/v2/deals", floor_list),
        Route("/v1/deals", floor_list_v1),
    ],
    lifespan=_floor_lifespan,
)
