"""Custom field values on entities: read the company's definitions once per request,
parse values on writes (v2 strict ``custom_fields``, v1 flat keys) into the canonical
stored form, and present them in each version's shape.

See ``domain/fields.py`` for the canonical form. A company without custom fields pays
for one indexed read of its (empty) definitions and nothing per row.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from dealbase.api.errors import BadRequest
from dealbase.domain.entity import Entity
from dealbase.domain.fields import REF_TYPES, Custom
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo

if TYPE_CHECKING:
    from dealbase.api.context import Ctx

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


def defs(ctx: Ctx, entity: Entity) -> Defs | None:
    """The entity type's live custom fields, read once per request (None: it has none)."""
    if not entity.has_custom_fields:
        return None
    entity_type = entity.custom_type
    key = ("fields", entity_type)
    found = ctx.extra.get(key)
    if found is not None:
        return found
    if ctx.extra.get("fields_written"):
        # This transaction changed definitions and may still roll back: read, don't share.
        found = Defs(repo.live_fields(ctx.conn, ctx.company_id, entity_type), None)
    else:
        # Shared by the process's requests, for as long as the company's version holds.
        version = repo.fields_version(ctx.conn, ctx.company_id)
        shared_key = ("fields", ctx.company_id, entity_type)
        hit = ctx.shared.get(shared_key)
        if hit is not None and hit[0] == version:
            found = hit[1]
        else:
            found = Defs(repo.live_fields(ctx.conn, ctx.company_id, entity_type), version)
            ctx.shared[shared_key] = (version, found)
    ctx.extra[key] = found
    return found


def forget(ctx: Ctx, entity_name: str) -> None:
    """After a write to field definitions: bump the company's version, drop cached ones."""
    if not ctx.extra.get("fields_written"):
        repo.bump_fields_version(ctx.conn, ctx.company_id)
        ctx.extra["fields_written"] = True
    ctx.extra.pop(("fields", entity_name), None)


# -- in ----------------------------------------------------------------------------------


def apply(ctx: Ctx, entity: Entity, values: dict[str, Any], old: Row | None) -> None:
    """Parse the body's custom values and put the merged stored JSON into ``values``.

    v2: ``custom_fields: {code: value}``, an unknown code is a 400, a key sent as null
    clears it. v1: flat keys at the top level; keys that are no live field are ignored.
    A write changes only the keys it sends.
    """
    if not entity.has_custom_fields:
        return
    body = ctx.body
    found = defs(ctx, entity)
    old_values: dict[str, Any] = {}
    if old is not None and old.get("custom_fields"):
        old_values = orjson.loads(old["custom_fields"])
    sent: dict[str, Any] = {}
    if ctx.strict:
        custom = body.get("custom_fields")
        if custom is None:
            if old is not None or not found:
                return
            custom = {}
        if not isinstance(custom, dict):
            raise BadRequest("Validation failed: custom_fields: must be an object")
        for code, raw in custom.items():
            f = found.by_key.get(code) if found else None
            if f is None:
                raise BadRequest(f"Validation failed: custom_fields: unknown custom field '{code}'")
            sent[code] = f.v2_in(raw, ctx.user)
    elif found:
        for f in found.fields:
            given, value = f.v1_in(body, old_values.get(f.key), ctx.user)
            if given:
                sent[f.key] = value
    if not sent and (old is not None or not found):
        return
    _check_refs(ctx, found, sent)
    merged = {**old_values, **sent}
    # Stored as v2 gives it: every live field in the fields' order, null when unset, and
    # stamped with the fields version, so that reads can pass it through unparsed.
    values["custom_fields"] = orjson.dumps({f.key: merged.get(f.key) for f in found.fields}).decode()
    values["custom_fields_version"] = found.version


def _check_refs(ctx: Ctx, found: Defs, sent: dict[str, Any]) -> None:
    for key, value in sent.items():
        f = found.by_key[key]
        target_name = REF_TYPES.get(f.field_type)
        if target_name is None or value is None:
            continue
        target = ENTITIES[target_name]
        row = repo.get(ctx.conn, target.table, ctx.company_id, value)
        alive = row is not None and not row.get("is_deleted") and row.get("active_flag", True)
        if not alive:
            raise BadRequest(f"Validation failed: custom field '{key}': {target.label} with id {value} not found")
