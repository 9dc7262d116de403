"""The generic operations every entity shares: list, get, add, update, delete.

Handlers for a family are made by binding these to an entity (see ``api/handlers``).
The entity's declaration says what is particular to it; this module does the rest the
same way for all: parse the request into the write service's input (``api/inputs.py:
read``), call the service (``domain/service.py``), and present in the caller's version.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table

from dealbase.api import bookmarks, present
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import read
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination, v1_window
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import field_defs, service, visibility
from dealbase.domain.entity import Entity, V1Refs
from dealbase.domain.ids import parse_uuid
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo

Row = dict[str, Any]


def not_found(entity: Entity) -> NotFound:
    return NotFound(f"{entity.label} not found")


# -- reading ---------------------------------------------------------------------------


def path_key(ctx: Ctx, entity: Entity, name: str = "id") -> int | str:
    """The row id a path names, of the entity's id kind.

    A malformed UUID is a 400 in v2; v1 answers it as an id it does not know (404).
    """
    if entity.id_kind == "int":
        return ctx.path_id(name)
    if not ctx.strict and parse_uuid(ctx.path[name]) is None:
        raise not_found(entity)
    return ctx.path_uuid(name)


def load(ctx: Ctx, entity: Entity, row_id: int | str, *, alive: bool = False) -> Row:
    """The row, or a 404. ``alive``: a deleted row counts as missing (writes)."""
    row = field_defs.get_row(ctx, entity, row_id, visibility.where(ctx, entity))
    if row is None or (alive and row.get("is_deleted")):
        raise not_found(entity)
    return row


def load_child(ctx: Ctx, entity: Entity, name: str) -> tuple[Row, Row]:
    """A write's row of a child collection (a deal's products) and its parent: the live
    parent the path's ``id`` names, and the row the path's ``name`` names under it (by its
    ``Entity.link``); a 404 for either missing."""
    parent = load(ctx, ENTITIES[entity.parent], ctx.path_id(), alive=True)
    row_id = ctx.path_id(name) if entity.id_kind == "int" else ctx.path[name]
    row = repo.get(ctx.conn, entity.table, ctx.company_id, row_id)
    if row is None or row[entity.link] != parent["id"]:
        raise not_found(entity)
    return parent, row


def v1_refs(ctx: Ctx, entity: Entity, rows: Sequence[Row]) -> dict[str, dict[int, dict[str, Any]]]:
    """Compact objects for every user / person / organization the rows point at. One the
    caller may not see shows only its id and name: what the pointing item already shows of
    it (a deal's ``person_name``, ``org_name``), never its own fields (e-mails, phones, owner,
    address)."""
    wanted: dict[str, set[int]] = {}
    for f in entity.fields:
        target = ENTITIES.get(f.ref) if f.ref is not None else None
        if target is not None and f.column is not None and target.v1_related is not None:
            ids = wanted.setdefault(f.ref, set())
            ids.update(row[f.column] for row in rows if row[f.column] is not None)
    refs: dict[str, dict[int, dict[str, Any]]] = {}
    for name, ids in wanted.items():
        target = ENTITIES[name]
        found = ctx.rows(target.table, ids)
        refs[name] = objects = target.v1_related(ctx, list(found.values()))
        for hidden in visibility.unseen(ctx, target, objects):
            objects[hidden] = {"id": hidden, "name": objects[hidden].get("name")}
    return refs


def related_objects(refs: dict[str, dict[int, dict[str, Any]]]) -> dict[str, Any]:
    return {name: {str(i): obj for i, obj in objs.items()} for name, objs in refs.items() if objs}


def render_v1(
    ctx: Ctx, entity: Entity, rows: Sequence[Row], refs: V1Refs | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """v1 objects and their ``related_objects``, references shown as ``refs`` says (default:
    the entity's ``v1_refs``)."""
    mode = refs or entity.v1_refs
    found = v1_refs(ctx, entity, rows) if mode != "plain" else {}
    objects = present.inflated(found) if mode == "inflate" else {}
    fields = field_defs.defs(ctx, entity)
    items = [present.v1(entity, row, objects, fields) for row in rows]
    if entity.v1_extra is not None and items:
        entity.v1_extra(ctx, rows, items)
    return items, related_objects(found)


def render_v2(ctx: Ctx, entity: Entity, rows: Sequence[Row]) -> list[dict[str, Any]]:
    include = frozenset(ctx.list_param("include_fields") or ())
    unknown = include.difference(entity.include_v2)
    if unknown:
        raise BadRequest(f"Invalid 'include_fields' parameter: unknown field(s) {', '.join(sorted(unknown))}")
    wanted = ctx.list_param("custom_fields", maximum=15)
    custom_keys = frozenset(wanted) if wanted is not None else None
    fields = field_defs.defs(ctx, entity)
    labels = bool(ctx.bool_param("include_option_labels")) if entity.has_custom_fields else False
    items = [present.v2(entity, row, include, custom_keys, fields, labels) for row in rows]
    if entity.v2_extra is not None and items:
        entity.v2_extra(ctx, rows, items, include)
    return items


def reply_one(ctx: Ctx, entity: Entity, row: Row, status: int = 200) -> Reply:
    if ctx.strict:
        return ok(render_v2(ctx, entity, [row])[0], status=status)
    items, related = render_v1(ctx, entity, [row])
    return ok(items[0], related_objects=related, status=status) if related else ok(items[0], status=status)


def get_one(ctx: Ctx, entity: Entity) -> Reply:
    row = load(ctx, entity, path_key(ctx, entity), alive=not entity.deleted_readable)
    return reply_one(ctx, entity, row)


# -- lists -----------------------------------------------------------------------------


def updated_filters(ctx: Ctx, table: Table) -> list[ColumnElement]:
    """``updated_since`` (inclusive) and ``updated_until`` (exclusive) on ``update_time``."""
    since, until = ctx.time_param("updated_since"), ctx.time_param("updated_until")
    where = [table.c.update_time >= since] if since else []
    return where + ([table.c.update_time < until] if until else [])


# How v1 collections (``/<items>/collection``) name the date-times they take.
COLLECTION_TIME = "a date-time (YYYY-MM-DD HH:MM:SS)"


def since_until(ctx: Ctx, table: Table) -> list[ColumnElement]:
    """v1 collections: ``since`` and ``until`` (both inclusive) on ``update_time``."""
    since, until = ctx.time_param("since", COLLECTION_TIME), ctx.time_param("until", COLLECTION_TIME)
    where = [table.c.update_time >= since] if since else []
    return where + ([table.c.update_time <= until] if until else [])


def ids_filter(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    ids = ctx.ids_param("ids", maximum=100)
    return [entity.table.c.id.in_(ids)] if ids is not None else []


def saved_filter(ctx: Ctx, entity: Entity) -> list[ColumnElement] | None:
    """``filter_id``: the saved filter's conditions as where-clauses (None without one); 404
    for a filter that is not a live one of the caller's company for this entity."""
    if not ctx.raw("filter_id"):
        return None
    from dealbase.api import saved_filters

    return saved_filters.where(ctx, entity, ctx.int_param("filter_id", minimum=1))


def list_v2(
    ctx: Ctx, entity: Entity, where: list[ColumnElement], *, limit_max: int = 500, sorts: tuple[str, ...] | None = None
) -> Reply:
    """A v2 list page: keyset over (sort_by, id), opaque cursor. ``sorts``: this list's own
    ``sort_by`` choices, when they are not the entity's."""
    sort = ctx.choice_param("sort_by", sorts or entity.sort_v2, "id")
    direction = ctx.choice_param("sort_direction", ("asc", "desc"), "asc")
    limit = ctx.page_limit(100, limit_max)
    after = None
    cursor = ctx.raw("cursor")
    if cursor:
        kind = int if isinstance(entity.table.c[sort].type, Integer) else str
        after = decode_cursor(cursor, sort, direction, kind)
    rows = repo.list_keyset(ctx.conn, entity.table, ctx.company_id, where, sort, direction == "desc", after, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort, direction, last[sort], last["id"])
    return ok(render_v2(ctx, entity, rows), {"next_cursor": next_cursor})


def v1_sort(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    """v1 ``sort=field DIR, field DIR``, whitelisted per entity."""
    raw = ctx.raw("sort")
    table = entity.table
    order: list[ColumnElement] = []
    if raw:
        for part in raw.split(","):
            words = part.split()
            if not words:
                continue
            if len(words) > 2 or words[0] not in entity.sort_v1:
                raise BadRequest(f"Invalid 'sort' parameter: cannot sort by '{part.strip()}'")
            direction = words[1].upper() if len(words) == 2 else "ASC"
            if direction not in ("ASC", "DESC"):
                raise BadRequest(f"Invalid 'sort' parameter: direction must be ASC or DESC in '{part.strip()}'")
            col = table.c[words[0]]
            order.append(col.desc() if direction == "DESC" else col.asc())
    if not any(getattr(o, "element", None) is table.c.id for o in order):
        order.append(table.c.id.asc())
    return order


def list_v1(
    ctx: Ctx,
    entity: Entity,
    where: list[ColumnElement],
    *,
    limit_max: int = 500,
    refs: V1Refs | None = None,
    additional: dict[str, Any] | None = None,
) -> Reply:
    """A v1 list page: ``start``/``limit``, ``additional_data.pagination``, ``data: null`` when empty.

    ``refs``: how references are shown, when not as the entity's ``v1_refs`` says;
    ``additional``: more keys of ``additional_data`` (before ``pagination``).
    """
    start, limit = v1_window(ctx, limit_max)
    order = v1_sort(ctx, entity)
    by_id = not ctx.raw("sort")
    marks = bookmarks.of(ctx) if by_id else None
    version = from_id = key = None
    if marks is not None:
        version = repo.change_version(ctx.conn, ctx.company_id)
        key = bookmarks.query_key(ctx, start)
        if start > 0:
            from_id = marks.get(key, version)
    rows = repo.list_offset(ctx.conn, entity.table, ctx.company_id, where, order, start, limit + 1, from_id)
    more = len(rows) > limit
    if marks is not None and rows:
        marks.put(key, version, rows[0]["id"])
        if more:
            marks.put(bookmarks.query_key(ctx, start + limit), version, rows[limit]["id"])
    rows = rows[:limit]
    items, related = render_v1(ctx, entity, rows, refs)
    extra = {"related_objects": related} if related else {}
    return ok(items or None, {**(additional or {}), "pagination": v1_pagination(start, limit, more)}, **extra)


# -- writing ---------------------------------------------------------------------------


def add(ctx: Ctx, entity: Entity, also: Row | None = None) -> Reply:
    """Create a row from the body; ``also``: values the handler adds (what it made of an
    upload, the note a comment is on)."""
    given = read(ctx, entity)
    given.values.update(also or {})
    row = service.create(ctx, entity, given)
    return reply_one(ctx, entity, row, status=entity.created_v2 if ctx.strict else entity.created_v1)


def update(ctx: Ctx, entity: Entity, old: Row | None = None) -> Reply:
    """Update the row the path names (or ``old``, for rows a path names otherwise)."""
    if old is None:
        old = load(ctx, entity, path_key(ctx, entity), alive=True)
    return reply_one(ctx, entity, service.update(ctx, entity, old, read(ctx, entity, old)))


def delete(ctx: Ctx, entity: Entity) -> Reply:
    row = load(ctx, entity, path_key(ctx, entity), alive=True)
    service.delete(ctx, entity, row)
    return ok({"id": row["id"]})


def bulk_delete(ctx: Ctx, entity: Entity) -> Reply:
    """v1 ``DELETE /<items>?ids=1,2``: all or nothing."""
    ids = ctx.ids_param("ids", maximum=500)
    if not ids:
        raise BadRequest("Validation failed: ids: is required")
    seen = visibility.where(ctx, entity)
    if seen:  # deals the caller may not see are missing ones
        found = repo.all_rows(ctx.conn, entity.table, ctx.company_id, entity.table.c.id.in_(ids), *seen)
        rows = {r["id"]: r for r in found}
    else:
        rows = repo.get_many(ctx.conn, entity.table, ctx.company_id, ids)
    if any(rows.get(i) is None or rows[i].get("is_deleted") for i in ids):
        raise not_found(entity)
    service.bulk_delete(ctx, entity, [rows[i] for i in dict.fromkeys(ids)])
    return ok({"id": list(dict.fromkeys(ids))})


# -- binding ---------------------------------------------------------------------------

# The generic operations a handler module binds by name: (function, writes).
CRUD = {"get": (get_one, False), "add": (add, True), "update": (update, True), "delete": (delete, True)}


def bind(handlers: Handlers, entity: Entity, *apis: str, ops: Sequence[str] = tuple(CRUD)) -> None:
    """Handle the generic ``get_<name>``, ``add_<name>``, ``update_<name>`` and
    ``delete_<name>`` operations (or those of ``ops``) of the entity in each of ``apis``."""
    for api in apis:
        for op in ops:
            handler, write = CRUD[op]
            handlers.operation(api, f"{op}_{entity.name}", write=write)(lambda ctx, h=handler: h(ctx, entity))


# -- child collections -------------------------------------------------------------------


def add_child(ctx: Ctx, entity: Entity) -> Reply:
    """A new row of a child collection under the live parent the path's ``id`` names."""
    parent = load(ctx, ENTITIES[entity.parent], ctx.path_id(), alive=True)
    return add(ctx, entity, also={entity.link: parent["id"]})


def update_child(ctx: Ctx, entity: Entity, key: str) -> Reply:
    return update(ctx, entity, load_child(ctx, entity, key)[1])


def delete_child(ctx: Ctx, entity: Entity, key: str) -> Reply:
    _, row = load_child(ctx, entity, key)
    service.delete(ctx, entity, row)
    return ok({"id": row["id"]})


# The generic operations of a child collection: (function, writes, takes the row's path key).
CHILD_CRUD = {
    "add": (add_child, True, False),
    "update": (update_child, True, True),
    "delete": (delete_child, True, True),
}


def bind_children(handlers: Handlers, entity: Entity, api: str, key: str, **names: str) -> None:
    """Handle a child collection's generic operations (``Entity.parent`` and ``link``) in
    ``api``, each named by its operation (``add=``, ``update=``, ``delete=``); ``key``: the
    path parameter naming one row under the parent. Their lists are declared
    (``Entity.lists``, ``api/lists.py``)."""
    for op, name in names.items():
        handler, write, keyed = CHILD_CRUD[op]
        args = (key,) if keyed else ()
        handlers.operation(api, name, write=write)(lambda ctx, h=handler, a=args: h(ctx, entity, *a))
