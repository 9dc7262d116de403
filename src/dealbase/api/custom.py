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
from dealbase.domain.field_defs import Defs, defs, forget  # noqa: F401 (the API's names for them)
from dealbase.domain.fields import REF_TYPES
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo

if TYPE_CHECKING:
    from dealbase.api.context import Ctx

Row = dict[str, Any]


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
