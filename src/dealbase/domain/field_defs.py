"""The live custom field definitions of an entity type in a unit's company, read once per
unit and shared by the process's units for as long as the company's fields version holds;
the definition rows by id or code; every field, system or custom, as the fields APIs
describe it (``Definition``).

See ``domain/fields.py`` for the canonical form of the values, ``domain/custom_values.py``
for their parsing on a write, ``domain/field_writes.py`` for writes of the definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement

from dealbase.domain.entity import Entity
from dealbase.domain.fields import (
    OPTION_TYPES,
    Custom,
    SystemField,
    options_deleted,
    row_options,
    row_settings,
    system_fields,
)
from dealbase.store import repository as repo
from dealbase.store.tables import fields as table

Row = dict[str, Any]


class Defs:
    """The live custom fields of one entity type in the caller's company."""

    __slots__ = ("fields", "by_key", "v2_nulls", "v1_nulls", "v1_writers", "optioned", "labelled", "keys", "version")

    def __init__(self, rows: list[Row], version: int | None = None) -> None:
        # The company's fields_version these were read at (None: inside a fields write).
        self.version = version
        self.fields = tuple(Custom.from_row(r) for r in rows)
        self.by_key = {f.key: f for f in self.fields}
        self.v2_nulls = orjson.Fragment(orjson.dumps({f.key: None for f in self.fields}))
        self.v1_nulls = {k: None for f in self.fields for k in f.v1_keys}
        self.v1_writers = tuple((f.key, f.v1_writer()) for f in self.fields if not f.options_deleted)
        # Fields whose stored values may point at options deleted since (usually none).
        self.optioned = tuple(f for f in self.fields if f.options_deleted)
        self.labelled = tuple(f for f in self.fields if f.field_type in ("enum", "set"))
        self.keys = tuple(f.key for f in self.fields)

    def __bool__(self) -> bool:
        return bool(self.fields)

    # -- out ---------------------------------------------------------------------------

    def v2(
        self, stored: str | None, only: frozenset[str] | None, written_at: int | None = None, labels: bool = False
    ) -> Any:
        """v2 ``custom_fields``: every live field, null when unset (``only``: those keys).

        ``written_at``: the fields version the stored value was written at. Written at the
        current one, it already is the answer (every live key, in order), and goes out
        unparsed. ``labels`` (``include_option_labels``): enum and set values as
        ``{id, label}`` objects instead of ids.
        """
        if only is None and not stored:
            return self.v2_nulls
        plain = not labels or not self.labelled
        if plain and only is None and written_at is not None and written_at == self.version and not self.optioned:
            return orjson.Fragment(stored)
        values = orjson.loads(stored) if stored else {}
        if only is None:
            # Built in C: every live key as null, then the stored values over them.
            out = dict.fromkeys(self.keys)
            out.update(values)
            if len(out) != len(self.keys):  # values of fields deleted since
                out = {k: out[k] for k in self.keys}
        else:
            get = values.get
            out = {k: get(k) for k in self.keys if k in only}
        for f in self.optioned:
            value = out.get(f.key)
            if value is not None:
                out[f.key] = f.live_value(value)
        if not plain:
            for f in self.labelled:
                value = out.get(f.key)
                if value is not None:
                    out[f.key] = f.with_labels(value)
        return out

    def v1_into(self, out: dict[str, Any], stored: str | None, nulls: bool = True) -> None:
        """v1 flat keys, in place: every live field's keys, null when unset (``nulls``;
        else only the values set, as v1 leads give them)."""
        if nulls:
            out.update(self.v1_nulls)
        if not stored:
            return
        values = orjson.loads(stored)
        get = values.get
        for key, write in self.v1_writers:
            value = get(key)
            if value is not None:
                write(out, value)
        for f in self.optioned:
            value = get(f.key)
            if value is not None:
                value = f.live_value(value)
                if value is not None:
                    out.update(f.v1_out(value))


# The company's fields version as this unit read it (once: a write of definitions goes
# around it, ``fields_written``).
_VERSION = "fields_version"
# The company's users version, read in the same statements as the fields version (it costs
# them nothing more): a read request answered for a remembered API token is checked against
# it at its end (``api/auth.py: Authenticator.holds``), with no statement of its own.
USERS_VERSION = "users_version"
_COUNTERS = (_VERSION, USERS_VERSION)


def get_row(unit: Any, entity: Entity, row_id: Any, where: Sequence[ColumnElement] = ()) -> Row | None:
    """The entity's row by id. For an entity with custom fields the company's fields version
    comes in the same statement, kept for ``defs``: showing the row reads nothing more.
    ``where``: what else the row must meet (a user's visibility), else it is None."""
    if where:
        return repo.first(unit.conn, entity.table, unit.company_id, entity.table.c.id == row_id, *where)
    if not entity.has_custom_fields or _VERSION in unit.cache:
        return repo.get(unit.conn, entity.table, unit.company_id, row_id)
    row, counted = repo.get_counted(unit.conn, entity.table, unit.company_id, row_id, _COUNTERS)
    if counted is not None:
        unit.cache.update(counted)
    return row


def defs(unit: Any, entity: Entity) -> Defs | None:
    """The entity type's live custom fields, read once per unit (None: it has none)."""
    if not entity.has_custom_fields:
        return None
    entity_type = entity.custom_type
    key = ("fields", entity_type)
    found = unit.cache.get(key)
    if found is not None:
        return found
    if unit.cache.get("fields_written"):
        # This transaction changed definitions and may still roll back: read, don't share.
        found = Defs(repo.live_fields(unit.conn, unit.company_id, entity_type), None)
    else:
        # Shared by the process's requests, for as long as the company's version holds.
        version = unit.cache.get(_VERSION)
        if version is None:
            unit.cache.update(repo.company_counters(unit.conn, unit.company_id, _COUNTERS))
            version = unit.cache[_VERSION] = unit.cache[_VERSION] or 0
        shared_key = ("fields", unit.company_id, entity_type)
        hit = unit.shared.get(shared_key)
        if hit is not None and hit[0] == version:
            found = hit[1]
        else:
            found = Defs(repo.live_fields(unit.conn, unit.company_id, entity_type), version)
            unit.shared[shared_key] = (version, found)
    unit.cache[key] = found
    return found


def forget(unit: Any, entity_name: str) -> None:
    """After a write to field definitions: bump the company's version, drop cached ones."""
    if not unit.cache.get("fields_written"):
        repo.bump_fields_version(unit.conn, unit.company_id)
        unit.cache["fields_written"] = True
        unit.cache.pop(_VERSION, None)
    unit.cache.pop(("fields", entity_name), None)


# -- definition rows -------------------------------------------------------------------


def live_rows(unit: Any, entity: Entity) -> list[Row]:
    """The rows of the entity type's live custom fields, in their order."""
    return repo.live_fields(unit.conn, unit.company_id, entity.custom_type)


def _live(row: Row | None, entity: Entity) -> Row | None:
    if row is None or row["entity_type"] != entity.name or row["is_deleted"]:
        return None
    return row


def by_id(unit: Any, entity: Entity, field_id: int) -> Row | None:
    """The live custom field of the entity type with that id (v1's address), or None."""
    return _live(repo.get(unit.conn, table, unit.company_id, field_id), entity)


def by_code(unit: Any, entity: Entity, code: str) -> Row | None:
    """The live custom field of the entity type with that key (v2's ``field_code``), or None."""
    return _live(repo.first(unit.conn, table, unit.company_id, table.c.key == code), entity)


def by_ids(unit: Any, entity: Entity, ids: list[int]) -> list[Row | None]:
    """The live custom fields of the entity type with those ids, in their order (None where
    there is none)."""
    found = repo.get_many(unit.conn, table, unit.company_id, ids)
    return [_live(found.get(i), entity) for i in ids]


# -- every field, as the fields APIs describe it -----------------------------------------


@dataclass(frozen=True)
class Definition:
    """A field of an entity type, system (from its declaration, read-only) or custom (a
    row): what the v1 and v2 fields APIs show of it.

    ``key`` is v1's (None: a field v1 does not list), ``code`` v2's ``field_code``;
    ``flags`` the v1 flags, in v1's order; ``options`` v1's (a system field's choices are
    its values); ``options_deleted`` those a custom option field lost (None for others);
    ``settings`` what v2's settings objects keep besides their flags.
    """

    id: int
    key: str | None
    code: str | None
    name: str
    order_nr: int
    type_v1: str
    type_v2: str
    custom: bool
    flags: dict[str, bool]
    options: list[dict[str, Any]] | None
    options_deleted: list[dict[str, Any]] | None = None
    description: str = ""
    optional: bool = False
    active: bool = True
    settings: Row = field(default_factory=dict)
    # add_time, update_time, last_updated_by_user_id, created_by_user_id (None for a system field)
    stamps: Row = field(default_factory=lambda: dict.fromkeys(_STAMPS))

    def v2_settings(self, include: frozenset[str]) -> Row:
        """v2's settings objects the caller asked for: what is kept, with the flag columns."""
        flags, kept, out = self.flags, self.settings, {}
        system = not self.custom  # a system field's objects lead with ``enabled``
        if "ui_visibility" in include:
            shown = {k: flags[k] for k in ("add_visible_flag", "details_visible_flag")}
            out["ui_visibility"] = {**kept.get("ui_visibility", {}), **shown}
        if "important_fields" in include:
            important = {"stage_ids": [], **kept.get("important_fields", {})}
            enabled = flags["important_flag"]
            out["important_fields"] = {"enabled": enabled, **important} if system else {**important, "enabled": enabled}
        if "required_fields" in include:
            required = {"stage_ids": [], "statuses": {}, **kept.get("required_fields", {})}
            enabled = flags["mandatory_flag"]
            out["required_fields"] = {"enabled": enabled, **required} if system else {**required, "enabled": enabled}
        return out


_STAMPS = ("add_time", "update_time", "last_updated_by_user_id", "created_by_user_id")
_FLAGS = (
    "details_visible_flag",
    "add_visible_flag",
    "important_flag",
    "bulk_edit_allowed",
    "searchable_flag",
    "filtering_allowed",
    "sortable_flag",
    "mandatory_flag",
)
# The system fields v1 marks searchable (by their v1 key).
_SEARCHED = ("title", "name", "subject")


def _system(s: SystemField, order_nr: int) -> Definition:
    flags = (True, s.writable, False, s.writable, s.v1 in _SEARCHED, True, s.sortable, s.required)
    flagged = dict(zip(_FLAGS, flags, strict=True))
    types = (s.type_v1, s.type_v2)
    return Definition(s.id, s.v1, s.v2, s.name, order_nr, *types, False, flagged, s.options, optional=s.optional)


def definition(row: Row) -> Definition:
    """A custom field's row as the fields APIs describe it."""
    optioned = row["field_type"] in OPTION_TYPES
    return Definition(
        row["id"],
        row["key"],
        row["key"],
        row["name"],
        row["order_nr"],
        row["field_type"],
        row["field_type"],
        True,
        {flag: bool(row[flag]) for flag in _FLAGS},
        row_options(row) if optioned else None,
        options_deleted(row) if optioned else None,
        row["description"] or "",
        active=not row["is_deleted"],
        settings=row_settings(row),
        stamps={k: row[k] for k in _STAMPS},
    )


def _system_listed(entity: Entity, api: str) -> list[SystemField]:
    return [s for s in system_fields(entity) if (s.v1 if api == "v1" else s.v2) is not None]


def listed(unit: Any, entity: Entity, api: str) -> list[Definition]:
    """Every field of the entity type the version lists: its system fields, then the live
    custom ones in their order."""
    system = [_system(s, i + 1) for i, s in enumerate(_system_listed(entity, api))]
    return system + [definition(r) for r in live_rows(unit, entity)]


def find(unit: Any, entity: Entity, address: int | str) -> Definition | None:
    """The field a read names, v1 by id (an int), v2 by code (a str), or None."""
    api = "v2" if isinstance(address, str) else "v1"
    for i, s in enumerate(_system_listed(entity, api)):
        if (s.v2 if api == "v2" else s.id) == address:
            return _system(s, i + 1)
    row = by_code(unit, entity, address) if isinstance(address, str) else by_id(unit, entity, address)
    return definition(row) if row is not None else None
