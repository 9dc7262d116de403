"""Presenters: pure functions from stored rows to each version's JSON shape.

v2: RFC 3339 times, plain ids, booleans, ``custom_fields`` as an object.
v1: ``YYYY-MM-DD HH:MM:SS`` times, references inflated into objects with a ``value`` key,
``visible_to`` as a string, label ids as a comma string, custom fields as flat keys.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import orjson

from dealbase.clock import to_v2
from dealbase.domain.entity import Entity, Field

Row = dict[str, Any]


def _json_or(default: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return orjson.loads(value) if value else (default() if callable(default) else default)

    return convert


def _v2_converter(f: Field) -> Callable[[Any], Any] | None:
    if f.kind == "time":
        return to_v2
    if f.kind == "bool":
        return bool
    if f.kind == "ids":
        return _LIST
    if f.kind == "json":
        return _json_or(None)
    if f.kind == "num":
        return lambda v: v if v is None or not float(v).is_integer() else int(v)
    return None


_LIST = _json_or(list)


def _v1_converter(f: Field) -> Callable[[Any], Any] | None:
    if f.kind == "bool":
        return bool
    if f.kind == "ids":
        return lambda v: ",".join(str(i) for i in orjson.loads(v)) if v and v != "[]" else None
    if f.kind == "json":
        return _json_or(None)
    if f.kind == "visible_to":
        return lambda v: None if v is None else str(v)
    if f.kind == "num":
        return lambda v: v if v is None or not float(v).is_integer() else int(v)
    return None


@cache
def _v2_plan(entity: Entity) -> tuple[list[tuple[str, str, Any]], dict[str, tuple[str, Any]]]:
    always, optional = [], {}
    for f in entity.fields:
        if f.v2 is None or f.column is None:
            continue
        item = (f.v2, f.column, _v2_converter(f))
        if f.optional:
            optional[f.v2] = item[1:]
        else:
            always.append(item)
    return always, optional


@cache
def _v1_plan(entity: Entity) -> list[tuple[str, str, Any, str | None]]:
    return [
        (f.v1, f.column, _v1_converter(f), f.ref)
        for f in entity.fields
        if f.v1 is not None and f.column is not None
    ]


def v2(entity: Entity, row: Row, include: frozenset[str] = frozenset(), custom_keys: frozenset[str] | None = None) -> dict[str, Any]:
    always, optional = _v2_plan(entity)
    out: dict[str, Any] = {}
    for key, column, convert in always:
        value = row[column]
        if value is not None:
            out[key] = convert(value) if convert is not None else value
        else:
            out[key] = [] if convert is _LIST else None
    for key in include:
        spec = optional.get(key)
        if spec is not None:
            value = row[spec[0]]
            out[key] = spec[1](value) if spec[1] is not None and value is not None else value
    if entity.has_custom_fields:
        fields = orjson.loads(row["custom_fields"]) if row.get("custom_fields") else {}
        if custom_keys is not None:
            fields = {k: v for k, v in fields.items() if k in custom_keys}
        out["custom_fields"] = fields
    return out


def v1(entity: Entity, row: Row, refs: dict[str, dict[int, dict[str, Any]]]) -> dict[str, Any]:
    """The v1 object; ``refs`` maps a referenced entity name to compact objects by id."""
    out: dict[str, Any] = {}
    for key, column, convert, ref in _v1_plan(entity):
        value = row[column]
        if value is None:
            out[key] = None
        elif ref is not None and ref in refs:
            compact = refs[ref].get(value)
            out[key] = {**compact, "value": value} if compact is not None else value
        else:
            out[key] = convert(value) if convert is not None else value
    if entity.has_custom_fields and row.get("custom_fields"):
        out.update(orjson.loads(row["custom_fields"]))
    return out
