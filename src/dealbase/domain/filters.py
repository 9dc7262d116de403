"""Saved filters: what a condition tree means, checked when it is saved and when it is used.

A filter's ``conditions`` are Pipedrive's JSON: groups ``{"glue": "and"|"or", "conditions":
[…]}`` holding conditions ``{"object", "field_id", "operator", "value", "extra_value"}``.
``field_id`` is a field's v1 id (``/v1/dealFields`` …) — its key is taken too. Each
condition is *resolved* here into a ``Cond``: the field (a column, or a path in the
``custom_fields`` JSON), its filter type (which operators it takes) and the parsed value;
``store/filter_sql.py`` turns the resolved tree into SQL. Nothing is evaluated per row.

What the operators mean (``x`` the row's value, null when unset):

- ``=`` / ``<`` / ``>`` / ``<=`` / ``>=``: a null ``x`` never matches; text compares without
  case; a date is a day (or a relative interval: ``this_week`` …), so ``=`` is "within",
  ``<`` "before its start", ``<=`` "before its end", ``>`` "from its end on", ``>=`` "from
  its start on".
- ``!=``, ``NOT LIKE …``, ``not_contains``, ``does_not_end_at``: the negation of the positive
  form, so an unset value matches ("is not X" includes the empty ones).
- ``LIKE '%$%'`` contains, ``LIKE '$%'`` starts with, ``LIKE '%$'`` ends with (no case).
- sets (labels, set fields): ``=`` / ``contains`` hold the option; ``IS NULL`` also means empty.
- date and time ranges: the plain operators are on the start, ``ends_*`` on the end,
  ``includes`` is "the range overlaps the day".
- ``has_been`` (stages): the row is in the stage now or entered it once (a change event
  whose new ``stage_id`` it is).
- a condition on a related object (a deal's person or organization, a person's deals…)
  matches when a live related row matches it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from typing import Any

import orjson

from dealbase import clock
from dealbase.clock import add_months
from dealbase.conditions import Cond, Group, Target
from dealbase.domain.entity import Entity, Field
from dealbase.domain.fields import SYSTEM_BASE, Custom
from dealbase.domain.registry import ENTITIES, register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store.tables import filters as table

# Filter type → the entity it lists.
TYPES = {
    "deals": "deal",
    "leads": "lead",
    "org": "organization",
    "people": "person",
    "products": "product",
    "activity": "activity",
    "projects": "project",
}
MAX_CONDITIONS = 16
MAX_DEPTH = 3

# How a condition on another object reaches the filtered rows: (filtered, object) →
# ("out", column of the filtered row pointing at the object) or ("in", column of the
# object pointing at the filtered row).
LINKS: dict[tuple[str, str], tuple[str, str]] = {
    ("deal", "person"): ("out", "person_id"),
    ("deal", "organization"): ("out", "org_id"),
    ("deal", "activity"): ("in", "deal_id"),
    ("lead", "person"): ("out", "person_id"),
    ("lead", "organization"): ("out", "org_id"),
    ("person", "organization"): ("out", "org_id"),
    ("person", "deal"): ("in", "person_id"),
    ("person", "activity"): ("in", "person_id"),
    ("organization", "deal"): ("in", "org_id"),
    ("organization", "person"): ("in", "org_id"),
    ("organization", "activity"): ("in", "org_id"),
    ("activity", "deal"): ("out", "deal_id"),
    ("activity", "person"): ("out", "person_id"),
    ("activity", "organization"): ("out", "org_id"),
}

# -- operators -----------------------------------------------------------------------

_COMPARE = ("=", "!=", ">", "<", ">=", "<=")
_EMPTY = ("IS NULL", "IS NOT NULL")
_LIKES = ("LIKE '%$%'", "LIKE '$%'", "NOT LIKE '$%'")
# Still understood, no longer offered (the helpers list them apart).
DEPRECATED = ("NOT LIKE '%$%'", "LIKE '%$'", "NOT LIKE '%$'")
_RANGE = (
    "=",
    "!=",
    "ends_at",
    "does_not_end_at",
    "<",
    "<=",
    "ends_before",
    "ends_e_before",
    ">",
    "ends_after",
    ">=",
    "ends_e_after",
    "includes",
    *_EMPTY,
)
_IS = ("=", "!=")

# Filter type → the operators it takes, in the order the helpers list them.
OPERATORS: dict[str, tuple[str, ...]] = {
    "int": _COMPARE + _EMPTY,
    "double": _COMPARE + _EMPTY,
    "monetary": _COMPARE + _EMPTY,
    "time": _COMPARE + _EMPTY,
    "date": _COMPARE + _EMPTY,
    "timerange": _RANGE,
    "daterange": _RANGE,
    "varchar": _IS + _EMPTY + _LIKES,
    "stage": (*_IS, "has_been"),
    "title": ("=", *_LIKES),
    "set": (*_IS, "contains", "not_contains", *_EMPTY),
    "enum": _IS + _EMPTY,
    "deal": _IS + _EMPTY,
    "product": _IS + _EMPTY,
    "user": (*_IS, *_EMPTY, "belongs_to_team"),
    "status": _IS,
    "visible_to": _IS,
    "currency": _IS,
    "pipeline": _IS,
    "person": _IS + _EMPTY,
    "organization": _IS + _EMPTY,
}
# Types that are not Pipedrive's own but fields here have (yes/no flags).
_EXTRA_TYPES = {"boolean": _IS}
# Documented, but nothing here records what they need.
UNSUPPORTED = {"belongs_to_team": "teams"}

_LABELS = {
    "=": "is",
    "!=": "is not",
    ">": "is more than",
    "<": "is less than",
    ">=": "is more or equal to",
    "<=": "is less or equal to",
    "IS NULL": "is empty",
    "IS NOT NULL": "is not empty",
    "LIKE '%$%'": "contains",
    "LIKE '$%'": "starts with",
    "NOT LIKE '$%'": "does not start with",
    "NOT LIKE '%$%'": "does not contain",
    "LIKE '%$'": "ends with",
    "NOT LIKE '%$'": "does not end with",
    "has_been": "has been",
    "contains": "contains",
    "not_contains": "does not contain",
    "belongs_to_team": "belongs to team",
    "ends_at": "ends at",
    "does_not_end_at": "does not end at",
    "ends_before": "ends before",
    "ends_e_before": "ends exactly on or before",
    "ends_after": "ends after",
    "ends_e_after": "ends exactly or after",
    "includes": "does include",
}
_TIME_LABELS = {
    "<": "is before",
    ">": "is after",
    ">=": "is exactly or after than",
    "<=": "is exactly or before than",
}
_DATE_LABELS = {
    ">": "is later than",
    "<": "is earlier than",
    ">=": "is exactly or later than",
    "<=": "is exactly or earlier than",
}
_RANGE_LABELS = {
    "=": "starts at",
    "!=": "does not start at",
    "<": "starts before",
    "<=": "starts exactly on or before",
    ">": "starts after",
    ">=": "starts exactly or after",
}
_TYPE_LABELS = {"time": _TIME_LABELS, "date": _DATE_LABELS, "timerange": _RANGE_LABELS, "daterange": _RANGE_LABELS}

_CANONICAL = {op.upper(): op for ops in (*OPERATORS.values(), DEPRECATED) for op in ops}


def operator_labels(ftype: str) -> dict[str, str]:
    own = _TYPE_LABELS.get(ftype, {})
    return {op: own.get(op, _LABELS[op]) for op in OPERATORS[ftype]}


# -- relative dates --------------------------------------------------------------------

_INTERVALS = (
    "last_quarter",
    "this_quarter",
    "last_month",
    "this_month",
    "last_week",
    "this_week",
    "next_week",
    "next_month",
)
_MONTHS_AGO = tuple(f"{n}_months_ago" for n in range(6, 0, -1))
_WEEKS_AGO = tuple(f"{n}_weeks_ago" if n > 1 else "1_week_ago" for n in range(3, 0, -1))
_DAYS = (
    "yesterday",
    "before_today",
    "today",
    "now",
    "later_or_today",
    "before_tomorrow",
    "tomorrow",
    "later_or_tomorrow",
)
_WEEKS_IN = tuple(f"in_{n}_week" + ("s" if n > 1 else "") for n in range(1, 4))
_MONTHS_IN = tuple(f"in_{n}_month" + ("s" if n > 1 else "") for n in range(1, 7))
RELATIVE_DATES = _INTERVALS + _MONTHS_AGO + _WEEKS_AGO + _DAYS + _WEEKS_IN + _MONTHS_IN


def _relative_label(key: str) -> str:
    words = key.split("_")
    if words[0].isdigit():
        unit = words[1] if words[0] != "1" else words[1].rstrip("s")
        return f"{words[0]} {unit} ago"
    label = " ".join(words)
    return {"later or today": "today or later", "later or tomorrow": "tomorrow or later"}.get(label, label)


def relative_dates() -> dict[str, dict[str, str]]:
    return {
        "Relative date intervals": {k: _relative_label(k) for k in _INTERVALS},
        "Relative dates": {k: _relative_label(k) for k in RELATIVE_DATES if k not in _INTERVALS},
        "Deal specific": {"rotten_time": "Rotten time"},
    }


def today(now: Callable[[], str] | None = None) -> date:
    """The current UTC day by a clock (a unit's: the company's time; else ``clock.now``)."""
    return date.fromisoformat((now or clock.now)()[:10])


def relative_interval(key: str, day: date) -> tuple[date | None, date | None]:
    """A relative date → the half-open day interval ``[lo, hi)`` it means (None: unbounded)."""
    one = timedelta(days=1)
    week = day - timedelta(days=day.weekday())
    month = day.replace(day=1)
    quarter = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    fixed = {
        "this_week": (week, week + 7 * one),
        "last_week": (week - 7 * one, week),
        "next_week": (week + 7 * one, week + 14 * one),
        "this_month": (month, add_months(month, 1)),
        "last_month": (add_months(month, -1), month),
        "next_month": (add_months(month, 1), add_months(month, 2)),
        "this_quarter": (quarter, add_months(quarter, 3)),
        "last_quarter": (add_months(quarter, -3), quarter),
        "before_today": (None, day),
        "later_or_today": (day, None),
        "before_tomorrow": (None, day + one),
        "later_or_tomorrow": (day + one, None),
    }
    if key in fixed:
        return fixed[key]
    shift = {"yesterday": -1, "today": 0, "now": 0, "tomorrow": 1}.get(key)
    if shift is None:
        n = int(re.findall(r"\d+", key)[0]) * (-1 if key.endswith("ago") else 1)
        if "week" in key:
            shift = 7 * n
        else:
            target = add_months(month, n)
            last = (add_months(target, 1) - one).day
            moved = target.replace(day=min(day.day, last))
            return moved, moved + one
    moved = day + shift * one
    return moved, moved + one


# -- fields ----------------------------------------------------------------------------


_REF_FTYPES = {
    "user": "user",
    "person": "person",
    "organization": "organization",
    "stage": "stage",
    "pipeline": "pipeline",
    "deal": "deal",
    "product": "product",
}


def _system_target(entity: Entity, field_id: int, f: Field) -> Target | None:
    key = f.v1 or f.name
    if f.kind in ("json", "uuids") or f.column is None:
        return None
    if f.ref in _REF_FTYPES and f.kind == "int":
        return Target(field_id, key, _REF_FTYPES[f.ref], "id", f.column)
    if f.kind == "money":
        return Target(field_id, key, "monetary", "num", f.column, ("amount",))
    if f.kind in ("int", "num"):
        ftype = "monetary" if f.name == "value" else ("double" if f.kind == "num" else "int")
        return Target(field_id, key, ftype, "num", f.column)
    if f.kind in ("time", "date"):
        return Target(field_id, key, "time" if f.kind == "time" else "date", "day", f.column)
    if f.kind == "visible_to":
        return Target(field_id, key, "visible_to", "id", f.column, choices=(1, 3, 5, 7))
    if f.kind == "bool":
        return Target(field_id, key, "boolean", "bool", f.column)
    if f.kind == "ids":
        return Target(field_id, key, "set", "ids", f.column)
    if f.kind == "str":
        if f.choices is not None:
            return Target(field_id, key, "status", "choice", f.column, choices=f.choices)
        if f.name == "currency":
            return Target(field_id, key, "currency", "choice", f.column)
        if f.name == "title":
            return Target(field_id, key, "title", "text", f.column)
        return Target(field_id, key, "varchar", "text", f.column)
    return None


@cache
def system_targets(entity: Entity) -> dict[int, Target]:
    """The entity's filterable system fields by v1 id (ids as ``domain/fields.py`` gives them)."""
    out = {}
    for i, f in enumerate(entity.fields):
        field_id = SYSTEM_BASE.get(entity.name, 0) + i + 1
        target = _system_target(entity, field_id, f) if f.name not in ("id", "is_deleted") else None
        if target is not None:
            out[field_id] = target
    return out


_CUSTOM_VALUES = {
    "varchar": ("varchar", "text", ()),
    "varchar_auto": ("varchar", "text", ()),
    "text": ("varchar", "text", ()),
    "phone": ("varchar", "text", ()),
    "address": ("varchar", "text", ("value",)),
    "double": ("double", "num", ()),
    "monetary": ("monetary", "num", ("value",)),
    "date": ("date", "day", ()),
    "daterange": ("daterange", "day", ("value",)),
    "time": ("time", "clock", ("value",)),
    "timerange": ("timerange", "clock", ("value",)),
    "enum": ("enum", "option", ()),
    "set": ("set", "ids", ()),
    "user": ("user", "id", ()),
    "org": ("organization", "id", ()),
    "people": ("person", "id", ()),
}


def custom_target(f: Custom) -> Target | None:
    found = _CUSTOM_VALUES.get(f.field_type)
    if found is None:
        return None
    ftype, value, sub = found
    path = (f.key, *sub)
    end = (f.key, "until") if ftype in ("daterange", "timerange") else None
    choices = tuple(sorted(f.option_ids)) if ftype in ("enum", "set") else None
    return Target(f.id, f.key, ftype, value, "custom_fields", path, end, choices)


# -- conditions --------------------------------------------------------------------------


def _bad(what: str) -> BadInput:
    return BadInput(f"Validation failed: conditions: {what}")


_INT = re.compile(r"^\s*-?\d{1,18}\s*$", re.ASCII)
_NUM = re.compile(r"^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$", re.ASCII)
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$", re.ASCII)


def _text_of(value: Any) -> str | None:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def _day_interval(raw: Any, extra: Any, name: str, day: date) -> tuple[str | None, str | None]:
    for candidate in (extra, raw):
        if isinstance(candidate, str) and candidate in RELATIVE_DATES:
            lo, hi = relative_interval(candidate, day)
            return (lo.isoformat() if lo else None, hi.isoformat() if hi else None)
    if isinstance(raw, str):
        try:
            day = date.fromisoformat(raw.strip()[:10]) if len(raw.strip()) in (10, 19) else None
        except ValueError:
            day = None
        if day is not None:
            return day.isoformat(), (day + timedelta(days=1)).isoformat()
    raise _bad(f"{name}: value must be a date (YYYY-MM-DD) or a relative date (today, this_week, …)")


def _parse_value(target: Target, op: str, raw: Any, extra: Any, name: str, day: date) -> Any:
    if op in _EMPTY:
        return None
    if raw is None and not (target.value == "day" and isinstance(extra, str)):
        raise _bad(f"{name}: operator {op} needs a value")
    kind = target.value
    if op in _LIKES + DEPRECATED or kind == "text":
        text = _text_of(raw)
        if text is None:
            raise _bad(f"{name}: value must be text")
        return text
    if kind == "num":
        if isinstance(raw, str) and _NUM.match(raw):
            raw = float(raw)
        if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
            raise _bad(f"{name}: value must be a number")
        return raw
    if kind in ("id", "ids", "option"):
        if isinstance(raw, str) and _INT.match(raw):
            raw = int(raw)
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise _bad(f"{name}: value must be an id")
        if target.choices is not None and raw not in target.choices:
            raise _bad(f"{name}: value {raw} is not one of its options")
        return raw
    if kind == "choice":
        text = _text_of(raw)
        if text is None or (target.choices is not None and text not in target.choices):
            allowed = f" ({', '.join(target.choices)})" if target.choices else ""
            raise _bad(f"{name}: value must be one of its values{allowed}")
        return text
    if kind == "bool":
        if raw in (True, 1, "1", "true"):
            return True
        if raw in (False, 0, "0", "false"):
            return False
        raise _bad(f"{name}: value must be true or false")
    if kind == "day":
        return _day_interval(raw, extra, name, day)
    if kind == "clock":
        found = _CLOCK.match(raw.strip()) if isinstance(raw, str) else None
        if found is None:
            raise _bad(f"{name}: value must be a time (HH:MM or HH:MM:SS)")
        return f"{found[1]}:{found[2]}:{found[3] or '00'}"
    raise _bad(f"{name}: cannot be filtered on")


class Resolver:
    """Resolves a filter's conditions for one filtered entity, with the caller's fields.

    ``custom(entity)`` → the live custom fields of an entity (or None): the API layer
    passes its per-request definitions. ``day`` is the today relative dates count from.
    """

    def __init__(self, entity: Entity, custom, day: date) -> None:
        self.entity = entity
        self.custom = custom
        self.day = day
        self.count = 0

    def _target(self, entity: Entity, field_id: Any, name: str) -> Target:
        text = _text_of(field_id)
        if text is None or not text.strip():
            raise _bad(f"{name}: field_id is required")
        text = text.strip()
        system = system_targets(entity)
        defs = self.custom(entity)
        customs = {f.id: f for f in defs.fields} if defs else {}
        if _INT.match(text):
            found = system.get(int(text))
            if found is None and int(text) in customs:
                found = custom_target(customs[int(text)])
        else:
            found = next((t for t in system.values() if t.key == text), None)
            if found is None and defs and text in defs.by_key:
                found = custom_target(defs.by_key[text])
        if found is None:
            raise _bad(f"{name}: unknown {entity.name} field_id {text}")
        return found

    def condition(self, raw: Any, where: str) -> Cond:
        if not isinstance(raw, dict):
            raise _bad(f"{where}: each condition must be an object")
        self.count += 1
        if self.count > MAX_CONDITIONS:
            raise _bad(f"at most {MAX_CONDITIONS} conditions")
        obj = raw.get("object")
        entity = ENTITIES.get(obj) if isinstance(obj, str) else None
        link = None
        if entity is not self.entity:
            link = LINKS.get((self.entity.name, obj)) if entity is not None else None
            if link is None:
                raise _bad(f"{where}: object {obj!r} cannot be used in a {self.entity.name} filter")
        target = self._target(entity, raw.get("field_id"), where)
        name = f"{where} (field {target.key})"
        op_raw = raw.get("operator")
        op = _CANONICAL.get(op_raw.strip().upper()) if isinstance(op_raw, str) else None
        allowed = OPERATORS.get(target.ftype) or _EXTRA_TYPES[target.ftype]
        if target.ftype in ("varchar", "title"):
            allowed = allowed + DEPRECATED
        if op is None or op not in allowed:
            raise _bad(f"{name}: operator {op_raw!r} is not one of {', '.join(allowed)} for a {target.ftype} field")
        if op in UNSUPPORTED:
            raise _bad(f"{name}: operator {op} is not supported here (no {UNSUPPORTED[op]})")
        value = _parse_value(target, op, raw.get("value"), raw.get("extra_value"), name, self.day)
        return Cond(entity.name, link, target, op, value)

    def group(self, raw: Any, depth: int = 0, where: str = "conditions") -> Group:
        if not isinstance(raw, dict):
            raise _bad(f"{where}: must be an object with glue and conditions")
        glue = raw.get("glue")
        if not isinstance(glue, str) or glue.lower() not in ("and", "or"):
            raise _bad(f"{where}: glue must be 'and' or 'or'")
        if depth == 0 and glue.lower() != "and":
            raise _bad(f"{where}: the top-level group must be glued with 'and'")
        items = raw.get("conditions")
        if items is None:
            items = []
        if not isinstance(items, list):
            raise _bad(f"{where}: conditions must be an array")
        out: list[Group | Cond] = []
        for i, item in enumerate(items):
            here = f"{where}[{i}]"
            if item is None:
                continue
            if isinstance(item, dict) and "glue" in item:
                if depth + 1 >= MAX_DEPTH:
                    raise _bad(f"{here}: groups nest at most {MAX_DEPTH} deep")
                out.append(self.group(item, depth + 1, here))
            else:
                out.append(self.condition(item, here))
        return Group(glue.lower(), tuple(out))


def resolve(entity: Entity, conditions: Any, custom, now: Callable[[], str] | None = None) -> Group:
    """The condition tree of a filter over ``entity``, resolved and checked (400 naming the
    first bad part); relative dates count from the day of ``now`` (a unit's clock)."""
    if isinstance(conditions, str):
        try:
            conditions = orjson.loads(conditions)
        except orjson.JSONDecodeError:
            raise _bad("must be a JSON object") from None
    return Resolver(entity, custom, today(now)).group(conditions)


def normalized(conditions: Any, tree: Group) -> dict[str, Any]:
    """The stored form: the tree as given, each condition with its canonical operator,
    ``field_id`` / ``value`` / ``extra_value`` as strings, ``field_code`` and ``json_value_flag``."""
    if isinstance(conditions, str):
        conditions = orjson.loads(conditions)
    conds = iter(_flatten(tree))

    def walk(raw: dict[str, Any]) -> dict[str, Any]:
        items = []
        for item in raw.get("conditions") or []:
            if item is None:
                continue
            if "glue" in item:
                items.append(walk(item))
                continue
            cond = next(conds)
            items.append(
                {
                    "object": cond.entity,
                    "field_id": str(cond.target.field_id),
                    "operator": cond.op,
                    "value": _text_of(item.get("value")),
                    "extra_value": _text_of(item.get("extra_value")),
                    "json_value_flag": False,
                    "field_code": cond.target.key,
                }
            )
        return {"glue": raw["glue"].lower(), "conditions": items}

    return walk(conditions)


def _flatten(tree: Group) -> list[Cond]:
    out: list[Cond] = []
    for item in tree.items:
        out.extend(_flatten(item) if isinstance(item, Group) else [item])
    return out


# -- the helpers -------------------------------------------------------------------------


def helpers() -> dict[str, Any]:
    from dealbase.store.tables import ADDRESS_PARTS

    return {
        "operators": {ftype: operator_labels(ftype) for ftype in OPERATORS},
        "deprecated_operators": {op: _LABELS[op] for op in DEPRECATED},
        "relative_dates": relative_dates(),
        "address_field_components": {p: p.replace("_", " ").capitalize() for p in ADDRESS_PARTS},
    }


# -- the filter entity -------------------------------------------------------------------


def filtered_entity(kind: str) -> Entity:
    """The entity a filter type lists (400 for types whose entity is not here)."""
    entity = ENTITIES.get(TYPES.get(kind, ""))
    if entity is None:
        raise BadInput(f"Validation failed: type: {kind} filters cannot be made here (no {kind})")
    return entity


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        values["user_id"] = ctx.user_id
        values.setdefault("visible_to", 1)
        values["temporary_flag"] = False
    else:
        values.pop("type", None)  # a filter keeps its type
        if "conditions" not in values:
            raise BadInput("Validation failed: conditions: is required")
    entity = filtered_entity(values.get("type") or old["type"])
    if "conditions" in values:
        tree = resolve(entity, values["conditions"], ctx.custom_defs, ctx.clock)
        values["conditions"] = orjson.dumps(normalized(values["conditions"], tree)).decode()
    return values


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["active_flag"] = not row["is_deleted"]
        item["is_editable"] = row["user_id"] == ctx.user_id or bool(ctx.user.get("is_admin"))
        item["temporary_flag"] = None if row["temporary_flag"] is None else bool(row["temporary_flag"])


FILTER = register(
    Entity(
        name="filter",
        plural="filters",
        label="Filter",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True, nullable=False),
            Field("filter_code", "str", writable=False),
            Field("type", "str", choices=tuple(TYPES), nullable=False, required=True),
            Field("temporary_flag", "bool", writable=False),
            Field("user_id", "int", ref="user", writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
            Field("visible_to", "visible_to", nullable=False),
            Field("last_used_time", "time", writable=False),
            Field("custom_view_id", "int", writable=False),
            Field("conditions", "json", required=True, nullable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        rules=rules,
        v1_extra=v1_extra,
        v1_refs="plain",
        deleted_readable=False,
    )
)
