"""``GET /v1/recents``: every item changed since a moment, as its current v1 object.

Fed by the change events: an item is listed once, at the place of its first change event
at or after ``since_timestamp``, so pages stay where they are while writes go on (a later
change of an item already listed does not move it; new items come at the end). ``data``
is the item as it is now, references as plain ids (how Pipedrive's recents give them); a
deleted item shows as the v1 object of the deleted row. A user's ``data`` is an array
holding its ``GET /v1/users/{id}`` object, as in Pipedrive's v1 change feeds (webhooks too).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.handlers.users import present_user
from dealbase.api.paging import v1_pagination
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo

handlers = Handlers()

# ``items`` values → the entity names their change events are recorded under.
ITEMS = {
    "activity": "activity",
    "activityType": "activity_type",
    "deal": "deal",
    "file": "file",
    "filter": "filter",
    "note": "note",
    "person": "person",
    "organization": "organization",
    "pipeline": "pipeline",
    "product": "product",
    "stage": "stage",
    "user": "user",
    "lead": "lead",
}
NAMES = {entity: item for item, entity in ITEMS.items()}
# References are plain ids in every recents object. The v1 spec draws an organization's
# ``owner_id`` there as an object, but the service answers a number: ETL taps built on
# recents (tap-pipedrive's organizations schema, revised against it in 2025) type it so.
# Items whose recents object gives ``visible_to`` as a number (the others as text).
NUMERIC_VISIBILITY = {"product"}
_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\Z", re.ASCII)


def since_param(ctx: Ctx) -> str:
    raw = (ctx.raw("since_timestamp") or "").strip()
    if not raw:
        raise BadRequest("Invalid 'since_timestamp' parameter: it is required")
    try:
        if not _STAMP.match(raw):
            raise ValueError(raw)
        datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError as exc:
        raise BadRequest("Invalid 'since_timestamp' parameter: must be a UTC time as YYYY-MM-DD HH:MM:SS") from exc
    return raw


def items_param(ctx: Ctx) -> list[str]:
    """The entity names asked for (all built ones when ``items`` is not given)."""
    wanted = ctx.list_param("items")
    if not wanted:
        return [name for name in ITEMS.values() if name in ENTITIES]
    unknown = [w for w in wanted if w not in ITEMS]
    if unknown:
        raise BadRequest(f"Invalid 'items' parameter: unknown item(s) {', '.join(unknown)}")
    return [ITEMS[w] for w in dict.fromkeys(wanted) if ITEMS[w] in ENTITIES]


def current_objects(ctx: Ctx, keys: list[tuple[str, Any]]) -> dict[tuple[str, Any], Any]:
    """The v1 objects of (entity, id) pairs, read once per entity (a user's in an array)."""
    by_entity: dict[str, list[Any]] = defaultdict(list)
    for name, item_id in keys:
        by_entity[name].append(item_id)
    out: dict[tuple[str, Any], Any] = {}
    for name, ids in by_entity.items():
        entity = ENTITIES[name]
        rows = repo.get_many(ctx.conn, entity.table, ctx.company_id, ids)
        present = [rows[i] for i in ids if i in rows]
        if name == "user":
            # ETL readers of recents take ``data[0]`` (Airbyte's ``data.*.data.*``, tap-pipedrive).
            out.update({(name, row["id"]): [present_user(ctx, row)] for row in present})
            continue
        objects, _related = res.render_v1(ctx, entity, present, refs="plain")
        for row, obj in zip(present, objects, strict=True):
            if name in NUMERIC_VISIBILITY and isinstance(obj.get("visible_to"), str):
                obj["visible_to"] = int(obj["visible_to"])
            out[(name, row["id"])] = obj
    return out


@handlers.operation("v1", "get_recents")
def get_recents(ctx: Ctx) -> Reply:
    since = since_param(ctx)
    entities = items_param(ctx)
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    rows = repo.recent_items(ctx.conn, ctx.company_id, since, entities, start, limit + 1) if entities else []
    more = len(rows) > limit
    rows = rows[:limit]
    keys = [(r["entity"], r["entity_uuid"] if r["entity_id"] is None else r["entity_id"]) for r in rows]
    objects = current_objects(ctx, keys)
    data = []
    for key in keys:
        obj = objects.get(key)
        if obj is None:  # the row itself is gone: only its id is left to show
            obj = {"id": key[1], "active_flag": False}
        data.append({"item": NAMES[key[0]], "id": key[1], "data": obj})
    additional: dict[str, Any] = {"since_timestamp": since}
    if rows:
        additional["last_timestamp_on_page"] = max(r["last_time"] for r in rows)
    additional["pagination"] = v1_pagination(start, limit, more)
    return ok(data or None, additional)
