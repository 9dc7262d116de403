"""Writes of custom field definitions: create, update, delete, and v2's option lists.

One implementation for every entity type with fields of its own, through the write
service's row primitives (a field is a row of ``fields``, its change events named
``dealField``, ``personField``…). The caller's body comes raw in an ``Input``'s ``own``
(v1 ``name``, v2 ``field_name`` and its settings objects): its shape is checked here.
Every write bumps the company's fields version and drops the unit's cached definitions.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain import search_index, service
from dealbase.domain.entity import Entity
from dealbase.domain.field_defs import by_code, by_id, forget
from dealbase.domain.fields import (
    CUSTOM_TYPES,
    FIELD_ENTITY,
    MAX_NAME,
    MAX_OPTIONS,
    OPTION_TYPES,
    SETTINGS,
    conform,
    dialogs_ordered,
    new_key,
    option_labels,
    row_options,
    row_settings,
    system_fields,
)
from dealbase.domain.registry import ENTITIES
from dealbase.domain.search import SEARCHABLE_TYPES
from dealbase.domain.unit import Input, Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import fields as table

Row = dict[str, Any]
Options = list[dict[str, Any]]

# The flags of the v2 settings objects that are columns (v1 shows them).
_FLAGS = {
    "ui_visibility": (("add_visible_flag", "add_visible_flag"), ("details_visible_flag", "details_visible_flag")),
    "important_fields": (("enabled", "important_flag"),),
    "required_fields": (("enabled", "mandatory_flag"),),
}


def _name(value: Any, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"Validation failed: {key}: is required")
    if len(value) > MAX_NAME:
        raise BadInput(f"Validation failed: {key}: must be at most {MAX_NAME} characters")
    return value.strip()


def _flag(value: Any, key: str) -> bool:
    """v1's flags: booleans, or 0 / 1 / "true" / "false"."""
    if isinstance(value, bool):
        return value
    if value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise BadInput(f"Validation failed: {key}: must be a boolean")


def _description(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise BadInput("Validation failed: description: must be a string")
    return value


def _settings_into(unit: Unit, entity: Entity, sent: Row, values: Row, settings: Row) -> None:
    """v2's ui_visibility / important_fields / required_fields → flags and stored settings."""
    for key, shape in SETTINGS[entity.name].items():
        if sent.get(key) is None:
            continue
        given = conform(sent[key], shape, key)
        _check_setting_refs(unit, key, given)
        merged = {**settings.get(key, {}), **given}
        settings[key] = dialogs_ordered(merged) if key == "ui_visibility" else merged
        for name, flag in _FLAGS[key]:
            if name in given:
                values[flag] = given[name]
    values["settings"] = orjson.dumps(settings).decode() if settings else None


def _check_setting_refs(unit: Unit, key: str, given: Row) -> None:
    """Stage and pipeline ids in the settings must be live ones of the caller's company."""
    shown = given.get("show_in_pipelines", {})
    wanted = [
        ("stage", f"{key}.stage_ids", given.get("stage_ids", [])),
        ("pipeline", f"{key}.statuses", [int(k) for k in given.get("statuses", {})]),
        ("pipeline", f"{key}.show_in_pipelines.pipeline_ids", shown.get("pipeline_ids", [])),
    ]
    for name, path, ids in wanted:
        if ids:
            service.check_ids(unit, ENTITIES[name], ids, path)


def _numbered(unit: Unit, labels: Options) -> Options:
    """New options, numbered: option ids are unique in the company, each one past the
    highest any field ever had."""
    highest = 0
    for row in repo.all_rows(unit.conn, table, unit.company_id, table.c.options.is_not(None)):
        for option in orjson.loads(row["options"]):
            highest = max(highest, option["id"])
    return [{"id": highest + 1 + i, "label": o["label"]} for i, o in enumerate(labels)]


# -- create, update, delete --------------------------------------------------------------


def create(unit: Unit, entity: Entity, given: Input) -> Row:
    """A new custom field of the entity type, last in its order, with a fresh key."""
    sent = given.own
    key = given.key("name", "field_name")
    name = _name(sent.get(key), key)  # type: ignore[arg-type]
    field_type = sent.get("field_type")
    if field_type not in CUSTOM_TYPES:
        raise BadInput(f"Validation failed: field_type: must be one of {', '.join(CUSTOM_TYPES)}")
    # Values of these types are what searches look in (domain/search.py).
    values: Row = {
        "name": name,
        "field_type": field_type,
        "entity_type": entity.name,
        "searchable_flag": field_type in SEARCHABLE_TYPES,
    }
    if field_type in OPTION_TYPES:
        labels = option_labels(sent["options"], "options") if sent.get("options") is not None else []
        if not labels:
            raise BadInput(f"Validation failed: options: a field of type {field_type} needs at least one option")
        values["options"] = orjson.dumps(_numbered(unit, labels)).decode()
    if not given.lenient:
        values["description"] = _description(sent.get("description"))
        values["add_visible_flag"] = False
        _settings_into(unit, entity, sent, values, {})
    elif "add_visible_flag" in sent:
        values["add_visible_flag"] = _flag(sent["add_visible_flag"], "add_visible_flag")
    stamp = unit.clock()
    last_order = repo.max_of(unit.conn, table, unit.company_id, "order_nr", table.c.entity_type == entity.name)
    values.update(
        key=new_key(),
        order_nr=max(last_order or 0, len(system_fields(entity))) + 1,
        created_by_user_id=unit.user_id,
        last_updated_by_user_id=unit.user_id,
        add_time=stamp,
        update_time=stamp,
    )
    field_id = service.insert(unit, table, values, event=FIELD_ENTITY[entity.name], stamp=stamp)
    forget(unit, entity.name)
    return by_id(unit, entity, field_id)  # type: ignore[return-value]


def target(unit: Unit, entity: Entity, address: int | str) -> Row | None:
    """The live custom field a write names (v1 by id, v2 by code), or None; a system field
    is read-only."""
    if isinstance(address, str):
        if any(s.v2 == address for s in system_fields(entity)):
            raise BadInput(f"System field '{address}' cannot be changed or deleted")
        return by_code(unit, entity, address)
    if any(s.id == address for s in system_fields(entity)):
        raise BadInput(f"System field {address} cannot be changed or deleted")
    return by_id(unit, entity, address)


def update(unit: Unit, entity: Entity, row: Row, given: Input) -> Row:
    """v1: name, add_visible_flag and options (listed ids kept, others deleted, new ones
    added). v2: field_name, description and the settings objects."""
    sent = given.own
    changed: Row = {}
    if given.lenient:
        if "name" in sent:
            changed["name"] = _name(sent["name"], "name")
        if "add_visible_flag" in sent:
            changed["add_visible_flag"] = _flag(sent["add_visible_flag"], "add_visible_flag")
        if "options" in sent and row["field_type"] in OPTION_TYPES:
            changed["options"] = orjson.dumps(_listed_options(unit, row, sent["options"])).decode()
        return _write(unit, entity, row, changed)
    if not sent:
        raise BadInput("The request body must have at least one property")
    if "field_name" in sent:
        changed["name"] = _name(sent["field_name"], "field_name")
    if "description" in sent:
        changed["description"] = _description(sent["description"])
    if any(k in sent for k in SETTINGS[entity.name]):
        _settings_into(unit, entity, sent, changed, row_settings(row))
    return _write(unit, entity, row, changed)


def _listed_options(unit: Unit, row: Row, raw: Any) -> Options:
    """v1's options on an update: the whole list, existing ones by id, new ones without."""
    given = option_labels(raw, "options")
    existing = {o["id"] for o in row_options(row)}
    unknown = [o["id"] for o in given if "id" in o and o["id"] not in existing]
    if unknown:
        raise BadInput(f"Validation failed: options: option id {unknown[0]} does not exist in this field")
    if not given:
        raise BadInput("Validation failed: options: a field of this type needs at least one option")
    fresh = iter(_numbered(unit, [o for o in given if "id" not in o]))
    return [o if "id" in o else next(fresh) for o in given]


def _write(unit: Unit, entity: Entity, row: Row, changed: Row) -> Row:
    """Write what changed of a field row, with its event; the row after."""
    if "options" in changed:
        # Removed options are remembered: values that still hold their ids read as unset.
        kept = {o["id"] for o in orjson.loads(changed["options"])}
        removed = [o for o in row_options(row) if o["id"] not in kept]
        if removed:
            settings = orjson.loads(changed["settings"]) if changed.get("settings") else row_settings(row)
            settings["options_deleted"] = settings.get("options_deleted", []) + removed
            changed["settings"] = orjson.dumps(settings).decode()
    changed = {k: v for k, v in changed.items() if row.get(k) != v}
    if changed:
        stamp = unit.clock()
        changed.update(update_time=stamp, last_updated_by_user_id=unit.user_id)
        service.change(unit, table, row, changed, event=FIELD_ENTITY[entity.name], stamp=stamp)
        forget(unit, entity.name)
    return by_id(unit, entity, row["id"])  # type: ignore[return-value]


def delete(unit: Unit, entity: Entity, rows: list[Row]) -> None:
    """Mark custom fields deleted, at one stamp; their values are searched no more."""
    stamp, event = unit.clock(), FIELD_ENTITY[entity.name]
    for row in rows:
        service.retire(unit, table, row, event=event, stamp=stamp, last_updated_by_user_id=unit.user_id)
        forget(unit, entity.name)
        if row["field_type"] in SEARCHABLE_TYPES:
            search_index.field_deleted(unit, entity.name, row["key"])


# -- v2's option lists -------------------------------------------------------------------


def _options(row: Row, raw: Any) -> Options:
    if row["field_type"] not in OPTION_TYPES:
        raise BadInput(f"Field '{row['key']}' of type {row['field_type']} has no options")
    if not isinstance(raw, list) or not raw:
        raise BadInput("The request body must be a non-empty array of options")
    return row_options(row)


def _by_ids(row: Row, given: Options, options: Options) -> dict[int, dict[str, Any]]:
    existing = {o["id"]: o for o in options}
    unknown = [o["id"] for o in given if o["id"] not in existing]
    if unknown:
        raise BadInput(f"Option id(s) {', '.join(map(str, unknown))} do not exist in field '{row['key']}'")
    return existing


def add_options(unit: Unit, entity: Entity, row: Row, raw: Any) -> Options:
    """New options at the end of the field's; the options made."""
    options = _options(row, raw)
    fresh = _numbered(unit, option_labels(raw, "options"))
    if len(options) + len(fresh) > MAX_OPTIONS:
        raise BadInput(f"A field can have at most {MAX_OPTIONS} options")
    _write(unit, entity, row, {"options": orjson.dumps(options + fresh).decode()})
    return fresh


def update_options(unit: Unit, entity: Entity, row: Row, raw: Any) -> Options:
    """New labels for options by id; the options as relabelled."""
    options = _options(row, raw)
    given = option_labels(raw, "options", need_ids=True)
    existing = _by_ids(row, given, options)
    labels = {o["id"]: o["label"] for o in given}
    updated = [{**o, "label": labels.get(o["id"], o["label"])} for o in options]
    _write(unit, entity, row, {"options": orjson.dumps(updated).decode()})
    return [{"id": i, "label": labels[i]} for i in labels if i in existing]


def delete_options(unit: Unit, entity: Entity, row: Row, raw: Any) -> Options:
    """Options deleted by id (remembered: values holding them read as unset); those deleted."""
    options = _options(row, raw)
    given = option_labels(raw, "options", need_ids=True, need_labels=False)
    existing = _by_ids(row, given, options)
    gone = {o["id"] for o in given}
    _write(unit, entity, row, {"options": orjson.dumps([o for o in options if o["id"] not in gone]).decode()})
    return [existing[i] for i in dict.fromkeys(o["id"] for o in given)]
