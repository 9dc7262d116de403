"""Request bodies → column values, by an entity's field map.

v2 is strict (JSON types only: ``"100"`` is not a number, ``1`` is not a boolean);
v1 coerces as Pipedrive's v1 does, form-encoded bodies included.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.clock import parse_date, parse_time
from dealbase.domain.common import NUMBER, check_currency
from dealbase.domain.entity import Entity, Field
from dealbase.domain.ids import INTEGER as _INT
from dealbase.domain.ids import parse_uuid
from dealbase.domain.unit import Input
from dealbase.store import repository as repo

DEFAULT_MAX_LENGTH = 255
# Integer columns are 32-bit on PostgreSQL. A reference past the range is an id no row has
# (``check_refs`` says so, as for any unknown id); any other integer must fit.
INT_RANGE = (-(2**31), 2**31 - 1)
VISIBILITY = (1, 3, 5, 7)


def _bad(key: str, what: str) -> BadRequest:
    return BadRequest(f"Validation failed: {key}: {what}")


def coerce(f: Field, key: str, value: Any, strict: bool) -> Any:
    """One input value → its stored form, or a 400 naming the field."""
    if value is None or (not strict and value == "" and f.kind != "str"):
        if not f.nullable:
            raise _bad(key, "must not be null")
        return None
    kind = f.kind
    if kind in ("int", "visible_to"):
        if isinstance(value, bool):
            raise _bad(key, "must be an integer")
        if isinstance(value, float) and value.is_integer() and not strict:
            value = int(value)
        if isinstance(value, str) and not strict and _INT.match(value.strip()):
            value = int(value)
        if not isinstance(value, int) or abs(value) > 2**53:
            raise _bad(key, "must be an integer")
        if kind == "visible_to" and value not in VISIBILITY:
            raise _bad(key, "must be one of 1, 3, 5, 7")
        if f.ref is not None and value <= 0:
            raise _bad(key, "must be a positive integer")
        if f.ref is None and not INT_RANGE[0] <= value <= INT_RANGE[1]:
            raise _bad(key, f"must be an integer from {INT_RANGE[0]} to {INT_RANGE[1]}")
        return value
    if kind == "num":
        if isinstance(value, bool):
            raise _bad(key, "must be a number")
        if isinstance(value, str) and not strict and NUMBER.match(value.strip()):
            value = float(value)
        if not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > 1e15:
            raise _bad(key, "must be a finite number")
        return value
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if not strict and value in (0, 1, "0", "1", "true", "false"):
            return value in (1, "1", "true")
        raise _bad(key, "must be a boolean")
    if kind == "str":
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not strict:
            value = str(value)
        if not isinstance(value, str):
            raise _bad(key, "must be a string")
        limit = f.max_length or DEFAULT_MAX_LENGTH
        if len(value) > limit:
            raise _bad(key, f"must be at most {limit} characters")
        if f.choices is not None and value not in f.choices:
            raise _bad(key, f"must be one of {', '.join(f.choices)}")
        return value
    if kind == "time":
        parsed = parse_time(value) if isinstance(value, str) else None
        if parsed is None:
            raise _bad(key, "must be a date-time (YYYY-MM-DDTHH:MM:SSZ or YYYY-MM-DD HH:MM:SS)")
        return parsed
    if kind == "date":
        parsed = parse_date(value) if isinstance(value, str) else None
        if parsed is None:
            raise _bad(key, "must be a date (YYYY-MM-DD)")
        return parsed
    if kind == "ids":
        if not strict and isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            if not all(_INT.match(p) for p in parts):
                raise _bad(key, "must be a list of integers")
            value = [int(p) for p in parts]
        if not strict and isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
            raise _bad(key, "must be an array of integers")
        if len(value) > 1000:
            raise _bad(key, "has too many items")
        return orjson.dumps(sorted(set(value), key=value.index)).decode()
    if kind == "uuids":
        if not strict and isinstance(value, str):
            value = [p.strip() for p in value.split(",") if p.strip()]
        if not isinstance(value, list):
            raise _bad(key, "must be an array of UUIDs")
        ids = [parse_uuid(i) for i in value]
        if None in ids:
            raise _bad(key, "must be an array of UUIDs")
        if len(ids) > 1000:
            raise _bad(key, "has too many items")
        return orjson.dumps(list(dict.fromkeys(ids))).decode()
    if kind == "money":
        return _money(key, value, strict)
    return value


def _money(key: str, value: Any, strict: bool) -> str:
    """``{"amount": 999, "currency": "USD"}``: both required; stored as that JSON."""
    if not isinstance(value, dict) or "amount" not in value or "currency" not in value:
        raise _bad(key, "must be an object with amount and currency")
    amount = coerce(Field("amount", "num", nullable=False), f"{key}.amount", value["amount"], strict)
    currency = value["currency"]
    if not isinstance(currency, str):
        raise _bad(key, "currency must be a string")
    return orjson.dumps({"amount": amount, "currency": check_currency(currency, f"{key}.currency")}).decode()


def parse(ctx: Ctx, entity: Entity, creating: bool) -> dict[str, Any]:
    """Column values from the request body. Unknown keys are ignored, as Pipedrive does.

    Custom field values are parsed apart, by the write service: they merge with the old row.
    """
    body = ctx.body
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    by_key = entity.field_by_v2() if ctx.strict else entity.field_by_v1()
    values: dict[str, Any] = {}
    for key, raw in body.items():
        f = by_key.get(key)
        if f is None or not f.writable or f.column is None:
            continue
        values[f.column] = coerce(f, key, raw, ctx.strict)
    if creating:
        for f in entity.fields:
            if f.required and f.column is not None and values.get(f.column) in (None, ""):
                key = f.v2 if ctx.strict else f.v1
                raise _bad(key or f.name, "is required")
    else:
        for f in entity.fields:
            if f.required and f.column in values and values[f.column] in (None, ""):
                key = f.v2 if ctx.strict else f.v1
                raise _bad(key or f.name, "must not be empty")
    return values


def read(ctx: Ctx, entity: Entity, old: dict[str, Any] | None = None) -> Input:
    """The body as the write service's input (``domain/unit.py: Input``): column values,
    and, raw, what the entity parses itself and the custom values (the service parses
    those: ``domain/custom_values.py``)."""
    values = parse(ctx, entity, creating=old is None)
    body = ctx.body
    own = {k: body[k] for k in entity.own_keys if k in body}
    custom = body if not ctx.strict else {} if body.get("custom_fields") is None else body["custom_fields"]
    return Input(values, own, frozenset(body), ctx.api, custom)


def body_ref(ctx: Ctx, key: str, target: Entity) -> dict[str, Any]:
    """The live row of ``target`` a required body id names (``user_id``, ``person_id``…), else 400."""
    body = ctx.body
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    if body.get(key) in (None, ""):
        raise _bad(key, "is required")
    row_id = coerce(Field(key, "int", ref=target.name), key, body[key], ctx.strict)
    row = repo.get(ctx.conn, target.table, ctx.company_id, row_id)
    if row is None or row.get("is_deleted") or not row.get("active_flag", True):
        raise _bad(key, f"{target.label} with id {row_id} not found")
    return row
