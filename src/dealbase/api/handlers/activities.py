"""Activities, v1 and v2: CRUD, the lists with their filters, v1's cursor collection and
the activities of a deal, person or organization."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.paging import cursor_page
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import counters
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.store import repository as repo
from dealbase.store.tables import users

handlers = Handlers()

c = ACTIVITY.table.c
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


def alive() -> list[ColumnElement]:
    return [c.is_deleted.is_(False)]


def done_filter(ctx: Ctx) -> list[ColumnElement]:
    done = ctx.bool_param("done")
    return [] if done is None else [c.done.is_(done)]


def type_filter(ctx: Ctx) -> list[ColumnElement]:
    types = ctx.list_param("type", maximum=100)
    return [c.type.in_(types)] if types else []


def user_filter(ctx: Ctx, *, default_me: bool) -> list[ColumnElement]:
    """v1 ``user_id``: the owner; 0 is everyone's; unset is the caller's (``default_me``) or everyone's."""
    user_id = ctx.int_param("user_id", minimum=0)
    if user_id is None:
        return [c.owner_id == ctx.user_id] if default_me else []
    return [c.owner_id == user_id] if user_id else []


@counters.activity_objects
def v1_objects(ctx: Ctx, ids: list[int]) -> dict[int, dict]:
    """Activities as v1 objects (a deal's ``next_activity`` / ``last_activity``)."""
    rows = list(ctx.rows(ACTIVITY.table, ids).values())
    items, _ = res.render_v1(ctx, ACTIVITY, rows, refs="plain")
    return {item["id"]: item for item in items}


# -- CRUD ------------------------------------------------------------------------------------

res.bind(handlers, ACTIVITY, "v1", "v2")


@handlers.operation("v1", "delete_activities", write=True)
def delete_activities(ctx: Ctx):
    return res.bulk_delete(ctx, ACTIVITY)


# -- lists -----------------------------------------------------------------------------------


@handlers.operation("v2", "get_activities")
def get_activities_v2(ctx: Ctx):
    saved = res.saved_filter(ctx, ACTIVITY)
    where = alive() + (saved if saved is not None else res.ids_filter(ctx, ACTIVITY) + res.quick_filters(ctx, ACTIVITY))
    where += res.updated_filters(ctx, ACTIVITY.table) + done_filter(ctx)
    lead_id = ctx.uuid_param("lead_id") if saved is None else None  # filter_id overrides the quick filters
    if lead_id is not None:
        where.append(c.lead_id == lead_id)
    return res.list_v2(ctx, ACTIVITY, where)


@handlers.operation("v1", "get_activities")
def get_activities_v1(ctx: Ctx):
    saved = res.saved_filter(ctx, ACTIVITY)
    owner = user_filter(ctx, default_me=True) if saved is None else saved  # filter_id overrides user_id
    where = alive() + owner + type_filter(ctx) + done_filter(ctx)
    first_day, last_day = ctx.date_param("start_date"), ctx.date_param("end_date")
    if first_day:
        where.append(c.due_date >= first_day)
    if last_day:
        where.append(c.due_date <= last_day)
    return res.list_v1(ctx, ACTIVITY, where)


@handlers.operation("v1", "get_activities_collection")
def get_activities_collection(ctx: Ctx):
    """Every activity by id, cursor-paged, as a flat record with plain ids."""
    where = alive() + user_filter(ctx, default_me=False) + type_filter(ctx) + done_filter(ctx)
    rows, next_cursor = cursor_page(ctx, ACTIVITY.table, where + res.since_until(ctx, ACTIVITY.table))
    items, _ = res.render_v1(ctx, ACTIVITY, rows, refs="plain")
    return ok([{k: item[k] for k in COLLECTION_KEYS} for item in items], {"next_cursor": next_cursor})


def distribution(ctx: Ctx, where: list[ColumnElement]) -> dict[str, dict]:
    """v1 ``activity_distribution``: per owner, their activities by type and their share (%)."""
    per_owner: dict[int, dict[str, int]] = {}
    for group in repo.grouped(ctx.conn, ACTIVITY.table, ctx.company_id, where, ("owner_id", "type")):
        per_owner.setdefault(group["owner_id"], {})[group["type"]] = group["count"]
    total = sum(n for kinds in per_owner.values() for n in kinds.values())
    owners = ctx.rows(users, per_owner)
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
    return out


def _activities_of(ctx: Ctx, parent: Entity, column: str):
    """``/deals|persons|organizations/{id}/activities``: ``done``, ``exclude``, ``start``, ``limit``."""
    res.load(ctx, parent, ctx.path_id())
    where = alive() + [c[column] == ctx.path_id()] + done_filter(ctx)
    exclude = ctx.ids_param("exclude", maximum=500)
    if exclude:
        where.append(c.id.not_in(exclude))
    return res.list_v1(ctx, ACTIVITY, where, additional={"activity_distribution": distribution(ctx, where)})


@handlers.operation("v1", "get_deal_activities")
def get_deal_activities(ctx: Ctx):
    return _activities_of(ctx, DEAL, "deal_id")


@handlers.operation("v1", "get_person_activities")
def get_person_activities(ctx: Ctx):
    return _activities_of(ctx, PERSON, "person_id")


@handlers.operation("v1", "get_organization_activities")
def get_organization_activities(ctx: Ctx):
    return _activities_of(ctx, ORGANIZATION, "org_id")
