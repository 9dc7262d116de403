"""An item's history, from its change events: the v1 changelogs of deals, persons and
organizations (field-level changes, newest first, by cursor) and their flow (the timeline:
the item's own changes with the activities, notes and files attached to it, newest first,
by ``start``/``limit``).
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import to_v2
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.files import FILE
from dealbase.domain.notes import NOTE
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.registry import ENTITIES
from dealbase.events.history import ENTRY_SPAN, changelog_entry, custom_changes, field_changes
from dealbase.store import repository as repo
from dealbase.store.tables import users

handlers = Handlers()

_CURSOR = "changelog"
# The column of activities, notes and files that points at each entity.
_LINK = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}

# -- changelogs ------------------------------------------------------------------------


def changelog(ctx: Ctx, entity: Entity) -> Reply:
    """Field changes of the item, newest first; the cursor is the place after the last
    entry given (an event and the entry within it), so pages never overlap or skip."""
    item = res.load(ctx, entity, ctx.path_id())
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    before, skip = (None, 0)
    if cursor:
        skip, before = decode_cursor(cursor, _CURSOR, "desc", int)
        before += 1  # the event the cursor stopped in is read again, past its first entries
    events = repo.item_events(ctx.conn, ctx.company_id, entity.name, item["id"], before=before)
    data: list[dict[str, Any]] = []
    next_cursor = None
    for event in events:
        if event["action"] == "create":
            continue
        changes = field_changes(entity, event)
        first = skip if cursor and before is not None and event["id"] == before - 1 else 0
        for index in range(first, len(changes)):
            if len(data) == limit:
                next_cursor = encode_cursor(_CURSOR, "desc", index, event["id"])
                break
            data.append(changelog_entry(changes[index], event))
        if next_cursor:
            break
    return ok(data, {"next_cursor": next_cursor})


for _name, _entity in (("deal", DEAL), ("person", PERSON), ("organization", ORGANIZATION)):
    handlers.operation("v1", f"get_{_name}_changelog")(lambda ctx, e=_entity: changelog(ctx, e))


# -- flow ------------------------------------------------------------------------------


def _change_entries(entity: Entity, item_id: int, events: list[dict[str, Any]], custom: bool) -> list[dict[str, Any]]:
    out = []
    for event in events:
        for index, change in enumerate(field_changes(entity, event, custom=custom)):
            data = {
                "id": event["id"] * ENTRY_SPAN + index,
                "item_id": item_id,
                "user_id": event["user_id"],
                "field_key": change["field_key"],
                "old_value": change["old_value"],
                "new_value": change["new_value"],
                "is_bulk_update_flag": bool(event.get("is_bulk_update")),
                "log_time": event["time"],
                "change_source": event["change_source"],
                "change_source_user_agent": event.get("change_source_user_agent"),
                "additional_data": None,
            }
            out.append((event["time"], f"{entity.name}Change", data))
    return out


def _attached(ctx: Ctx, entity: Entity, item_id: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Activities, notes and files of the item, as (timestamp, object, v1 data)."""
    column = _LINK[entity.name]
    out = []
    for kind in (ACTIVITY, NOTE, FILE):
        t = kind.table
        rows = repo.all_rows(
            ctx.conn, t, ctx.company_id, t.c[column] == item_id, t.c.is_deleted.is_(False), order_by=[t.c.id]
        )
        objects, _related = res.render_v1(ctx, kind, rows, refs="plain")
        for row, obj in zip(rows, objects, strict=True):
            if kind is ACTIVITY:
                done = bool(row["done"])
                stamp = (row["marked_as_done_time"] if done else None) or row["add_time"]
                out.append((stamp, "activity" if done else "plannedActivity", obj))
            else:
                out.append((row["add_time"], kind.name, obj))
    return out


def flow(ctx: Ctx, entity: Entity) -> Reply:
    item = res.load(ctx, entity, ctx.path_id())
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    all_changes = ctx.raw("all_changes")
    if all_changes not in (None, "", "0", "1"):
        raise BadRequest("Invalid 'all_changes' parameter: must be 0 or 1")
    wanted = ctx.list_param("items")
    events = repo.item_events(ctx.conn, ctx.company_id, entity.name, item["id"])
    entries = _change_entries(entity, item["id"], events, all_changes == "1") + _attached(ctx, entity, item["id"])
    if wanted:  # ``change`` stands for the item's own changes of every kind
        entries = [e for e in entries if e[1] in wanted or ("change" in wanted and e[1].endswith("Change"))]
    # Newest first; at the same second, the later write (higher id) first.
    entries.sort(key=lambda e: (e[0] or "", e[2].get("id") if isinstance(e[2].get("id"), int) else 0), reverse=True)
    page = entries[start : start + limit + 1]
    more = len(page) > limit
    page = page[:limit]
    data = [{"object": obj, "timestamp": stamp, "data": body} for stamp, obj, body in page]
    pagination = v1_pagination(start, limit, more)
    additional = {"start": start, "limit": limit, "more_items_in_collection": more, "pagination": pagination}
    actors = {e[2].get("user_id") for e in page if isinstance(e[2].get("user_id"), int)}
    related: dict[str, Any] = {}
    user = ENTITIES.get("user")
    if actors and user is not None and user.v1_related is not None:
        found = ctx.rows(users, actors)
        related["user"] = {str(k): v for k, v in user.v1_related(ctx, list(found.values())).items()}
    return ok(data or None, additional, related_objects=related) if related else ok(data or None, additional)


for _name, _entity in (("deal", DEAL), ("person", PERSON), ("organization", ORGANIZATION)):
    handlers.operation("v1", f"get_{_name}_updates")(lambda ctx, e=_entity: flow(ctx, e))


# -- v2 changelogs -----------------------------------------------------------------------


def _v2_value(kind: str, value: Any) -> Any:
    if kind in ("ids", "uuids", "json", "money") and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    if kind == "time":
        return to_v2(value)
    if kind == "bool" and value is not None:
        return bool(value)
    return value


def changelog_v2(ctx: Ctx, entity: Entity) -> Reply:
    """v2: one entry per change of the item, newest first, with the old and new values of
    the fields it changed under their v2 keys (custom fields under ``custom_fields``)."""
    item = res.load(ctx, entity, ctx.path_id())
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    before = decode_cursor(cursor, _CURSOR, "desc", int)[0] if cursor else None
    fields = {f.column: f for f in entity.fields if f.column and f.v2}
    data: list[dict[str, Any]] = []
    next_cursor = None
    for event in repo.item_events(ctx.conn, ctx.company_id, entity.name, item["id"], before=before):
        if event["action"] == "create":
            continue
        old_values: dict[str, Any] = {}
        new_values: dict[str, Any] = {}
        changes = orjson.loads(event["changes"]) if event["changes"] else {}
        for column, pair in changes.items():
            if not isinstance(pair, list) or len(pair) != 2:
                continue
            if column == "custom_fields":
                for key, old, new in custom_changes(pair[0], pair[1]):
                    old_values.setdefault("custom_fields", {})[key] = old
                    new_values.setdefault("custom_fields", {})[key] = new
                continue
            f = fields.get(column)
            if f is None or column in ("id", "update_time"):
                continue
            old_values[f.v2] = _v2_value(f.kind, pair[0])
            new_values[f.v2] = _v2_value(f.kind, pair[1])
        if not new_values:
            continue
        if len(data) == limit:
            next_cursor = encode_cursor(_CURSOR, "desc", data[-1]["_event"], data[-1]["_event"])
            break
        data.append(
            {
                "_event": event["id"],
                "time": to_v2(event["time"]),
                "actor_user_id": event["user_id"],
                "change_source": event["change_source"],
                "change_source_user_agent": event.get("change_source_user_agent"),
                "old_values": old_values,
                "new_values": new_values,
            }
        )
    for entry in data:
        del entry["_event"]
    return ok(data, {"next_cursor": next_cursor})


handlers.operation("v2", "get_project_changelog")(lambda ctx: changelog_v2(ctx, ENTITIES["project"]))
