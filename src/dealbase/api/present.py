"""Presenters: pure functions from stored rows to each version's JSON shape.

v2: RFC 3339 times, plain ids, booleans, ``custom_fields`` as an object.
v1: ``YYYY-MM-DD HH:MM:SS`` times, references as the entity's ``v1_refs`` says (inflated
into objects with a ``value`` key by default),
``visible_to`` as a string, label ids as a comma string, custom fields as flat keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import orjson

from dealbase.clock import to_iso, to_v2
from dealbase.domain.common import num
from dealbase.domain.entity import Entity, Field

Row = dict[str, Any]


def _json_or(default: Any) -> Callable[[Any], Any]:
    def convert(value: Any) -> Any:
        return orjson.loads(value) if value else (default() if callable(default) else default)

    return convert


def _v1_converter(entity: Entity, f: Field) -> Callable[[Any], Any] | None:
    if f.kind == "bool":
        return bool
    if f.kind == "ids":
        return lambda v: ",".join(str(i) for i in orjson.loads(v)) if v and v != "[]" else None
    if f.kind in ("json", "money"):
        return _json_or(None)
    if f.kind == "uuids":
        return _json_or(list)
    if f.kind == "time" and entity.v1_iso_times:
        return to_iso
    if f.kind == "visible_to":
        return lambda v: None if v is None else str(v)
    if f.kind == "num":
        return num
    return None


def _fragment(value: Any) -> Any:
    # Stored JSON is ours and valid: hand it to the encoder as it is.
    return orjson.Fragment(value)


@dataclass(frozen=True)
class _Plan:
    build: Callable[[Row], dict[str, Any]]  # row → the version's object, stored fields only
    optional: dict[str, tuple[str, Callable[[Any], Any] | None]]  # v2 include_fields


def _compile(entries: list[tuple[str, str, Callable[[Any], Any] | None, Any]]) -> Callable[[Row], dict[str, Any]]:
    """One function with a single dict display for the whole object.

    Every list page calls it for each row; a generated display is several times faster
    than a loop over the plan. Keys and columns come from the entity declarations.
    """
    env: dict[str, Any] = {}
    parts = []
    for i, (key, column, convert, if_null) in enumerate(entries):
        if convert is None:
            parts.append(f"{key!r}: row[{column!r}]")
        else:
            env[f"c{i}"], env[f"n{i}"] = convert, if_null
            parts.append(f"{key!r}: (n{i} if (v{i} := row[{column!r}]) is None else c{i}(v{i}))")
    source = "def build(row):\n    return {" + ", ".join(parts) + "}\n"
    exec(compile(source, "<dealbase presenter>", "exec"), env)
    return env["build"]


def _plan(entity: Entity, version: str) -> _Plan:
    entries, optional = [], {}
    for f in entity.fields:
        key = f.v2 if version == "v2" else f.v1
        if key is None or f.column is None:
            continue
        if version == "v2":
            convert = {"time": to_v2, "bool": bool, "num": num, "ids": _fragment, "uuids": _fragment}.get(f.kind)
            if f.kind in ("json", "money"):
                convert = _fragment
            if_null = [] if f.kind in ("ids", "uuids") else None
        else:
            convert = _v1_converter(entity, f)
            if_null = [] if f.kind == "uuids" else None
        if version == "v2" and f.optional:
            optional[key] = (f.column, convert)
        else:
            entries.append((key, f.column, convert, if_null))
    return _Plan(_compile(entries), optional)


@cache
def _v2_plan(entity: Entity) -> _Plan:
    return _plan(entity, "v2")


@cache
def _v1_plan(entity: Entity) -> _Plan:
    return _plan(entity, "v1")


def v2(
    entity: Entity,
    row: Row,
    include: frozenset[str] = frozenset(),
    custom_keys: frozenset[str] | None = None,
    custom: Any = None,
    option_labels: bool = False,
) -> dict[str, Any]:
    """The v2 object; ``custom`` is the company's custom field definitions (``domain.field_defs.Defs``)."""
    plan = _v2_plan(entity)
    out = plan.build(row)
    if include:  # in the declaration's order, whatever order the caller named them in
        for key, (column, convert) in plan.optional.items():
            if key in include:
                value = row[column]
                out[key] = convert(value) if convert is not None and value is not None else value
    if entity.has_custom_fields:
        out["custom_fields"] = (
            custom.v2(row.get("custom_fields"), custom_keys, row.get("custom_fields_version"), option_labels)
            if custom
            else {}
        )
    return out


def inflated(refs: dict[str, dict[int, dict[str, Any]]]) -> dict[str, dict[int, dict[str, Any]]]:
    """Each compact object once more with its ``value`` key: how v1 puts it in place of an id.

    Made once per page and shared by every row that points at the same object.
    """
    return {name: {i: {**obj, "value": i} for i, obj in objs.items()} for name, objs in refs.items()}


def v1(entity: Entity, row: Row, inflated: dict[str, dict[int, dict[str, Any]]], custom: Any = None) -> dict[str, Any]:
    """The v1 object; ``inflated`` maps a referenced entity name to inflated objects by id,
    ``custom`` is the company's custom field definitions (``domain.field_defs.Defs``)."""
    out = _v1_plan(entity).build(row)
    for key, column, ref in _ref_fields(entity):
        objs = inflated.get(ref)
        if objs:
            obj = objs.get(row[column])
            if obj is not None:
                out[key] = obj
    if custom:
        custom.v1_into(out, row.get("custom_fields"), entity.v1_custom_nulls)
    return out


@cache
def _ref_fields(entity: Entity) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (f.v1, f.column, f.ref)
        for f in entity.fields
        if f.ref is not None and f.v1 is not None and f.column is not None
    )
