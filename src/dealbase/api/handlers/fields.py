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
from dealbase.domain.field_defs import by_code, by_id, by_ids, live_rows
from dealbase.domain.fields import (
    OPTION_TYPES,
    SETTINGS,
    SystemField,
    options_deleted,
    row_options,
    row_settings,
    subfields,
    system_fields,
)
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

_V1_COLUMNS = ("id", "key", "name", "order_nr", "field_type", "add_time", "update_time")
_V1_USERS = ("last_updated_by_user_id", "created_by_user_id")
_V1_FLAGS = (
    "details_visible_flag",
    "add_visible_flag",
    "important_flag",
    "bulk_edit_allowed",
    "searchable_flag",
    "filtering_allowed",
    "sortable_flag",
    "mandatory_flag",
)


def _v1_listed(entity: Entity) -> list[SystemField]:
    return [s for s in system_fields(entity) if s.v1 is not None]


def _v1_system(s: SystemField, order_nr: int) -> Row:
    return {
        "id": s.id,
        "key": s.v1,
        "name": s.name,
        "order_nr": order_nr,
        "field_type": s.type_v1,
        "add_time": None,
        "update_time": None,
        "last_updated_by_user_id": None,
        "created_by_user_id": None,
        "active_flag": True,
        "edit_flag": False,
        "index_visible_flag": True,
        "details_visible_flag": True,
        "add_visible_flag": s.writable,
        "important_flag": False,
        "bulk_edit_allowed": s.writable,
        "searchable_flag": s.v1 in ("title", "name", "subject"),
        "filtering_allowed": True,
        "sortable_flag": s.sortable,
        "mandatory_flag": s.required,
        "options": s.options,
    }


def _v1_custom(row: Row) -> Row:
    out = {k: row[k] for k in (*_V1_COLUMNS, *_V1_USERS)}
    out.update(active_flag=not row["is_deleted"], edit_flag=True, index_visible_flag=True)
    out.update({flag: bool(row[flag]) for flag in _V1_FLAGS})
    out["options"] = row_options(row) if row["field_type"] in OPTION_TYPES else None
    if row["field_type"] in OPTION_TYPES:
        out["options_deleted"] = options_deleted(row)
    subs = subfields(row["field_type"])[1:]
    if subs:
        out["subfields"] = [
            {
                "key": f"{row['key']}_{code}",
                "name": name.format(row["name"]),
                "field_type": kind,
                "is_subfield": True,
                "parent_id": row["id"],
                "id_suffix": code,
            }
            for code, name, kind in subs
        ]
    return out


def _v2(name: str, code: str, description: str, field_type: str, options: Any, custom: bool, optional: bool) -> Row:
    # A system field has subfields only when it is an amount with its currency.
    subs = subfields(field_type) if custom or field_type == "monetary" else []
    return {
        "field_name": name,
        "field_code": code,
        # v2 field objects carry the description as a string (deal fields require it): "" for none.
        "description": description,
        "field_type": field_type,
        "options": options,
        "subfields": [{"field_code": c, "field_name": n.format(name), "field_type": t} for c, n, t in subs] or None,
        "is_custom_field": custom,
        "is_optional_response_field": optional,
    }


def _v2_system(s: SystemField, include: frozenset[str]) -> Row:
    # v2 option ids are integers; a system field's choices are its values (v1 lists them).
    out = _v2(s.name, s.v2, "", s.type_v2, None, False, s.optional)  # type: ignore[arg-type]
    if "ui_visibility" in include:
        out["ui_visibility"] = {"add_visible_flag": s.writable, "details_visible_flag": True}
    if "important_fields" in include:
        out["important_fields"] = {"enabled": False, "stage_ids": []}
    if "required_fields" in include:
        out["required_fields"] = {"enabled": s.required, "stage_ids": [], "statuses": {}}
    return out


def _v2_custom(row: Row, include: frozenset[str] = frozenset()) -> Row:
    options = row_options(row) if row["field_type"] in OPTION_TYPES else None
    out = _v2(row["name"], row["key"], row["description"] or "", row["field_type"], options, True, False)
    settings = row_settings(row) if include else {}
    if "ui_visibility" in include:
        out["ui_visibility"] = {
            **settings.get("ui_visibility", {}),
            "add_visible_flag": bool(row["add_visible_flag"]),
            "details_visible_flag": bool(row["details_visible_flag"]),
        }
    if "important_fields" in include:
        important = {"stage_ids": [], **settings.get("important_fields", {})}
        out["important_fields"] = {**important, "enabled": bool(row["important_flag"])}
    if "required_fields" in include:
        required = {"stage_ids": [], "statuses": {}, **settings.get("required_fields", {})}
        out["required_fields"] = {**required, "enabled": bool(row["mandatory_flag"])}
    return out


def _include(ctx: Ctx, entity: Entity) -> frozenset[str]:
    include = frozenset(ctx.list_param("include_fields") or ())
    unknown = include - set(SETTINGS[entity.name])
    if unknown:
        raise BadRequest(f"Invalid 'include_fields' parameter: unknown value(s) {', '.join(sorted(unknown))}")
    return include


# -- reading -----------------------------------------------------------------------------


def list_v1(ctx: Ctx, entity: Entity):
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    items = [_v1_system(s, i + 1) for i, s in enumerate(_v1_listed(entity))]
    items += [_v1_custom(r) for r in live_rows(ctx, entity)]
    page = items[start : start + limit]
    return ok(page or None, {"pagination": v1_pagination(start, limit, len(items) > start + limit)})


def list_v2(ctx: Ctx, entity: Entity):
    include = _include(ctx, entity)
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    start = decode_cursor(cursor, CURSOR_SORT, "asc", int)[1] + 1 if cursor else 0
    items = [_v2_system(s, include) for s in system_fields(entity) if s.v2 is not None]
    items += [_v2_custom(r, include) for r in live_rows(ctx, entity)]
    page = items[start : start + limit]
    last = start + len(page) - 1
    next_cursor = encode_cursor(CURSOR_SORT, "asc", last, last) if len(items) > start + limit else None
    return ok(page, {"next_cursor": next_cursor})


def get_v1(ctx: Ctx, entity: Entity):
    field_id = ctx.path_id()
    for i, s in enumerate(_v1_listed(entity)):
        if s.id == field_id:
            return ok(_v1_system(s, i + 1))
    row = by_id(ctx, entity, field_id)
    if row is None:
        raise _not_found(ctx, entity)
    return ok(_v1_custom(row))


def get_v2(ctx: Ctx, entity: Entity):
    include = _include(ctx, entity)
    code = ctx.path["field_code"]
    system = next((s for s in system_fields(entity) if s.v2 == code), None)
    if system is not None:
        return ok(_v2_system(system, include))
    row = by_code(ctx, entity, code)
    if row is None:
        raise _not_found(ctx, entity)
    return ok(_v2_custom(row, include))


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
    if ctx.strict:
        return ok(_v2_custom(row, _include(ctx, entity)))
    return ok(_v1_custom(row), status=entity.field_created_v1)


def update(ctx: Ctx, entity: Entity):
    row = _target(ctx, entity)
    given = _given(ctx)
    row = field_writes.update(ctx, entity, row, given)
    return ok(_v2_custom(row, frozenset(SETTINGS[entity.name]) & given.sent)) if ctx.strict else ok(_v1_custom(row))


def delete(ctx: Ctx, entity: Entity):
    row = _target(ctx, entity)
    field_writes.delete(ctx, entity, [row])
    return ok(_v2_custom(row)) if ctx.strict else ok({"id": row["id"]})


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
    ("v1", "get_{n}_field", get_v1, False),
    ("v1", "add_{n}_field", add, True),
    ("v1", "update_{n}_field", update, True),
    ("v1", "delete_{n}_field", delete, True),
    ("v1", "delete_{n}_fields", bulk_delete, True),
    ("v2", "get_{n}_fields", list_v2, False),
    ("v2", "get_{n}_field", get_v2, False),
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
