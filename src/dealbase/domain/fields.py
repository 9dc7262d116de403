"""Fields: the system fields an entity declares and the custom fields a company adds.

System fields are derived from the entity declarations (``domain/<family>.py``): they are
not stored, their ids come from their place in the declaration. Custom fields live in the
``fields`` table and are addressed by a random 40-hex key (v1 ``key``, v2 ``field_code``).

A custom value is stored in ONE canonical form, in the entity row's ``custom_fields`` JSON
keyed by field key — the v2 form:

=============== ===============================================================================
varchar, text…  ``"text"``
double          ``500`` / ``1.5``
monetary        ``{"value": 500, "currency": "USD"}``
date            ``"2024-01-01"``
daterange       ``{"value": "2024-01-01", "until": "2024-02-01"}``
time            ``{"value": "09:00:00", "timezone_id": 302, "timezone_name": "Europe/Tallinn"}``
timerange       the same with ``"until": "17:00:00"``
enum            ``12`` (option id)
set             ``[12, 13]`` (option ids)
user/org/people ``7`` (row id)
address         ``{"value": "…", "route": …, …, "formatted_address": …}``
=============== ===============================================================================

An unset value is an absent key. v1's flat keys (``<key>_currency`` …) are made from it on
the way out and parsed into it on the way in.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import orjson

from dealbase.clock import parse_date
from dealbase.domain.common import NUMBER, check_currency, num
from dealbase.domain.entity import Entity, Field
from dealbase.domain.ids import INTEGER as _INT
from dealbase.errors import BadInput
from dealbase.store.tables import ADDRESS_PARTS

# Which entity types have a field set, and the name their fields go by in change events.
FIELD_ENTITY = {
    "deal": "dealField",
    "person": "personField",
    "organization": "organizationField",
    "product": "productField",
    "project": "projectField",
}

# Types a custom field can be created with here. (v1 also takes visible_to: not built yet.)
CUSTOM_TYPES = (
    "varchar",
    "varchar_auto",
    "text",
    "double",
    "monetary",
    "phone",
    "date",
    "daterange",
    "time",
    "timerange",
    "enum",
    "set",
    "user",
    "org",
    "people",
    "address",
)
OPTION_TYPES = ("enum", "set")
REF_TYPES = {"user": "user", "org": "organization", "people": "person"}
TEXT_LIMITS = {"varchar": 255, "varchar_auto": 255, "phone": 255, "text": 65535}
MAX_OPTIONS = 10_000
MAX_NAME = 255
# System field ids: the entity's base plus the field's place in its declaration (append new
# fields to a declaration: ids must not move). Custom field ids come from the fields table,
# whose sequence starts at 1000, above every system id.
SYSTEM_BASE = {
    "deal": 0,
    "person": 200,
    "organization": 400,
    "lead": 600,
    "note": 700,
    "activity": 800,
    "product": 900,
    "project": 950,
}
# A bool field the v1 fields API shows as an enum (``Field.field_type``): 1 / 0.
YES_NO = [{"id": 1, "label": "Yes"}, {"id": 0, "label": "No"}]

def new_key() -> str:
    return secrets.token_hex(20)


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: custom field '{key}': {what}")


# -- system fields ---------------------------------------------------------------------


@dataclass(frozen=True)
class SystemField:
    id: int
    v1: str | None
    v2: str | None
    name: str
    type_v1: str
    type_v2: str
    options: list[dict[str, Any]] | None
    required: bool
    writable: bool
    sortable: bool
    optional: bool


_NAMES = {
    "owner_id": "Owner",
    "user_id": "Owner",
    "org_id": "Organization",
    "person_id": "Contact person",
    "label_ids": "Labels",
    "creator_id": "Creator",
}
_REF_TYPES_V1 = {"user": "user", "person": "people", "organization": "org"}
_REF_TYPES_V2 = {"user": "user", "person": "people", "organization": "org", "stage": "stage", "deal": "deal"}


def _types(entity: Entity, f: Field) -> tuple[str | None, str]:
    """(v1 type, v2 type) of a system field; v1 ``None``: not listed in v1.

    v1's schema only takes the types a custom field can have, so system fields are typed
    within those there.
    """
    if f.field_type is not None:
        return f.field_type, f.field_type
    if f.name == "value" and entity.name == "deal":
        return "monetary", "monetary"
    if f.name == "address":
        return "address", "address"
    if f.kind == "money":
        return "monetary", "monetary"
    if f.kind == "uuids":
        return "set", "set"
    if f.ref is not None:
        return _REF_TYPES_V1.get(f.ref, "double"), _REF_TYPES_V2.get(f.ref, "int")
    if f.kind == "visible_to" and entity.name == "product":
        return "enum", "visible_to"  # v1's product field schema has no visible_to type
    if f.choices is not None:
        return "enum", "status" if f.name == "status" else "varchar_options"
    return {
        "int": ("double", "int"),
        "num": ("double", "double"),
        "str": ("varchar", "varchar"),
        "bool": (None, "boolean"),
        "time": ("date", "date"),
        "date": ("date", "date"),
        "ids": ("set", "set"),
        "json": ("phone" if f.name == "phones" else "varchar", "phone" if f.name == "phones" else "varchar"),
        "visible_to": ("visible_to", "visible_to"),
    }[f.kind]


@cache
def system_fields(entity: Entity) -> tuple[SystemField, ...]:
    out = []
    for i, f in enumerate(entity.fields):
        if f.column is None:
            continue
        type_v1, type_v2 = _types(entity, f)
        v1 = f.v1 if type_v1 is not None and f.name != "id" else None
        options = [{"id": c, "label": c.capitalize()} for c in f.choices] if f.choices else None
        if f.kind == "bool" and type_v1 == "enum":
            options = YES_NO
        out.append(
            SystemField(
                id=SYSTEM_BASE[entity.name] + i + 1,
                v1=v1,
                v2=f.v2,
                name=f.label or _NAMES.get(f.name, f.name.replace("_", " ").capitalize().replace(" id", "")),
                type_v1=type_v1 or "varchar",
                type_v2=type_v2,
                options=options,
                required=f.required,
                writable=f.writable,
                sortable=f.v1 in entity.sort_v1,
                optional=f.optional,
            )
        )
    return tuple(out)


# -- custom fields ---------------------------------------------------------------------


def subfields(field_type: str) -> list[tuple[str, str, str]]:
    """(code, name template, type) of a custom type's subfields; v1 keys are ``<key>_<code>``.

    The first is the main value itself (v1's bare ``<key>``).
    """
    if field_type == "monetary":
        return [("value", "Amount of {}", "double"), ("currency", "Currency of {}", "varchar")]
    if field_type == "daterange":
        return [("value", "Start of {}", "date"), ("until", "End of {}", "date")]
    if field_type in ("time", "timerange"):
        until = [("until", "End of {}", "time")] if field_type == "timerange" else []
        zone = [("timezone_id", "Timezone of {}", "int"), ("timezone_name", "Timezone name of {}", "varchar")]
        return [("value", "{}", "time"), *until, *zone]
    if field_type == "address":
        parts = [(p, f"{p.replace('_', ' ').capitalize()} of {{}}", "varchar") for p in ADDRESS_PARTS]
        return [("value", "{}", "varchar"), *parts]
    return []


@dataclass(frozen=True)
class Custom:
    """One live custom field of the caller's company, with what its values need."""

    id: int
    key: str
    name: str
    field_type: str
    options: tuple[dict[str, Any], ...]
    option_ids: frozenset[int]
    # Option ids deleted from this field: stored values may still hold them.
    options_deleted: frozenset[int]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Custom:
        options = tuple(row_options(row))
        ids = frozenset(o["id"] for o in options)
        deleted = frozenset(o["id"] for o in options_deleted(row))
        return cls(row["id"], row["key"], row["name"], row["field_type"], options, ids, deleted)

    # -- values in ---------------------------------------------------------------------

    def v2_in(self, value: Any, user: dict[str, Any]) -> Any:
        """A v2 ``custom_fields`` value → the canonical form (strict types), or a 400."""
        if value is None:
            return None
        t, key = self.field_type, self.key
        if t in TEXT_LIMITS:
            return _text(key, value, TEXT_LIMITS[t])
        if t == "double":
            return _number(key, value, strict=True)
        if t == "monetary":
            if not isinstance(value, dict):
                raise _bad(key, "must be an object with value and currency")
            amount = value.get("value")
            if amount is None:
                return None
            currency = value.get("currency") or user["default_currency"]
            if not isinstance(currency, str):
                raise _bad(key, "currency must be a string")
            return {"value": _number(key, amount, strict=True), "currency": _currency(key, currency)}
        if t == "date":
            return _date(key, value)
        if t == "daterange":
            if not isinstance(value, dict):
                raise _bad(key, "must be an object with value and until")
            return _range(key, value.get("value"), value.get("until"))
        if t in ("time", "timerange"):
            if not isinstance(value, dict):
                raise _bad(key, "must be an object with value" + (" and until" if t == "timerange" else ""))
            return _time_value(key, t, value.get, user)
        if t == "enum":
            return self._option(value, strict=True)
        if t == "set":
            if not isinstance(value, list) or not value:
                raise _bad(key, "must be a non-empty array of option ids (null clears it)")
            return self._options(value, strict=True)
        if t in REF_TYPES:
            return _ref(key, value, strict=True)
        if t == "address":
            if not isinstance(value, dict):
                raise _bad(key, "must be an object with value")
            return _address(key, value.get("value"), lambda part: value.get(part))
        raise _bad(key, f"fields of type {t} cannot be written yet")

    def v1_in(self, body: dict[str, Any], old: Any, user: dict[str, Any]) -> tuple[bool, Any]:
        """v1 flat keys → (sent?, canonical value). Lenient, as v1 is."""
        t, key = self.field_type, self.key
        if t == "monetary":
            sent_value, sent_currency = key in body, f"{key}_currency" in body
            if not (sent_value or sent_currency):
                return False, None
            amount = _blank(body[key]) if sent_value else (old or {}).get("value")
            if amount is None:
                return True, None
            currency = _blank(body.get(f"{key}_currency")) if sent_currency else (old or {}).get("currency")
            currency = currency if isinstance(currency, str) else user["default_currency"]
            return True, {"value": _number(key, amount, strict=False), "currency": _currency(key, currency)}
        if t == "daterange":
            sent_value, sent_until = key in body, f"{key}_until" in body
            if not (sent_value or sent_until):
                return False, None
            start = _blank(body[key]) if sent_value else (old or {}).get("value")
            until = _blank(body[f"{key}_until"]) if sent_until else (old or {}).get("until")
            if start is None and until is None:
                return True, None
            return True, _range(key, start, until)
        if t in ("time", "timerange"):
            codes = [code for code, _n, _t in subfields(t)]
            flat = {code: key if code == "value" else f"{key}_{code}" for code in codes}
            if not any(k in body for k in flat.values()):
                return False, None
            kept = old or {}

            def given(code: str) -> Any:
                k = flat.get(code)
                return _blank(body[k]) if k is not None and k in body else kept.get(code)

            if given("value") is None:
                return True, None
            if any(flat[c] in body for c in ("timezone_id", "timezone_name")):
                # A zone sent now replaces the stored one (by id or by name, not both stale).
                kept = {c: v for c, v in kept.items() if c not in ("timezone_id", "timezone_name")}
            return True, _time_value(key, t, given, user)
        if t == "address":
            part_keys = [f"{key}_{p}" for p in ADDRESS_PARTS]
            if key not in body and not any(k in body for k in part_keys):
                return False, None
            value = _blank(body[key]) if key in body else (old or {}).get("value")
            if value is None:
                return True, None
            old_parts = old or {}

            def part(p: str) -> Any:
                k = f"{key}_{p}"
                return _blank(body[k]) if k in body else old_parts.get(p)

            return True, _address(key, value, part, lenient=True)
        if key not in body:
            return False, None
        value = _blank(body[key])
        if value is None:
            return True, None
        if t in TEXT_LIMITS:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(num(value))
            return True, _text(key, value, TEXT_LIMITS[t])
        if t == "double":
            return True, _number(key, value, strict=False)
        if t == "date":
            return True, _date(key, value)
        if t == "enum":
            return True, self._option(value, strict=False)
        if t == "set":
            if isinstance(value, str):
                value = [p.strip() for p in value.split(",") if p.strip()]
            elif not isinstance(value, list):
                value = [value]
            return True, self._options(value, strict=False) if value else None
        if t in REF_TYPES:
            if isinstance(value, dict):
                value = value.get("value", value.get("id"))
            return True, _ref(key, value, strict=False)
        raise _bad(key, f"fields of type {t} cannot be written yet")

    def _option(self, value: Any, strict: bool) -> int:
        if not strict and isinstance(value, str):
            text = value.strip()
            if _INT.match(text):
                value = int(text)
            else:  # v1 also takes an option's label
                found = [o["id"] for o in self.options if o["label"] == text]
                if found:
                    value = found[0]
        if isinstance(value, bool) or not isinstance(value, int):
            raise _bad(self.key, "must be an option id (integer)")
        if value not in self.option_ids:
            raise _bad(self.key, f"option id {value} does not exist")
        return value

    def _options(self, values: list[Any], strict: bool) -> list[int]:
        ids = [self._option(v, strict) for v in values]
        return list(dict.fromkeys(ids))

    # -- values out --------------------------------------------------------------------

    def with_labels(self, value: Any) -> Any:
        """An enum or set value as ``{id, label}`` objects (v2 ``include_option_labels``)."""
        labels = {o["id"]: o["label"] for o in self.options}
        if self.field_type == "enum":
            return {"id": value, "label": labels.get(value)}
        return [{"id": i, "label": labels.get(i)} for i in value]

    def typed(self, value: Any) -> Any:
        """A value as v2 webhooks carry it: wrapped with its field type (ids of options and
        referenced items as ``id`` / ``values``), null when unset."""
        t = self.field_type
        if value is None:
            return None
        if isinstance(value, dict):  # monetary, date and time ranges, address: their parts
            return {"type": t, **value}
        if t == "set" and isinstance(value, list):
            return {"type": t, "values": [{"id": i} for i in value]}
        if t == "enum" or t in REF_TYPES:
            return {"type": t, "id": value}
        return {"type": t, "value": value}

    def live_value(self, value: Any) -> Any:
        """The stored value without options deleted since it was written."""
        if self.field_type == "enum":
            return value if value in self.option_ids else None
        if self.field_type == "set" and isinstance(value, list):
            ids = self.option_ids
            kept = [i for i in value if i in ids]
            return kept or None
        return value

    @property
    def v1_keys(self) -> tuple[str, ...]:
        """Every flat key this field has in a v1 object."""
        subs = subfields(self.field_type)
        return (self.key, *(f"{self.key}_{code}" for code, _n, _t in subs[1:]))

    def v1_writer(self) -> Callable[[dict[str, Any], Any], None]:
        """A function putting a canonical value's v1 keys into an object, made once per field.

        The keys are worked out here rather than per row: a v1 page writes every custom
        field of every row.
        """
        t, key = self.field_type, self.key
        if t == "monetary":
            currency_key = f"{key}_currency"

            def monetary(out: dict[str, Any], value: Any) -> None:
                out[key] = num(value["value"])
                out[currency_key] = value["currency"]

            return monetary
        if t == "address":
            parts = tuple((f"{key}_{part}", part) for part in ADDRESS_PARTS)

            def address(out: dict[str, Any], value: Any) -> None:
                out[key] = value.get("value")
                for out_key, part in parts:
                    out[out_key] = value.get(part)

            return address
        if t == "enum":

            def enum(out: dict[str, Any], value: Any) -> None:
                out[key] = str(value)

            return enum
        if t == "double":

            def double(out: dict[str, Any], value: Any) -> None:
                out[key] = num(value)

            return double
        if t == "set":

            def many(out: dict[str, Any], value: Any) -> None:
                out[key] = ",".join(map(str, value))

            return many
        if t == "daterange":
            until_key = f"{key}_until"

            def daterange(out: dict[str, Any], value: Any) -> None:
                out[key] = value["value"]
                out[until_key] = value["until"]

            return daterange
        if t in ("time", "timerange"):
            return lambda out, value: out.update(self.v1_out(value))

        def plain(out: dict[str, Any], value: Any) -> None:
            out[key] = value

        return plain

    def v1_out(self, value: Any) -> dict[str, Any]:
        """A canonical value → v1's flat keys (nothing for unset: the caller nulls them)."""
        t, key = self.field_type, self.key
        if t == "monetary":
            return {key: num(value["value"]), f"{key}_currency": value["currency"]}
        if t == "daterange":
            return {key: value["value"], f"{key}_until": value["until"]}
        if t in ("time", "timerange") and isinstance(value, dict):
            return {key: value.get("value"), **{f"{key}_{c}": value.get(c) for c, _n, _t in subfields(t)[1:]}}
        if t == "address":
            out = {key: value.get("value")}
            for part in ADDRESS_PARTS:
                out[f"{key}_{part}"] = value.get(part)
            return out
        if t == "enum":
            return {key: str(value)}
        if t == "set":
            return {key: ",".join(str(i) for i in value)}
        if t == "double":
            return {key: num(value)}
        return {key: value}


def row_options(row: dict[str, Any]) -> list[dict[str, Any]]:
    """A field row's options (``[{id, label}]``; none for a type without)."""
    return orjson.loads(row["options"]) if row["options"] else []


def row_settings(row: dict[str, Any]) -> dict[str, Any]:
    """A field row's stored settings: v2's settings objects, the options deleted."""
    return orjson.loads(row["settings"]) if row.get("settings") else {}


def options_deleted(row: dict[str, Any]) -> list[dict[str, Any]]:
    """The options deleted from a field row (kept in its settings; v1 shows them)."""
    return row_settings(row).get("options_deleted", [])


def _blank(value: Any) -> Any:
    return None if value == "" else value


def _text(key: str, value: Any, limit: int) -> str:
    if not isinstance(value, str):
        raise _bad(key, "must be a string")
    if len(value) > limit:
        raise _bad(key, f"must be at most {limit} characters")
    return value


def _number(key: str, value: Any, strict: bool) -> float | int:
    if isinstance(value, str) and not strict and NUMBER.match(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad(key, "must be a number")
    if not math.isfinite(value) or abs(value) > 1e15:
        raise _bad(key, "must be a finite number")
    return num(value)


def _currency(key: str, code: str) -> str:
    return check_currency(code, key=f"custom field '{key}' currency")


def _date(key: str, value: Any) -> str:
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise _bad(key, "must be a date (YYYY-MM-DD)")
    return parsed


def _range(key: str, start: Any, until: Any) -> dict[str, str]:
    if start is None or until is None:
        raise _bad(key, "needs both a start date (value) and an end date (until)")
    first, last = _date(key, start), _date(key, until)
    if last < first:
        raise _bad(key, "the end date (until) must not be before the start date (value)")
    return {"value": first, "until": last}


_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$", re.ASCII)


def _time(key: str, value: Any) -> str:
    found = _TIME.match(value) if isinstance(value, str) else None
    if found is None:
        raise _bad(key, "must be a time of day (HH:MM or HH:MM:SS)")
    return f"{found[1]}:{found[2]}:{found[3] or '00'}"


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zone names, in a fixed order: a zone's ``timezone_id`` is its place here (from 1)."""
    return tuple(resources.files("tzdata").joinpath("zones").read_text().split())


def _zone(key: str, zone_id: Any, zone_name: Any, default: str) -> tuple[int, str]:
    zones = time_zones()
    if zone_name is not None:
        if not isinstance(zone_name, str) or zone_name not in zones:
            raise _bad(key, f"unknown timezone_name {zone_name!r} (an IANA name, e.g. Europe/London)")
    elif zone_id is not None:
        if isinstance(zone_id, str) and _INT.match(zone_id.strip()):
            zone_id = int(zone_id)
        if isinstance(zone_id, bool) or not isinstance(zone_id, int) or not 1 <= zone_id <= len(zones):
            raise _bad(key, f"unknown timezone_id {zone_id!r}")
        zone_name = zones[zone_id - 1]
    else:
        zone_name = default if default in zones else "UTC"
    return zones.index(zone_name) + 1, zone_name


def _time_value(key: str, field_type: str, given: Callable[[str], Any], user: dict[str, Any]) -> dict[str, Any] | None:
    """A time (``value``) or a time range (``value`` … ``until``) in a zone: the user's unless given."""
    start = given("value")
    if start is None:
        return None
    out: dict[str, Any] = {"value": _time(key, start)}
    if field_type == "timerange":
        until = given("until")
        if until is None:
            raise _bad(key, "needs both a start time (value) and an end time (until)")
        out["until"] = _time(key, until)
    zone_id, zone_name = _zone(key, given("timezone_id"), given("timezone_name"), user.get("timezone_name") or "UTC")
    out.update(timezone_id=zone_id, timezone_name=zone_name)
    return out


def _ref(key: str, value: Any, strict: bool) -> int:
    if not strict and isinstance(value, str) and _INT.match(value.strip()):
        value = int(value)
    if not strict and isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _bad(key, "must be a positive integer id")
    return value


def _address(key: str, value: Any, part: Callable[[str], Any], lenient: bool = False) -> dict[str, Any]:
    if lenient and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    out = {"value": _text(key, value, 512)}
    for p in ADDRESS_PARTS:
        v = part(p)
        if lenient and isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        out[p] = None if v is None else _text(f"{key}.{p}", v, 255)
    return out


# -- options -------------------------------------------------------------------------


def option_labels(raw: Any, key: str, *, need_ids: bool = False, need_labels: bool = True) -> list[dict[str, Any]]:
    """A list of option objects from a body (``[{label}]``; v1 also ``["Low", …]`` or a JSON string)."""
    if isinstance(raw, str):
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raw = [part.strip() for part in raw.split(",") if part.strip()]
    if not isinstance(raw, list):
        raise BadInput(f"Validation failed: {key}: must be an array of options")
    if len(raw) > MAX_OPTIONS:
        raise BadInput(f"Validation failed: {key}: at most {MAX_OPTIONS} options")
    out = []
    for item in raw:
        if isinstance(item, str):
            item = {"label": item}
        if not isinstance(item, dict):
            raise BadInput(f"Validation failed: {key}: each option must be an object with a label")
        option: dict[str, Any] = {}
        if need_ids or "id" in item:
            oid = item.get("id")
            if isinstance(oid, str) and _INT.match(oid):
                oid = int(oid)
            if isinstance(oid, bool) or not isinstance(oid, int):
                raise BadInput(f"Validation failed: {key}: each option needs an integer id")
            option["id"] = oid
        if need_labels:
            label = item.get("label")
            if not isinstance(label, str) or not label.strip() or len(label) > MAX_NAME:
                raise BadInput(f"Validation failed: {key}: each option needs a label of 1 to {MAX_NAME} characters")
            option["label"] = label
        out.append(option)
    return out


# -- v2 settings: ui_visibility, important_fields, required_fields --------------------------
#
# Each entity's fields take the objects its v2 *Fields operations document, with the keys
# documented there. The spec leaves the three objects open (additionalProperties); keys it
# does not name mean nothing here, so they are dropped rather than stored and answered back.
# The flags (``add_visible_flag``, ``enabled``…) are columns; the rest is kept as given.

Shape = Callable[[Any, str], Any] | dict[str, Any]
_BIGGEST = 2**63 - 1  # what the store and JSON hold
_PIPELINE_KEY = re.compile(r"[1-9][0-9]{0,18}")


def _setting_error(path: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {path}: {what}")


def _boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise _setting_error(path, "must be a boolean")
    return value


def _position(value: Any, path: str) -> int | None:
    if value is not None and (type(value) is not int or not 0 <= value <= _BIGGEST):
        raise _setting_error(path, "must be a non-negative integer or null")
    return value


def _id(value: Any, path: str) -> int:
    if type(value) is not int or not 0 < value <= _BIGGEST:
        raise _setting_error(path, "must be a positive integer id")
    return value


def _list(item: Callable[[Any, str], Any]) -> Callable[[Any, str], list[Any]]:
    def check(value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            raise _setting_error(path, "must be an array")
        return [item(v, f"{path}[{i}]") for i, v in enumerate(value)]

    return check


def _statuses(value: Any, path: str) -> dict[str, list[str]]:
    """Pipeline ids (as strings) → the statuses (won, lost) a deal is closed with there."""
    if not isinstance(value, dict):
        raise _setting_error(path, "must be an object of pipeline ids to arrays of statuses")
    out = {}
    for key, statuses in value.items():
        if _PIPELINE_KEY.fullmatch(key) is None or int(key) > _BIGGEST:
            raise _setting_error(f"{path}.{key}", "the key must be a pipeline id")
        out[key] = _list(_status)(statuses, f"{path}.{key}")
    return out


def _status(value: Any, path: str) -> str:
    if value not in ("won", "lost"):
        raise _setting_error(path, "must be one of won, lost")
    return value


_DIALOG = {"show": _boolean, "order": _position}
_UI = {"add_visible_flag": _boolean, "details_visible_flag": _boolean}
_IMPORTANT = {"enabled": _boolean, "stage_ids": _list(_id)}
_REQUIRED = {"enabled": _boolean}

SETTINGS: dict[str, dict[str, dict[str, Shape]]] = {
    "deal": {
        "ui_visibility": {
            **_UI,
            "projects_detail_visible_flag": _boolean,
            "show_in_pipelines": {"show_in_all": _boolean, "pipeline_ids": _list(_id)},
        },
        "important_fields": _IMPORTANT,
        "required_fields": {**_REQUIRED, "stage_ids": _list(_id), "statuses": _statuses},
    },
    "person": {
        "ui_visibility": {**_UI, "show_in_add_deal_dialog": _DIALOG},
        "important_fields": _IMPORTANT,
        "required_fields": _REQUIRED,
    },
    "organization": {
        "ui_visibility": {**_UI, "show_in_add_deal_dialog": _DIALOG, "show_in_add_person_dialog": _DIALOG},
        "important_fields": _IMPORTANT,
        "required_fields": _REQUIRED,
    },
    "product": {"ui_visibility": _UI},
    "project": {"ui_visibility": _UI, "important_fields": _IMPORTANT, "required_fields": _REQUIRED},
    "activity": {"ui_visibility": _UI},
}


def conform(value: Any, shape: Shape, path: str) -> Any:
    """``value`` checked against ``shape``, keys the shape does not name left out; else a 400 naming the path."""
    if callable(shape):
        return shape(value, path)
    if not isinstance(value, dict):
        raise _setting_error(path, "must be an object")
    return {key: conform(value[key], inner, f"{path}.{key}") for key, inner in shape.items() if key in value}


def dialogs_ordered(ui: dict[str, Any]) -> dict[str, Any]:
    """A dialog the field is not shown in has no position in it."""
    return {
        key: {**given, "order": None} if isinstance(given, dict) and given.get("show") is False else given
        for key, given in ui.items()
    }
