"""Notes: HTML content about deals, persons, organizations, leads, projects or tasks,
with their comments."""

from __future__ import annotations

from typing import Any

import nh3

from dealbase.domain import counters
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param, equals, id_filters, is_
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput, NotAllowed
from dealbase.store.tables import deals, note_comments, organizations, persons, users
from dealbase.store.tables import notes as table

# Pipedrive: "approximately 100,000 characters (or 100KB per note)".
MAX_CONTENT = 100_000
# What a note can be about: (id key, pinned flag); a note needs at least one.
TARGETS = (
    ("deal_id", "pinned_to_deal_flag"),
    ("person_id", "pinned_to_person_flag"),
    ("org_id", "pinned_to_organization_flag"),
    ("lead_id", "pinned_to_lead_flag"),
    ("project_id", "pinned_to_project_flag"),
    ("task_id", "pinned_to_task_flag"),
)


def sanitize(html: str, key: str = "content") -> str:
    """Note HTML as Pipedrive keeps it: markup kept, scripts, styles and event handlers gone."""
    clean = nh3.clean(html)
    if not clean.strip():
        raise BadInput(f"Validation failed: {key}: must not be empty (after removing unsafe HTML)")
    return clean


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if "content" in values:
        values["content"] = sanitize(values["content"])
    author = values.get("user_id")
    if author is not None and author != (old["user_id"] if old else ctx.user_id) and not ctx.user.get("is_admin"):
        raise NotAllowed("Only an admin can change the author of a note")
    if old is None:
        values.setdefault("user_id", ctx.user_id)
    values["last_update_user_id"] = ctx.user_id

    def current(key: str) -> Any:
        return values[key] if key in values else (old[key] if old else None)

    if all(current(key) is None for key, _ in TARGETS):
        raise BadInput(
            "Validation failed: a note must be attached to a deal, person, organization, lead, project or task "
            "(deal_id, person_id, org_id, lead_id, project_id or task_id)"
        )
    for key, flag in TARGETS:
        if current(key) is None:
            if values.get(flag):
                raise BadInput(f"Validation failed: {flag}: needs {key}")
            if old is not None and old[flag]:
                values[flag] = False  # unlinked: no longer pinned there
    return values


# Each live note counts on the deal, person and organization it is on.
counters.count_source("notes", table, "notes_count", counters.PARENT_COLUMNS, table.c.is_deleted.is_(False))


def v1_extra(ctx, rows, items) -> None:
    found_deals = ctx.rows(deals, (r["deal_id"] for r in rows))
    people = ctx.rows(persons, (r["person_id"] for r in rows))
    orgs = ctx.rows(organizations, (r["org_id"] for r in rows))
    authors = ctx.rows(users, (r["user_id"] for r in rows))
    for row, item in zip(rows, items):
        deal, person = found_deals.get(row["deal_id"]), people.get(row["person_id"])
        org, author = orgs.get(row["org_id"]), authors.get(row["user_id"])
        item["active_flag"] = not row["is_deleted"]
        item["deal"] = {"title": deal["title"]} if deal else None
        item["person"] = {"name": person["name"]} if person else None
        item["organization"] = {"name": org["name"]} if org else None
        item["user"] = (
            {
                "email": author["email"],
                "name": author["name"],
                "icon_url": author["icon_url"],
                "is_you": author["id"] == ctx.user_id,
            }
            if author
            else None
        )


def _pinned(item: str) -> Field:
    return Field(f"pinned_to_{item}_flag", "bool", v2=None, field_type="enum", label=f"Note is pinned to {item}")


# -- lists ----------------------------------------------------------------------------------

c = table.c
LIST_PARAMS = (
    *id_filters(table, {k: k for k in ("user_id", "deal_id", "person_id", "org_id", "project_id", "task_id")}),
    Param("lead_id", "uuid", equals(c.lead_id)),
    Param("start_date", "date", lambda day, unit: [c.add_time >= f"{day} 00:00:00"]),
    Param("end_date", "date", lambda day, unit: [c.add_time <= f"{day} 23:59:59"]),
    Param("updated_since", "time", lambda since, unit: [c.update_time >= since]),
    *(Param(pinned, "bool", is_(c[pinned])) for _key, pinned in TARGETS),
)


NOTE = register(
    Entity(
        name="note",
        plural="notes",
        label="Note",
        table=table,
        fields=[
            Field("id", "int", v2=None, writable=False),
            Field("content", "str", v2=None, required=True, max_length=MAX_CONTENT, label="Content", field_type="text"),
            Field("user_id", "int", v2=None, ref="user", nullable=False, label="User", field_type="user"),
            Field("deal_id", "int", v2=None, ref="deal", label="Deal"),
            Field("person_id", "int", v2=None, ref="person", label="Person", field_type="people"),
            Field("org_id", "int", v2=None, ref="organization", label="Organization", field_type="org"),
            Field("lead_id", "str", v2=None, ref="lead", max_length=36, label="Lead"),
            Field("project_id", "int", v2=None, label="Project"),
            Field("task_id", "int", v2=None, label="Task"),
            Field("add_time", "time", v2=None, label="Add time"),
            Field("update_time", "time", v2=None, writable=False, label="Update time"),
            Field("last_update_user_id", "int", v2=None, writable=False, label="Last updated by", field_type="user"),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
            *[_pinned(item) for item in ("deal", "person", "organization", "lead", "project", "task")],
        ],
        sort_v1=("id", "user_id", "deal_id", "person_id", "org_id", "content", "add_time", "update_time"),
        lists=(Listing("v1", "get_notes", LIST_PARAMS),),
        rules=rules,
        v1_extra=v1_extra,
        v1_refs="plain",
        after_write=counters.refresher("notes"),
        deleted_readable=False,
    )
)


# -- comments -----------------------------------------------------------------------------


def comment_rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if "content" in values:
        values["content"] = sanitize(values["content"])
    if old is None:
        values["user_id"] = ctx.user_id
    values["updater_id"] = ctx.user_id
    return values


def comment_v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["active_flag"] = not row["is_deleted"]
        item["object_id"] = str(row["note_id"])
        item["object_type"] = "note"


COMMENT = register(
    Entity(
        name="note_comment",
        plural="note_comments",
        label="Comment",
        table=note_comments,
        fields=[
            Field("id", "int", v1=None, v2=None, writable=False),
            Field("uuid", "str", v2=None, writable=False),
            Field("content", "str", v2=None, required=True, max_length=MAX_CONTENT),
            Field("note_id", "int", v1=None, v2=None, writable=False),
            Field("user_id", "int", v2=None, writable=False),
            Field("updater_id", "int", v2=None, writable=False),
            Field("company_id", "int", v2=None, writable=False),
            Field("add_time", "time", v2=None, writable=False),
            Field("update_time", "time", v2=None, writable=False),
            Field("is_deleted", "bool", v1=None, v2=None, writable=False),
        ],
        lists=(Listing("v1", "get_note_comments", parent="note", link="note_id", parent_alive=True),),
        rules=comment_rules,
        v1_extra=comment_v1_extra,
    )
)
