"""The fields APIs of every entity with custom fields (deals, persons, organizations,
products), v1 and v2: one binding per operation kind over ``domain/field_writes.py``.

A list holds the entity's system fields (derived from its declaration, ``edit_flag``
false / ``is_custom_field`` false) and then the company's live custom fields. v1 knows a
field by its numeric ``id`` and ``key``; v2 by ``field_code`` (the same key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, BadRequest, NotFound
from dealbase.api.operations import OPERATIONS
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import field_writes
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.entity import Entity
from dealbase.domain.field_defs import Definition, by_ids, definition, find, listed
from dealbase.domain.fields import SETTINGS, subfields
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Input

handlers = Handlers()

Row = dict[str, Any]
CURSOR_SORT = "order"


def _not_found(ctx: Ctx, entity: Entity) -> ApiError:
    if not ctx.strict and entity.field_gone_v1:
        return ApiError("The field is not found", 410)
    return NotFound("Field not found")


# -- presenting --------------------------------------------------------------------------


def _v1(d: Definition) -> Row:
    out = {"id": d.id, "key": d.key, "name": d.name, "order_nr": d.order_nr, "field_type": d.type_v1, **d.stamps}
    out.update(active_flag=d.active, edit_flag=d.custom, index_visible_flag=True, **d.flags, options=d.options)
    if d.options_deleted is not None:
        out["options_deleted"] = d.options_deleted
    subs = subfields(d.type_v1)[1:] if d.custom else []
    if subs:
        out["subfields"] = [
            {
                "key": f"{d.key}_{code}",
                "name": name.format(d.name),
                "field_type": kind,
                "is_subfield": True,
                "parent_id": d.id,
                "id_suffix": code,
            }
            for code, name, kind in subs
        ]
    return out


def _v2(d: Definition, include: frozenset[str] = frozenset()) -> Row:
    # A system field has subfields only when it is an amount with its currency.
    subs = subfields(d.type_v2) if d.custom or d.type_v2 == "monetary" else []
    return {
        "field_name": d.name,
        "field_code": d.code,
        # v2 field objects carry the description as a string (deal fields require it): "" for none.
        "description": d.description,
        "field_type": d.type_v2,
        # v2 option ids are integers; a system field's choices are its values (v1 lists them).
        "options": d.options if d.custom else None,
        "subfields": [{"field_code": c, "field_name": n.format(d.name), "field_type": t} for c, n, t in subs] or None,
        "is_custom_field": d.custom,
        "is_optional_response_field": d.optional,
        **d.v2_settings(include),
    }


def _include(ctx: Ctx, entity: Entity) -> frozenset[str]:
    """v2's ``include_fields``: the settings objects to show (v1 takes none)."""
    if not ctx.strict:
        return frozenset()
    include = frozenset(ctx.list_param("include_fields") or ())
    unknown = include - set(SETTINGS[entity.name])
    if unknown:
        raise BadRequest(f"Invalid 'include_fields' parameter: unknown value(s) {', '.join(sorted(unknown))}")
    return include


def _shown(ctx: Ctx, d: Definition, include: frozenset[str] = frozenset()) -> Row:
    return _v2(d, include) if ctx.strict else _v1(d)


# -- reading -----------------------------------------------------------------------------


def list_v1(ctx: Ctx, entity: Entity):
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    items = [_v1(d) for d in listed(ctx, entity, "v1")]
    page = items[start : start + limit]
    return ok(page or None, {"pagination": v1_pagination(start, limit, len(items) > start + limit)})


def list_v2(ctx: Ctx, entity: Entity):
    include = _include(ctx, entity)
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    start = decode_cursor(cursor, CURSOR_SORT, "asc", int)[1] + 1 if cursor else 0
    items = [_v2(d, include) for d in listed(ctx, entity, "v2")]
    page = items[start : start + limit]
    last = start + len(page) - 1
    next_cursor = encode_cursor(CURSOR_SORT, "asc", last, last) if len(items) > start + limit else None
    return ok(page, {"next_cursor": next_cursor})


def get_field(ctx: Ctx, entity: Entity):
    """One field, system or custom: v1 by id, v2 by code."""
    include = _include(ctx, entity)
    found = find(ctx, entity, ctx.path["field_code"] if ctx.strict else ctx.path_id())
    if found is None:
        raise _not_found(ctx, entity)
    return ok(_shown(ctx, found, include))


# -- writing -----------------------------------------------------------------------------


def _given(ctx: Ctx) -> Input:
    if not isinstance(ctx.body, dict):
        raise BadRequest("The request body must be a JSON object")
    return Input({}, own=ctx.body, sent=frozenset(ctx.body), api=ctx.api)


def _target(ctx: Ctx, entity: Entity) -> Row:
    """The custom field the path names (v1 by id, v2 by code)."""
    row = field_writes.target(ctx, entity, ctx.path["field_code"] if ctx.strict else ctx.path_id())
    if row is None:
        raise _not_found(ctx, entity)
    return row


def add(ctx: Ctx, entity: Entity):
    row = field_writes.create(ctx, entity, _given(ctx))
    status = 200 if ctx.strict else entity.field_created_v1
    return ok(_shown(ctx, definition(row), _include(ctx, entity)), status=status)


def update(ctx: Ctx, entity: Entity):
    row = _target(ctx, entity)
    given = _given(ctx)
    row = field_writes.update(ctx, entity, row, given)
    return ok(_shown(ctx, definition(row), frozenset(SETTINGS[entity.name]) & given.sent))


def delete(ctx: Ctx, entity: Entity):
    row = _target(ctx, entity)
    field_writes.delete(ctx, entity, [row])
    return ok(_v2(definition(row))) if ctx.strict else ok({"id": row["id"]})


def bulk_delete(ctx: Ctx, entity: Entity):
    ids = ctx.ids_param("ids", maximum=500)
    if not ids:
        raise BadRequest("Validation failed: ids: is required")
    ids = list(dict.fromkeys(ids))
    rows = by_ids(ctx, entity, ids)
    if None in rows:
        raise _not_found(ctx, entity)
    field_writes.delete(ctx, entity, rows)  # type: ignore[arg-type]
    return ok({"id": ids})


def _options(write: Callable[..., list[Row]]) -> Callable[[Ctx, Entity], Any]:
    """A v2 options operation: the body (an array of options) written to the path's field."""
    return lambda ctx, entity: ok(write(ctx, entity, _target(ctx, entity), ctx.body), additional_data=None)


# -- routes ------------------------------------------------------------------------------

# (api, operation name with {n} for the entity, handler, writes?)
ROUTES = (
    ("v1", "get_{n}_fields", list_v1, False),
    ("v1", "get_{n}_field", get_field, False),
    ("v1", "add_{n}_field", add, True),
    ("v1", "update_{n}_field", update, True),
    ("v1", "delete_{n}_field", delete, True),
    ("v1", "delete_{n}_fields", bulk_delete, True),
    ("v2", "get_{n}_fields", list_v2, False),
    ("v2", "get_{n}_field", get_field, False),
    ("v2", "add_{n}_field", add, True),
    ("v2", "update_{n}_field", update, True),
    ("v2", "delete_{n}_field", delete, True),
    ("v2", "add_{n}_field_options", _options(field_writes.add_options), True),
    ("v2", "update_{n}_field_options", _options(field_writes.update_options), True),
    ("v2", "delete_{n}_field_options", _options(field_writes.delete_options), True),
)


# Activities have system fields only: the fields APIs there just read (those Pipedrive has).
READ_ONLY = (ACTIVITY,)
KNOWN = {(api, name) for api, _method, _path, name in OPERATIONS}


def _register() -> None:
    # Entities with custom fields of their own (leads use the deals'), and the read-only lists.
    custom = [e for e in ENTITIES.values() if e.has_custom_fields and e.fields_of is None]
    for entity in (*custom, *READ_ONLY):
        for api, name, handler, writes in ROUTES:
            key = (api, name.format(n=entity.name))
            if key not in KNOWN or (entity in READ_ONLY and writes):
                continue
            handlers.operation(*key, write=writes)(lambda ctx, h=handler, e=entity: h(ctx, e))


_register()
