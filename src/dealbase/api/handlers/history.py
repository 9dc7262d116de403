"""An item's history, from its change events (``events/history.py``): the v1 changelogs of
deals, persons and organizations (field-level changes, newest first, by cursor), their flow
(the timeline: the item's own changes with the activities, notes and files attached to it,
newest first, by ``start``/``limit``) and the v2 changelog; and, from ``people_changes``,
the changelogs of followers (v2) and of deal participants (v1).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.paging import cursor_page, decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import to_v2
from dealbase.domain import followers
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.registry import ENTITIES
from dealbase.events import history
from dealbase.store.tables import people_changes, users

handlers = Handlers()

_CURSOR = "changelog"
_WITH_HISTORY = (DEAL, PERSON, ORGANIZATION)


def changelog(ctx: Ctx, entity: Entity) -> Reply:
    """Field changes of the item, newest first; the cursor is the place after the last
    entry given (an event and the entry within it)."""
    item = res.load(ctx, entity, ctx.path_id())
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    start = None
    if cursor:
        index, event_id = decode_cursor(cursor, _CURSOR, "desc", int)
        start = (event_id, index)
    data, place = history.v1_changelog(ctx, entity, item["id"], limit, start)
    next_cursor = encode_cursor(_CURSOR, "desc", place[1], place[0]) if place else None
    return ok(data, {"next_cursor": next_cursor})


def flow(ctx: Ctx, entity: Entity) -> Reply:
    """The item's timeline: its changes, activities, notes and files, newest first."""
    item = res.load(ctx, entity, ctx.path_id())
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    all_changes = ctx.raw("all_changes")
    if all_changes not in (None, "", "0", "1"):
        raise BadRequest("Invalid 'all_changes' parameter: must be 0 or 1")
    wanted = ctx.list_param("items")
    entries = history.flow_changes(ctx, entity, item["id"], custom=all_changes == "1")
    for kind, rows in history.flow_attached(ctx, entity, item["id"]):
        objects, _related = res.render_v1(ctx, kind, rows, refs="plain")
        entries += [(*history.flow_place(kind, row), obj) for row, obj in zip(rows, objects, strict=True)]
    page, more = history.flow_page(entries, wanted, start, limit)
    data = [{"object": obj, "timestamp": stamp, "data": body} for stamp, obj, body in page]
    pagination = v1_pagination(start, limit, more)
    additional = {"start": start, "limit": limit, "more_items_in_collection": more, "pagination": pagination}
    actors = {e[2].get("user_id") for e in page if isinstance(e[2].get("user_id"), int)}
    user = ENTITIES.get("user")
    if not actors or user is None or user.v1_related is None:
        return ok(data or None, additional)
    found = ctx.rows(users, actors)
    related: dict[str, Any] = {"user": {str(k): v for k, v in user.v1_related(ctx, list(found.values())).items()}}
    return ok(data or None, additional, related_objects=related)


def changelog_v2(ctx: Ctx, entity: Entity) -> Reply:
    """v2: one entry per change of the item, newest first, with the old and new values of
    the fields it changed under their v2 keys (custom fields under ``custom_fields``)."""
    item = res.load(ctx, entity, ctx.path_id())
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    before = decode_cursor(cursor, _CURSOR, "desc", int)[0] if cursor else None
    data, last = history.v2_changelog(ctx, entity, item["id"], limit, before)
    return ok(data, {"next_cursor": encode_cursor(_CURSOR, "desc", last, last) if last is not None else None})


def people_changelog(ctx: Ctx, entity: Entity, kind: str) -> Reply:
    """Who started and stopped following the item (``kind`` "follower") or taking part in
    the deal ("participant"), newest first, by cursor (``domain/followers.py: history``)."""
    item = res.load(ctx, entity, ctx.path_id())
    c = people_changes.c
    where = [c.kind == kind, c.object_type == entity.name, c.object_id == item["id"]]
    rows, next_cursor = cursor_page(ctx, people_changes, where, newest_first=True)
    shown = followers.CHANGELOGS[kind].items()
    items = [{key: to_v2(r[col]) if ctx.strict and col == "time" else r[col] for key, col in shown} for r in rows]
    return ok(items, {"next_cursor": next_cursor})


handlers.per_entity("v1", "get_{name}_changelog", _WITH_HISTORY, changelog)
handlers.per_entity("v1", "get_{name}_updates", _WITH_HISTORY, flow)
handlers.operation("v2", "get_project_changelog")(lambda ctx: changelog_v2(ctx, ENTITIES["project"]))
handlers.per_entity(
    "v2", "get_{name}_followers_changelog", followers.followed_entities(), partial(people_changelog, kind="follower")
)
handlers.operation("v1", "get_deal_participants_changelog")(lambda ctx: people_changelog(ctx, DEAL, "participant"))
