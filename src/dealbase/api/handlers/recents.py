"""``GET /v1/recents``: every item changed since a moment, as its current v1 object.

Which items, in what order: ``events/recents.py``. ``data`` is the item as it is now,
references as plain ids (how Pipedrive's recents give them); a deleted item shows as the v1
object of the deleted row. A user's ``data`` is an array holding its ``GET /v1/users/{id}``
object, as in Pipedrive's v1 change feeds (webhooks too).
"""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.handlers.users import present_users
from dealbase.api.paging import v1_pagination
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain.registry import ENTITIES
from dealbase.events import recents

handlers = Handlers()

# References are plain ids in every recents object. The v1 spec draws an organization's
# ``owner_id`` there as an object, but the service answers a number: ETL taps built on
# recents (tap-pipedrive's organizations schema, revised against it in 2025) type it so.
# Items whose recents object gives ``visible_to`` as a number (the others as text).
NUMERIC_VISIBILITY = {"product"}


def current_objects(ctx: Ctx, rows_by_entity: dict[str, list[dict[str, Any]]]) -> dict[tuple[str, Any], Any]:
    """The v1 objects of the rows by (entity, id) (a user's in an array)."""
    out: dict[tuple[str, Any], Any] = {}
    for name, rows in rows_by_entity.items():
        if name == "user":
            # ETL readers of recents take ``data[0]`` (Airbyte's ``data.*.data.*``, tap-pipedrive).
            out.update({(name, row["id"]): [shown] for row, shown in zip(rows, present_users(ctx, rows), strict=True)})
            continue
        objects, _related = res.render_v1(ctx, ENTITIES[name], rows, refs="plain")
        for row, obj in zip(rows, objects, strict=True):
            if name in NUMERIC_VISIBILITY and isinstance(obj.get("visible_to"), str):
                obj["visible_to"] = int(obj["visible_to"])
            out[(name, row["id"])] = obj
    return out


@handlers.operation("v1", "get_recents")
def get_recents(ctx: Ctx) -> Reply:
    since = recents.since(ctx.raw("since_timestamp"))
    names = recents.entities(ctx.list_param("items"))
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    items, more = recents.page(ctx, since, names, start, limit)
    objects = current_objects(ctx, recents.current_rows(ctx, items))
    data = []
    for item in items:
        obj = objects.get((item["entity"], item["key"]))
        if obj is None:  # the row itself is gone: only its id is left to show
            obj = {"id": item["key"], "active_flag": False}
        data.append({"item": recents.NAMES[item["entity"]], "id": item["key"], "data": obj})
    additional: dict[str, Any] = {"since_timestamp": since}
    if items:
        additional["last_timestamp_on_page"] = max(i["last_time"] for i in items)
    additional["pagination"] = v1_pagination(start, limit, more)
    return ok(data or None, additional)
