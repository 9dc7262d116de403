"""The live custom field definitions of an entity type in a unit's company, read once per
unit and shared by the process's units for as long as the company's fields version holds.

See ``domain/fields.py`` for the canonical form of the values; ``api/custom.py`` parses
them from requests.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain.entity import Entity
from dealbase.domain.fields import Custom
from dealbase.store import repository as repo

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


def get_row(unit: Any, entity: Entity, row_id: Any) -> Row | None:
    """The entity's row by id. For an entity with custom fields the company's fields version
    comes in the same statement, kept for ``defs``: showing the row reads nothing more."""
    if not entity.has_custom_fields or _VERSION in unit.cache:
        return repo.get(unit.conn, entity.table, unit.company_id, row_id)
    row, version = repo.get_counted(unit.conn, entity.table, unit.company_id, row_id, _VERSION)
    if version is not None:
        unit.cache[_VERSION] = version
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
            version = unit.cache[_VERSION] = repo.fields_version(unit.conn, unit.company_id)
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
