"""Custom field values on a write, parsed once, by the write service (``service._ruled``).

The caller hands the raw values over in ``Input.custom`` (v2: the ``custom_fields`` object;
v1: the body, whose flat keys they are); they become the stored JSON (``domain/fields.py``
has its canonical form), merged with the old row's. A write changes only the keys it sends.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain.entity import Entity
from dealbase.domain.field_defs import defs
from dealbase.domain.fields import REF_TYPES
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Input, Unit
from dealbase.errors import BadInput

Row = dict[str, Any]
# A reference a custom value makes: (the entity it points at, the id, the name a refusal gives).
Ref = tuple[Entity, int, str]


def parse_into(unit: Unit, entity: Entity, values: Row, old: Row | None, given: Input) -> list[Ref]:
    """Put the merged stored JSON of the input's custom values into ``values``; answer the
    references they make, for the service to check.

    v2: an unknown code is a refusal, a key sent as null clears it. v1: keys that are no
    live field are ignored. Nothing happens when the caller gives no custom values.
    """
    if given.custom is None or not entity.has_custom_fields:
        return []
    found = defs(unit, entity)
    old_values: Row = {}
    if old is not None and old.get("custom_fields"):
        old_values = orjson.loads(old["custom_fields"])
    sent: Row = {}
    if not given.lenient:
        if not isinstance(given.custom, dict):
            raise BadInput("Validation failed: custom_fields: must be an object")
        for code, raw in given.custom.items():
            f = found.by_key.get(code) if found else None
            if f is None:
                raise BadInput(f"Validation failed: custom_fields: unknown custom field '{code}'")
            sent[code] = f.v2_in(raw, unit.user)
    elif found:
        for f in found.fields:
            sent_it, value = f.v1_in(given.custom, old_values.get(f.key), unit.user)
            if sent_it:
                sent[f.key] = value
    if not sent and (old is not None or not found):
        return []
    merged = {**old_values, **sent}
    # Stored as v2 gives it: every live field in the fields' order, null when unset, and
    # stamped with the fields version, so that reads can pass it through unparsed.
    values["custom_fields"] = orjson.dumps({f.key: merged.get(f.key) for f in found.fields}).decode()
    values["custom_fields_version"] = found.version
    return _refs(found, sent)


def _refs(found: Any, sent: Row) -> list[Ref]:
    out = []
    for key, value in sent.items():
        target = REF_TYPES.get(found.by_key[key].field_type)
        if target is not None and value is not None:
            out.append((ENTITIES[target], value, f"custom field '{key}'"))
    return out
