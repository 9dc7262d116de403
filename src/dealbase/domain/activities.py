"""Activities: calls, meetings, tasks… of the company's users, on deals, leads, persons and
organizations; and the counters (counts, next / last activity) they keep on those.

Rules:

- ``type`` is a live activity type's ``key_string`` of the company; unset, it is ``call``
  (or the company's first type if ``call`` is gone), and ``subject`` the type's name.
- ``due_date`` defaults to today (UTC); ``due_time`` and ``duration`` are ``HH:MM``.
- ``done`` becoming true stamps ``marked_as_done_time``; becoming false clears it.
- ``participants`` (v2 ``{person_id, primary}``, v1 ``{person_id, primary_flag}``) and
  ``person_id`` are kept together: the primary participant is the activity's person.
- ``lead_id`` is a reference: a live lead of the company (checked with the other references).
- Deleting a deal, person or organization leaves its activities as they are.

Counters on the parents: every live activity counts; the next activity is the undone one
due first (``due_date``, then ``due_time`` with all-day ones first, then id), the last
activity the done one due last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from sqlalchemy import ColumnElement

from dealbase.domain import counters, smart_bcc
from dealbase.domain.entity import Entity, Field
from dealbase.domain.ids import INTEGER
from dealbase.domain.lists import Listing, Param, by_ids, equals, id_filters, is_, updated
from dealbase.domain.registry import register
from dealbase.domain.unit import Input, Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import ADDRESS_PARTS, deals, organizations, persons, users
from dealbase.store.tables import activities as table

DEFAULT_TYPE = "call"
LOCATION_MAX = 512
TEXT_MAX = 65_535
MAX_PEOPLE = 500
# v2's location object: the address parts but the formatted address.
LOCATION_V2 = tuple(p for p in ADDRESS_PARTS if p != "formatted_address")
PARENTS = counters.PARENT_COLUMNS
ATTENDEE_KEYS = ("email", "name", "status", "is_organizer", "person_id", "user_id")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


# -- input ------------------------------------------------------------------------------


def _clock(values: dict[str, Any], key: str, max_hours: int) -> None:
    """``HH:MM`` (``H:MM`` and ``HH:MM:SS`` accepted) → ``HH:MM``; ``""`` → null."""
    if key not in values:
        return
    raw = values[key]
    if raw is None or raw == "":
        values[key] = None
        return
    match = _CLOCK.match(raw.strip())
    if not match or int(match.group(1)) > max_hours or int(match.group(2)) > 59:
        raise _bad(key, "must be a time as HH:MM")
    values[key] = f"{int(match.group(1)):02d}:{match.group(2)}"


def _text(value: Any, key: str, limit: int, lenient: bool) -> str | None:
    if value is None or (lenient and value == ""):
        return None
    if lenient and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise _bad(key, "must be a string")
    if len(value) > limit:
        raise _bad(key, f"must be at most {limit} characters")
    return value


def _int(value: Any, key: str, lenient: bool) -> int | None:
    if value is None or (lenient and value == ""):
        return None
    if lenient and isinstance(value, str) and INTEGER.match(value.strip()):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 2**53:
        raise _bad(key, "must be a positive integer")
    return value


def _flag(value: Any, key: str, lenient: bool) -> bool:
    if isinstance(value, bool):
        return value
    if lenient and value in (0, 1, "0", "1", "true", "false"):
        return value in (1, "1", "true")
    raise _bad(key, "must be a boolean")


def _location(values: dict[str, Any], old: dict[str, Any] | None, own: dict[str, Any], lenient: bool) -> None:
    if "location" not in own:
        return
    parts = {f"location_{p}": None for p in ADDRESS_PARTS}
    given = own["location"]
    if lenient:
        text = _text(given, "location", LOCATION_MAX, lenient=True)
        if old is None or text != old["location"]:
            values.update(parts)  # the parts described the old text
        values["location"] = text
        return
    values.update(parts, location=None)
    if given is None:
        return
    if not isinstance(given, dict):
        raise _bad("location", "must be an object")
    values["location"] = _text(given.get("value"), "location.value", LOCATION_MAX, lenient=False)
    for part in LOCATION_V2:
        values[f"location_{part}"] = _text(given.get(part), f"location.{part}", 255, lenient=False)


def _live_persons(ctx, ids: Iterable[int], key: str) -> None:
    ids = list(ids)
    found = repo.get_many(ctx.conn, persons, ctx.company_id, ids)
    for i in ids:
        row = found.get(i)
        if row is None or row["is_deleted"]:
            raise _bad(key, f"Person with id {i} not found")


def _participants(ctx, values: dict[str, Any], old: dict[str, Any] | None, own: dict[str, Any], lenient: bool) -> None:
    """``participants`` and ``person_id`` kept together (the primary one is the person)."""
    flag = "primary_flag" if lenient else "primary"
    if "participants" in own:
        given = own["participants"]
        if given is None or (lenient and given == ""):
            given = []
        if lenient and isinstance(given, str):
            try:
                given = orjson.loads(given)
            except orjson.JSONDecodeError:
                raise _bad("participants", "must be an array of objects") from None
        if not isinstance(given, list) or not all(isinstance(p, dict) for p in given):
            raise _bad("participants", "must be an array of objects")
        if len(given) > MAX_PEOPLE:
            raise _bad("participants", f"must have at most {MAX_PEOPLE} items")
        people: dict[int, bool] = {}
        for p in given:
            person_id = _int(p.get("person_id"), "participants.person_id", lenient)
            if person_id is None:
                raise _bad("participants.person_id", "is required")
            raw = p.get(flag, p.get("primary", False) if lenient else False)
            people.setdefault(person_id, _flag(raw if raw is not None else False, f"participants.{flag}", lenient))
        _live_persons(ctx, people, "participants")
        if sum(people.values()) > 1:
            raise _bad("participants", "only one participant can be primary")
        if "person_id" in values and values["person_id"] is not None:
            primary = values["person_id"]
        else:
            primary = next((i for i, p in people.items() if p), next(iter(people), None))
        listed = [{"person_id": i, "primary": i == primary} for i in people]
        if primary is not None and primary not in people:
            listed.insert(0, {"person_id": primary, "primary": True})
        values["participants"] = orjson.dumps(listed).decode()
        values["person_id"] = primary
    elif "person_id" in values:
        current = orjson.loads(old["participants"]) if old and old["participants"] else []
        person_id = values["person_id"]
        rest = [{**p, "primary": False} for p in current if not p["primary"] and p["person_id"] != person_id]
        primary = [{"person_id": person_id, "primary": True}] if person_id is not None else []
        values["participants"] = orjson.dumps(primary + rest).decode()
    elif old is None:
        values["participants"] = "[]"


def _attendees(ctx, values: dict[str, Any], own: dict[str, Any], lenient: bool) -> None:
    if "attendees" not in own:
        return
    given = own["attendees"]
    if given is None or (lenient and given == ""):
        values["attendees"] = None
        return
    if not isinstance(given, list) or not all(isinstance(a, dict) for a in given):
        raise _bad("attendees", "must be an array of objects")
    if len(given) > MAX_PEOPLE:
        raise _bad("attendees", f"must have at most {MAX_PEOPLE} items")
    email_key = "email_address" if lenient else "email"
    out = []
    for a in given:
        email = a.get(email_key, a.get("email") if lenient else None)
        item = {
            "email": _text(email, f"attendees.{email_key}", 255, lenient),
            "name": _text(a.get("name"), "attendees.name", 255, lenient),
            "status": _text(a.get("status"), "attendees.status", 64, lenient),
            "is_organizer": _flag(a.get("is_organizer", False) or False, "attendees.is_organizer", lenient),
            "person_id": _int(a.get("person_id"), "attendees.person_id", lenient),
            "user_id": _int(a.get("user_id"), "attendees.user_id", lenient),
        }
        if item["email"] is None and item["person_id"] is None and item["user_id"] is None:
            raise _bad("attendees", f"each attendee needs {email_key}, person_id or user_id")
        out.append(item)
    _live_persons(ctx, [a["person_id"] for a in out if a["person_id"] is not None], "attendees")
    user_ids = [a["user_id"] for a in out if a["user_id"] is not None]
    found = repo.get_many(ctx.conn, users, ctx.company_id, user_ids)
    for i in user_ids:
        if i not in found:
            raise _bad("attendees", f"User with id {i} not found")
    values["attendees"] = orjson.dumps(out).decode()


def _type(ctx, values: dict[str, Any], old: dict[str, Any] | None) -> None:
    types = repo.activity_type_keys(ctx.conn, ctx.company_id)
    if "type" in values:
        if values["type"] not in types:
            raise _bad("type", f"activity type '{values['type']}' not found (use an activity type's key_string)")
    elif old is None:
        if not types:
            raise _bad("type", "the company has no activity types")
        values["type"] = DEFAULT_TYPE if DEFAULT_TYPE in types else next(iter(types))
    if old is None and not values.get("subject"):
        values["subject"] = types[values["type"]]["name"]


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if "subject" in values and not values["subject"] and old is not None:
        raise _bad("subject", "must not be empty")
    _type(ctx, values, old)
    _clock(values, "due_time", 23)
    _clock(values, "duration", 99)
    _location(values, old, given.own, given.lenient)
    _participants(ctx, values, old, given.own, given.lenient)
    _attendees(ctx, values, given.own, given.lenient)
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values["creator_user_id"] = ctx.user_id
        values.setdefault("due_date", stamp[:10])
        values.setdefault("busy", False)
        values.setdefault("done", False)
    values["update_user_id"] = ctx.user_id
    if "done" in values:
        was_done = bool(old["done"]) if old else False
        if values["done"] and not was_done:
            values["marked_as_done_time"] = stamp
        elif not values["done"]:
            values["marked_as_done_time"] = None
    return values


# -- output -----------------------------------------------------------------------------

# v1 keys for things this server does not hold (calendar sync, recurrence, notifications).
V1_NOTHING = {
    "reference_type": None,
    "reference_id": None,
    "last_notification_time": None,
    "last_notification_user_id": None,
    "notification_language_id": None,
    "gcal_event_id": None,
    "google_calendar_id": None,
    "google_calendar_etag": None,
    "calendar_sync_include_context": None,
    "source_timezone": None,
    "rec_rule": None,
    "rec_rule_extension": None,
    "rec_master_activity_id": None,
    "series": [],
    "file": None,
}


def _v1_attendees(stored: str | None) -> list[dict[str, Any]] | None:
    if not stored:
        return None
    return [
        {"email_address": a["email"], **{k: a[k] for k in ATTENDEE_KEYS if k != "email"}} for a in orjson.loads(stored)
    ]


# The file each activity carries (a call's recording), by activity id: set by the call logs
# family (``domain/call_logs.py``); without it no activity has one.
attached_files: Callable[[Any, list[int]], dict[int, dict[str, Any]]] | None = None


def v1_extra(ctx, rows, items) -> None:
    people = ctx.rows(persons, (r["person_id"] for r in rows))
    orgs = ctx.rows(organizations, (r["org_id"] for r in rows))
    found_deals = ctx.rows(deals, (r["deal_id"] for r in rows))
    owners = ctx.rows(users, (r["owner_id"] for r in rows))
    bcc = smart_bcc.address(ctx)
    carried = attached_files(ctx, [r["id"] for r in rows]) if attached_files is not None else {}
    for row, item in zip(rows, items):
        person, org = people.get(row["person_id"]), orgs.get(row["org_id"])
        deal, owner = found_deals.get(row["deal_id"]), owners.get(row["owner_id"])
        item.update(V1_NOTHING)
        item["file"] = carried.get(row["id"])
        item["series"] = []
        item["company_id"] = row["company_id"]
        item["active_flag"] = not row["is_deleted"]
        item["assigned_to_user_id"] = row["owner_id"]
        item["participants"] = [
            {"person_id": p["person_id"], "primary_flag": p["primary"]} for p in item["participants"] or []
        ] or None
        item["attendees"] = _v1_attendees(row["attendees"])
        item["person_name"] = person["name"] if person else None
        item["org_name"] = org["name"] if org else None
        item["deal_title"] = deal["title"] if deal else None
        item["owner_name"] = owner["name"] if owner else None
        item["person_dropbox_bcc"] = bcc if row["person_id"] else None
        item["deal_dropbox_bcc"] = smart_bcc.address(ctx, f"deal{row['deal_id']}") if row["deal_id"] else None


def v2_extra(ctx, rows, items, include) -> None:
    for row, item in zip(rows, items):
        parts = {part: row[f"location_{part}"] for part in LOCATION_V2}
        has_location = row["location"] is not None or any(parts.values())
        item["location"] = {"value": row["location"], **parts} if has_location else None


# -- counters on deals, persons and organizations ------------------------------------------


def _hms(clock: str | None) -> str | None:
    return f"{clock}:00" if clock else None


def _empty(parent: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "activities_count": 0,
        "done_activities_count": 0,
        "undone_activities_count": 0,
        "next_activity_id": None,
        "next_activity_date": None,
        "next_activity_time": None,
        "last_activity_id": None,
        "last_activity_date": None,
    }
    if parent == "deal":
        values.update(
            next_activity_subject=None, next_activity_type=None, next_activity_duration=None, next_activity_note=None
        )
    return values


def _due(a: dict[str, Any]) -> tuple[str, bool, str, int]:
    return (a["due_date"], a["due_time"] is not None, a["due_time"] or "", a["id"])


@counters.source("activities")
def rollup(conn, company_id: int, parent: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    out = {i: _empty(parent) for i in ids}
    groups: dict[int, list[dict[str, Any]]] = {}
    for a in repo.activity_rollup(conn, company_id, PARENTS[parent], ids):
        groups.setdefault(a["parent_id"], []).append(a)
    for parent_id, acts in groups.items():
        done = [a for a in acts if a["done"]]
        undone = [a for a in acts if not a["done"]]
        values = out[parent_id]
        values.update(activities_count=len(acts), done_activities_count=len(done), undone_activities_count=len(undone))
        if undone:
            nxt = min(undone, key=_due)
            values.update(
                next_activity_id=nxt["id"], next_activity_date=nxt["due_date"], next_activity_time=_hms(nxt["due_time"])
            )
            if parent == "deal":
                values.update(
                    next_activity_subject=nxt["subject"],
                    next_activity_type=nxt["type"],
                    next_activity_duration=_hms(nxt["duration"]),
                    next_activity_note=nxt["note"],
                )
        if done:
            last = max(done, key=_due)
            values.update(last_activity_id=last["id"], last_activity_date=last["due_date"])
    return out


# -- lists ----------------------------------------------------------------------------------

c = table.c
# The flat record of v1's /activities/collection.
COLLECTION_KEYS = (
    "id",
    "company_id",
    "user_id",
    "done",
    "type",
    "due_date",
    "due_time",
    "duration",
    "busy_flag",
    "add_time",
    "marked_as_done_time",
    "subject",
    "public_description",
    "location",
    "org_id",
    "person_id",
    "deal_id",
    "lead_id",
    "project_id",
    "active_flag",
    "update_time",
    "update_user_id",
    "source_timezone",
    "conference_meeting_client",
    "conference_meeting_url",
    "conference_meeting_id",
    *(f"location_{p}" for p in ("subpremise", "street_number", "route", "sublocality", "locality")),
    *(f"location_{p}" for p in ("admin_area_level_1", "admin_area_level_2", "country", "postal_code")),
    "location_formatted_address",
)
QUICK_V2 = id_filters(table, {k: k for k in ("owner_id", "deal_id", "person_id", "org_id")})
DONE = Param("done", "bool", is_(c.done))
TYPE = Param("type", "list", lambda types, unit: [c.type.in_(types)] if types else [], maximum=100)


def user(*, default_me: bool) -> Param:
    """v1 ``user_id``: the owner; 0 is everyone's; unset is the caller's (``default_me``) or everyone's."""

    def owned(user_id: int, unit: Unit) -> list[ColumnElement]:
        return [c.owner_id == user_id] if user_id else []

    mine = (lambda unit: [c.owner_id == unit.user_id]) if default_me else None
    return Param("user_id", "id", owned, minimum=0, absent=mine)


def distribution(unit: Unit, where: list[ColumnElement], given: dict[str, Any]) -> dict[str, Any]:
    """v1 ``activity_distribution``: per owner, their activities by type and their share (%)."""
    per_owner: dict[int, dict[str, int]] = {}
    for group in repo.grouped(unit.conn, table, unit.company_id, where, ("owner_id", "type")):
        per_owner.setdefault(group["owner_id"], {})[group["type"]] = group["count"]
    total = sum(n for kinds in per_owner.values() for n in kinds.values())
    owners = unit.rows(users, per_owner)
    out = {}
    for owner_id, kinds in sorted(per_owner.items()):
        count = sum(kinds.values())
        owner = owners.get(owner_id)
        out[str(owner_id)] = {
            "activities": dict(sorted(kinds.items())),
            "name": owner["name"] if owner else None,
            "activity_count": count,
            "share": round(100 * count / total),
        }
    return {"activity_distribution": out}


def of(parent: str, link: str) -> Listing:
    """``/deals|persons|organizations/{id}/activities``: ``done``, ``exclude``, with their distribution."""
    exclude = Param("exclude", "ids", lambda excluded, unit: [c.id.not_in(excluded)] if excluded else [], maximum=500)
    return Listing("v1", f"get_{parent}_activities", (DONE, exclude), parent=parent, link=link, additional=distribution)


LISTS = (
    Listing(
        "v2",
        "get_activities",
        (by_ids(table), *QUICK_V2, *updated(table), DONE, Param("lead_id", "uuid", equals(c.lead_id))),
        paging="v2",
        filter_id=("ids", *(p.name for p in QUICK_V2), "lead_id"),
    ),
    Listing(
        "v1",
        "get_activities",
        (
            user(default_me=True),
            TYPE,
            DONE,
            Param("start_date", "date", lambda day, unit: [c.due_date >= day]),
            Param("end_date", "date", lambda day, unit: [c.due_date <= day]),
        ),
        filter_id=("user_id",),
    ),
    Listing(
        "v1",
        "get_activities_collection",
        (user(default_me=False), TYPE, DONE),
        paging="collection",
        admin_only=True,  # the spec: "only global admins … can access this endpoint"
        refs="plain",
        record=lambda row, item: {k: item[k] for k in COLLECTION_KEYS},
    ),
    of("deal", "deal_id"),
    of("person", "person_id"),
    of("organization", "org_id"),
)


ACTIVITY = register(
    Entity(
        name="activity",
        plural="activities",
        label="Activity",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("subject", "str", nullable=False),
            Field("type", "str", nullable=False),
            Field("owner_id", "int", v1="user_id", ref="user", nullable=False),
            Field("creator_user_id", "int", v1="created_by_user_id", ref="user", writable=False),
            Field("deal_id", "int", ref="deal"),
            Field("lead_id", "str", ref="lead", max_length=36),
            Field("person_id", "int", ref="person"),
            Field("org_id", "int", ref="organization"),
            Field("project_id", "int"),
            Field("due_date", "date", nullable=False),
            Field("due_time", "str", max_length=8),
            Field("duration", "str", max_length=8),
            Field("busy", "bool", v1="busy_flag", nullable=False),
            Field("done", "bool", nullable=False),
            Field("marked_as_done_time", "time", writable=False),
            Field("note", "str", max_length=TEXT_MAX),
            Field("public_description", "str", max_length=TEXT_MAX),
            Field("location", "str", v2=None, writable=False),
            *[Field(f"location_{part}", "str", v2=None, writable=False) for part in ADDRESS_PARTS],
            Field("priority", "int"),
            Field("participants", "json", writable=False),
            Field("attendees", "json", writable=False, optional=True),
            Field("conference_meeting_client", "str", writable=False),
            Field("conference_meeting_url", "str", writable=False),
            Field("conference_meeting_id", "str", writable=False),
            Field("update_user_id", "int", v2=None, writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        lists=LISTS,
        include_v2=("attendees",),
        sort_v2=("id", "update_time", "add_time", "due_date"),
        sort_v1=("id", "due_date", "add_time", "update_time", "subject", "type"),
        rules=rules,
        own_keys=("location", "participants", "attendees"),
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        v1_refs="listed",
        # Refresh the counters of every deal, person and organization it was or is on.
        after_write=counters.refresher("activities"),
        created_v1=201,
    )
)
