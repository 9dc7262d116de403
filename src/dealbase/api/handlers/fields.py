"""The fields APIs of every entity with custom fields (deals, persons, organizations,
products), v1 and v2, one implementation.

A list holds the entity's system fields (derived from its declaration, ``edit_flag``
false / ``is_custom_field`` false) and then the company's live custom fields. v1 knows a
field by its numeric ``id`` and ``key``; v2 by ``field_code`` (the same key).
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import custom
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, BadRequest, NotFound
from dealbase.api.operations import OPERATIONS
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.clock import now
from dealbase.domain import search_index
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.entity import Entity
from dealbase.domain.fields import (
    CUSTOM_TYPES,
    FIELD_ENTITY,
    MAX_NAME,
    MAX_OPTIONS,
    OPTION_TYPES,
    SETTINGS,
    SystemField,
    conform,
    dialogs_ordered,
    new_key,
    option_labels,
    options_deleted,
    subfields,
    system_fields,
)
from dealbase.domain.registry import ENTITIES
from dealbase.domain.search import SEARCHABLE_TYPES
from dealbase.events.changes import record_create, record_delete, record_update
from dealbase.store import repository as repo
from dealbase.store.tables import fields as table

handlers = Handlers()

Row = dict[str, Any]
CURSOR_SORT = "order"


def _not_found(ctx: Ctx | None = None, entity: Entity | None = None) -> ApiError:
    if ctx is not None and entity is not None and not ctx.strict and entity.field_gone_v1:
        return ApiError("The field is not found", 410)
    return NotFound("Field not found")


# -- reading -----------------------------------------------------------------------------


def _live_rows(ctx: Ctx, entity: Entity) -> list[Row]:
    return repo.live_fields(ctx.conn, ctx.company_id, entity.custom_type)


def _row_by_id(ctx: Ctx, entity: Entity, field_id: int) -> Row | None:
    row = repo.get(ctx.conn, table, ctx.company_id, field_id)
    if row is None or row["entity_type"] != entity.name or row["is_deleted"]:
        return None
    return row


def _row_by_code(ctx: Ctx, entity: Entity, code: str) -> Row | None:
    row = repo.first(ctx.conn, table, ctx.company_id, table.c.key == code)
    if row is None or row["entity_type"] != entity.name or row["is_deleted"]:
        return None
    return row


def _system_by_v2(entity: Entity, code: str) -> SystemField | None:
    return next((s for s in system_fields(entity) if s.v2 == code), None)


def _options(row: Row) -> list[dict[str, Any]]:
    return orjson.loads(row["options"]) if row["options"] else []


def _settings(row: Row) -> dict[str, Any]:
    return orjson.loads(row["settings"]) if row["settings"] else {}


# -- presenting --------------------------------------------------------------------------

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


def _v1_system(s: SystemField, order_nr: int) -> dict[str, Any]:
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


def _v1_custom(row: Row) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "key": row["key"],
        "name": row["name"],
        "order_nr": row["order_nr"],
        "field_type": row["field_type"],
        "add_time": row["add_time"],
        "update_time": row["update_time"],
        "last_updated_by_user_id": row["last_updated_by_user_id"],
        "created_by_user_id": row["created_by_user_id"],
        "active_flag": not row["is_deleted"],
        "edit_flag": True,
        "index_visible_flag": True,
        **{flag: bool(row[flag]) for flag in _V1_FLAGS},
        "options": _options(row) if row["field_type"] in OPTION_TYPES else None,
    }
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


def _v2_subfields(field_type: str, name: str) -> list[dict[str, Any]] | None:
    subs = subfields(field_type)
    if not subs:
        return None
    return [{"field_code": code, "field_name": label.format(name), "field_type": kind} for code, label, kind in subs]


def _v2_system(s: SystemField, include: frozenset[str]) -> dict[str, Any]:
    out = {
        "field_name": s.name,
        "field_code": s.v2,
        # v2 field objects carry the description as a string (deal fields require it): "" for none.
        "description": "",
        "field_type": s.type_v2,
        # v2 option ids are integers; a system field's choices are its values (v1 lists them).
        "options": None,
        "subfields": _v2_subfields(s.type_v2, s.name) if s.type_v2 == "monetary" else None,
        "is_custom_field": False,
        "is_optional_response_field": s.optional,
    }
    if "ui_visibility" in include:
        out["ui_visibility"] = {"add_visible_flag": s.writable, "details_visible_flag": True}
    if "important_fields" in include:
        out["important_fields"] = {"enabled": False, "stage_ids": []}
    if "required_fields" in include:
        out["required_fields"] = {"enabled": s.required, "stage_ids": [], "statuses": {}}
    return out


def _v2_custom(row: Row, include: frozenset[str] = frozenset()) -> dict[str, Any]:
    out = {
        "field_name": row["name"],
        "field_code": row["key"],
        "description": row["description"] or "",
        "field_type": row["field_type"],
        "options": _options(row) if row["field_type"] in OPTION_TYPES else None,
        "subfields": _v2_subfields(row["field_type"], row["name"]),
        "is_custom_field": True,
        "is_optional_response_field": False,
    }
    if include:
        settings = _settings(row)
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


# -- lists and single fields -------------------------------------------------------------


def list_v1(ctx: Ctx, entity: Entity):
    start = ctx.int_param("start", 0, minimum=0)
    limit = ctx.page_limit(100, 500)
    listed = [s for s in system_fields(entity) if s.v1 is not None]
    items = [_v1_system(s, i + 1) for i, s in enumerate(listed)]
    items += [_v1_custom(r) for r in _live_rows(ctx, entity)]
    page = items[start : start + limit]
    more = len(items) > start + limit
    return ok(page or None, {"pagination": v1_pagination(start, limit, more)})


def list_v2(ctx: Ctx, entity: Entity):
    include = _include(ctx, entity)
    limit = ctx.page_limit(100, 500)
    start = 0
    cursor = ctx.raw("cursor")
    if cursor:
        start = decode_cursor(cursor, CURSOR_SORT, "asc", int)[1] + 1
    items = [_v2_system(s, include) for s in system_fields(entity) if s.v2 is not None]
    items += [_v2_custom(r, include) for r in _live_rows(ctx, entity)]
    page = items[start : start + limit]
    last = start + len(page) - 1
    next_cursor = encode_cursor(CURSOR_SORT, "asc", last, last) if len(items) > start + limit else None
    return ok(page, {"next_cursor": next_cursor})


def get_v1(ctx: Ctx, entity: Entity):
    field_id = ctx.path_id()
    listed = [s for s in system_fields(entity) if s.v1 is not None]
    for i, s in enumerate(listed):
        if s.id == field_id:
            return ok(_v1_system(s, i + 1))
    row = _row_by_id(ctx, entity, field_id)
    if row is None:
        raise _not_found(ctx, entity)
    return ok(_v1_custom(row))


def get_v2(ctx: Ctx, entity: Entity):
    include = _include(ctx, entity)
    code = ctx.path["field_code"]
    system = _system_by_v2(entity, code)
    if system is not None:
        return ok(_v2_system(system, include))
    row = _row_by_code(ctx, entity, code)
    if row is None:
        raise _not_found(ctx, entity)
    return ok(_v2_custom(row, include))


# -- writing -----------------------------------------------------------------------------


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"Validation failed: {key}: is required")
    if len(value) > MAX_NAME:
        raise BadRequest(f"Validation failed: {key}: must be at most {MAX_NAME} characters")
    return value.strip()


def _flag(value: Any, key: str, strict: bool) -> bool:
    if isinstance(value, bool):
        return value
    if not strict and value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise BadRequest(f"Validation failed: {key}: must be a boolean")


# The flags of the v2 settings objects that are columns (v1 shows them).
_FLAGS = {
    "ui_visibility": (("add_visible_flag", "add_visible_flag"), ("details_visible_flag", "details_visible_flag")),
    "important_fields": (("enabled", "important_flag"),),
    "required_fields": (("enabled", "mandatory_flag"),),
}


def _v2_settings(ctx: Ctx, entity: Entity, values: dict[str, Any], settings: dict[str, Any]) -> None:
    """v2's ui_visibility / important_fields / required_fields → flags and stored settings."""
    body = ctx.body
    for key, shape in SETTINGS[entity.name].items():
        if body.get(key) is None:
            continue
        given = conform(body[key], shape, key)
        _check_setting_refs(ctx, key, given)
        merged = {**settings.get(key, {}), **given}
        settings[key] = dialogs_ordered(merged) if key == "ui_visibility" else merged
        for name, flag in _FLAGS[key]:
            if name in given:
                values[flag] = given[name]
    values["settings"] = orjson.dumps(settings).decode() if settings else None


def _check_setting_refs(ctx: Ctx, key: str, given: dict[str, Any]) -> None:
    """Stage and pipeline ids in the settings must be live ones of the caller's company."""
    shown = given.get("show_in_pipelines", {})
    wanted = [
        ("stage", f"{key}.stage_ids", given.get("stage_ids", [])),
        ("pipeline", f"{key}.statuses", [int(k) for k in given.get("statuses", {})]),
        ("pipeline", f"{key}.show_in_pipelines.pipeline_ids", shown.get("pipeline_ids", [])),
    ]
    for name, path, ids in wanted:
        if not ids:
            continue
        target = ENTITIES[name]
        found = repo.get_many(ctx.conn, target.table, ctx.company_id, list(dict.fromkeys(ids)))
        for ref_id in ids:
            row = found.get(ref_id)
            if row is None or row["is_deleted"]:
                raise BadRequest(f"Validation failed: {path}: {target.label} with id {ref_id} not found")


def _next_option_id(ctx: Ctx) -> int:
    """Option ids are unique in the company: one past the highest any field ever had."""
    highest = 0
    for row in repo.all_rows(ctx.conn, table, ctx.company_id, table.c.options.is_not(None)):
        for option in orjson.loads(row["options"]):
            highest = max(highest, option["id"])
    return highest + 1


def _numbered(ctx: Ctx, labels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    first = _next_option_id(ctx)
    return [{"id": first + i, "label": o["label"]} for i, o in enumerate(labels)]


def _body(ctx: Ctx) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise BadRequest("The request body must be a JSON object")
    return ctx.body


def create(ctx: Ctx, entity: Entity):
    body = _body(ctx)
    strict = ctx.strict
    name = _name(body.get("field_name" if strict else "name"), "field_name" if strict else "name")
    field_type = body.get("field_type")
    if field_type not in CUSTOM_TYPES:
        raise BadRequest(f"Validation failed: field_type: must be one of {', '.join(CUSTOM_TYPES)}")
    # Values of these types are what searches look in (domain/search.py).
    searchable = field_type in SEARCHABLE_TYPES
    values: dict[str, Any] = {
        "name": name,
        "field_type": field_type,
        "entity_type": entity.name,
        "searchable_flag": searchable,
    }
    raw_options = body.get("options")
    if field_type in OPTION_TYPES:
        labels = option_labels(raw_options, "options") if raw_options is not None else []
        if not labels:
            raise BadRequest(f"Validation failed: options: a field of type {field_type} needs at least one option")
        values["options"] = orjson.dumps(_numbered(ctx, labels)).decode()
    if strict:
        description = body.get("description")
        if description is not None and not isinstance(description, str):
            raise BadRequest("Validation failed: description: must be a string")
        values["description"] = description
        values["add_visible_flag"] = False
        _v2_settings(ctx, entity, values, {})
    elif "add_visible_flag" in body:
        values["add_visible_flag"] = _flag(body["add_visible_flag"], "add_visible_flag", strict=False)
    stamp = now()
    last_order = repo.max_of(ctx.conn, table, ctx.company_id, "order_nr", table.c.entity_type == entity.name)
    values.update(
        key=new_key(),
        order_nr=max(last_order or 0, len(system_fields(entity))) + 1,
        created_by_user_id=ctx.user_id,
        last_updated_by_user_id=ctx.user_id,
        add_time=stamp,
        update_time=stamp,
    )
    field_id = repo.insert_row(ctx.conn, table, ctx.company_id, values)
    record_create(ctx.conn, ctx.company_id, ctx.user_id, FIELD_ENTITY[entity.name], field_id, values, stamp)
    custom.forget(ctx, entity.name)
    row = _row_by_id(ctx, entity, field_id)
    return ok(_v2_custom(row, _include(ctx, entity))) if strict else ok(_v1_custom(row), status=entity.field_created_v1)


def _write(ctx: Ctx, entity: Entity, row: Row, changed: dict[str, Any]) -> Row:
    if "options" in changed:
        # Removed options are remembered: values that still hold their ids read as unset.
        kept = {o["id"] for o in orjson.loads(changed["options"])}
        removed = [o for o in _options(row) if o["id"] not in kept]
        if removed:
            settings = orjson.loads(changed["settings"]) if changed.get("settings") else _settings(row)
            settings["options_deleted"] = settings.get("options_deleted", []) + removed
            changed["settings"] = orjson.dumps(settings).decode()
    changed = {k: v for k, v in changed.items() if row.get(k) != v}
    if changed:
        stamp = now()
        changed.update(update_time=stamp, last_updated_by_user_id=ctx.user_id)
        repo.update_row(ctx.conn, table, ctx.company_id, row["id"], changed)
        record_update(ctx.conn, ctx.company_id, ctx.user_id, FIELD_ENTITY[entity.name], row, changed, stamp)
        custom.forget(ctx, entity.name)
    return _row_by_id(ctx, entity, row["id"])  # type: ignore[return-value]


def _custom_target(ctx: Ctx, entity: Entity) -> Row:
    """The custom field a write names (v1 by id, v2 by code); system fields are read-only."""
    if ctx.strict:
        code = ctx.path["field_code"]
        if _system_by_v2(entity, code) is not None:
            raise BadRequest(f"System field '{code}' cannot be changed or deleted")
        row = _row_by_code(ctx, entity, code)
    else:
        field_id = ctx.path_id()
        if any(s.id == field_id for s in system_fields(entity)):
            raise BadRequest(f"System field {field_id} cannot be changed or deleted")
        row = _row_by_id(ctx, entity, field_id)
    if row is None:
        raise _not_found(ctx, entity)
    return row


def update_v1(ctx: Ctx, entity: Entity):
    """PUT: name, add_visible_flag, and options (listed ids are kept, others deleted, new ones added)."""
    row = _custom_target(ctx, entity)
    body = _body(ctx)
    changed: dict[str, Any] = {}
    if "name" in body:
        changed["name"] = _name(body["name"], "name")
    if "add_visible_flag" in body:
        changed["add_visible_flag"] = _flag(body["add_visible_flag"], "add_visible_flag", strict=False)
    if "options" in body and row["field_type"] in OPTION_TYPES:
        given = option_labels(body["options"], "options")
        existing = {o["id"] for o in _options(row)}
        unknown = [o["id"] for o in given if "id" in o and o["id"] not in existing]
        if unknown:
            raise BadRequest(f"Validation failed: options: option id {unknown[0]} does not exist in this field")
        if not given:
            raise BadRequest("Validation failed: options: a field of this type needs at least one option")
        fresh = _numbered(ctx, [o for o in given if "id" not in o])
        fresh_iter = iter(fresh)
        options = [o if "id" in o else next(fresh_iter) for o in given]
        changed["options"] = orjson.dumps(options).decode()
    return ok(_v1_custom(_write(ctx, entity, row, changed)))


def update_v2(ctx: Ctx, entity: Entity):
    row = _custom_target(ctx, entity)
    body = _body(ctx)
    if not body:
        raise BadRequest("The request body must have at least one property")
    changed: dict[str, Any] = {}
    if "field_name" in body:
        changed["name"] = _name(body["field_name"], "field_name")
    if "description" in body:
        if body["description"] is not None and not isinstance(body["description"], str):
            raise BadRequest("Validation failed: description: must be a string")
        changed["description"] = body["description"]
    if any(k in body for k in SETTINGS[entity.name]):
        _v2_settings(ctx, entity, changed, _settings(row))
    return ok(_v2_custom(_write(ctx, entity, row, changed), frozenset(SETTINGS[entity.name]) & frozenset(body)))


def _delete_row(ctx: Ctx, entity: Entity, row: Row, stamp: str) -> None:
    changed = {"is_deleted": True, "update_time": stamp, "last_updated_by_user_id": ctx.user_id}
    repo.update_row(ctx.conn, table, ctx.company_id, row["id"], changed)
    record_delete(ctx.conn, ctx.company_id, ctx.user_id, FIELD_ENTITY[entity.name], row, stamp)
    custom.forget(ctx, entity.name)
    if row["field_type"] in SEARCHABLE_TYPES:
        search_index.field_deleted(ctx, entity.name, row["key"])


def delete_one(ctx: Ctx, entity: Entity):
    row = _custom_target(ctx, entity)
    _delete_row(ctx, entity, row, now())
    return ok(_v2_custom(row)) if ctx.strict else ok({"id": row["id"]})


def delete_many_v1(ctx: Ctx, entity: Entity):
    ids = ctx.ids_param("ids", maximum=500)
    if not ids:
        raise BadRequest("Validation failed: ids: is required")
    ids = list(dict.fromkeys(ids))
    found = repo.get_many(ctx.conn, table, ctx.company_id, ids)
    rows = [found.get(i) for i in ids]
    if any(r is None or r["entity_type"] != entity.name or r["is_deleted"] for r in rows):
        raise _not_found(ctx, entity)
    stamp = now()
    for row in rows:
        _delete_row(ctx, entity, row, stamp)  # type: ignore[arg-type]
    return ok({"id": ids})


# -- v2 options --------------------------------------------------------------------------


def _option_target(ctx: Ctx, entity: Entity) -> tuple[Row, list[dict[str, Any]]]:
    row = _custom_target(ctx, entity)
    if row["field_type"] not in OPTION_TYPES:
        raise BadRequest(f"Field '{row['key']}' of type {row['field_type']} has no options")
    if not isinstance(ctx.body, list) or not ctx.body:
        raise BadRequest("The request body must be a non-empty array of options")
    return row, _options(row)


def _by_ids(row: Row, given: list[dict[str, Any]], options: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    existing = {o["id"]: o for o in options}
    unknown = [o["id"] for o in given if o["id"] not in existing]
    if unknown:
        raise BadRequest(f"Option id(s) {', '.join(map(str, unknown))} do not exist in field '{row['key']}'")
    return existing


def add_options(ctx: Ctx, entity: Entity):
    row, options = _option_target(ctx, entity)
    fresh = _numbered(ctx, option_labels(ctx.body, "options"))
    if len(options) + len(fresh) > MAX_OPTIONS:
        raise BadRequest(f"A field can have at most {MAX_OPTIONS} options")
    _write(ctx, entity, row, {"options": orjson.dumps(options + fresh).decode()})
    return ok(fresh, additional_data=None)


def update_options(ctx: Ctx, entity: Entity):
    row, options = _option_target(ctx, entity)
    given = option_labels(ctx.body, "options", need_ids=True)
    existing = _by_ids(row, given, options)
    labels = {o["id"]: o["label"] for o in given}
    updated = [{**o, "label": labels.get(o["id"], o["label"])} for o in options]
    _write(ctx, entity, row, {"options": orjson.dumps(updated).decode()})
    return ok([{"id": i, "label": labels[i]} for i in labels if i in existing], additional_data=None)


def delete_options(ctx: Ctx, entity: Entity):
    row, options = _option_target(ctx, entity)
    given = option_labels(ctx.body, "options", need_ids=True, need_labels=False)
    existing = _by_ids(row, given, options)
    gone = {o["id"] for o in given}
    kept = [o for o in options if o["id"] not in gone]
    _write(ctx, entity, row, {"options": orjson.dumps(kept).decode()})
    return ok([existing[i] for i in dict.fromkeys(o["id"] for o in given)], additional_data=None)


# -- routes ------------------------------------------------------------------------------

# (api, operation name with {n} for the entity, handler, writes?)
ROUTES = (
    ("v1", "get_{n}_fields", list_v1, False),
    ("v1", "get_{n}_field", get_v1, False),
    ("v1", "add_{n}_field", create, True),
    ("v1", "update_{n}_field", update_v1, True),
    ("v1", "delete_{n}_field", delete_one, True),
    ("v1", "delete_{n}_fields", delete_many_v1, True),
    ("v2", "get_{n}_fields", list_v2, False),
    ("v2", "get_{n}_field", get_v2, False),
    ("v2", "add_{n}_field", create, True),
    ("v2", "update_{n}_field", update_v2, True),
    ("v2", "delete_{n}_field", delete_one, True),
    ("v2", "add_{n}_field_options", add_options, True),
    ("v2", "update_{n}_field_options", update_options, True),
    ("v2", "delete_{n}_field_options", delete_options, True),
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
