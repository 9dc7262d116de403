"""The classic v1 ``/collection`` lists of deals, persons and organizations.

Cursor-paged in id order (``cursor``, ``limit`` up to 500), ``since`` / ``until`` on
``update_time``, a flat record per item with plain ids. Only global admins may read them
(others get a 403, as Pipedrive answers).
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError
from dealbase.api.handlers.core import first_char
from dealbase.api.paging import cursor_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.store.tables import ADDRESS_PARTS

handlers = Handlers()

DEAL_KEYS = (
    "id",
    "creator_user_id",
    "user_id",
    "person_id",
    "org_id",
    "stage_id",
    "title",
    "value",
    "currency",
    "add_time",
    "update_time",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "close_time",
    "pipeline_id",
    "won_time",
    "lost_time",
    "expected_close_date",
    "label",
)
CONTACT_KEYS = ("id", "active_flag", "owner_id", "name", "update_time", "add_time", "visible_to", "label", "cc_email")
PERSON_KEYS = (*CONTACT_KEYS, "org_id", "email", "phone", "picture_id")
ORGANIZATION_KEYS = (*CONTACT_KEYS, "address", *(f"address_{p}" for p in ADDRESS_PARTS))
DEAL_STATUSES = ("open", "won", "lost", "deleted")


def collection(ctx: Ctx, entity: Entity, where: list, keys: tuple[str, ...]) -> Reply:
    if not ctx.user.get("is_admin"):
        raise ApiError("Only global admins can access this endpoint", 403)
    rows, next_cursor = cursor_page(ctx, entity.table, where + res.since_until(ctx, entity.table))
    items, _ = res.render_v1(ctx, entity, rows, refs="plain")
    out: list[dict[str, Any]] = []
    for row, item in zip(rows, items):
        record = {k: item.get(k) for k in keys}
        if entity is not DEAL:
            record["delete_time"] = row["update_time"] if row["is_deleted"] else None
            record["label_ids"] = orjson.loads(row["label_ids"]) if row["label_ids"] else []
        out.append(record)
    return ok(out, {"next_cursor": next_cursor})


@handlers.operation("v1", "get_deals_collection")
def get_deals_collection(ctx: Ctx) -> Reply:
    """Every deal not deleted (``status=deleted``: the deleted ones)."""
    c = DEAL.table.c
    status = ctx.choice_param("status", DEAL_STATUSES)
    if status is None:
        where = [c.is_deleted.is_(False)]
    elif status == "deleted":
        where = [c.is_deleted.is_(True)]
    else:
        where = [c.is_deleted.is_(False), c.status == status]
    where += res.quick_filters(ctx, DEAL, {"user_id": "owner_id", "stage_id": "stage_id"})
    return collection(ctx, DEAL, where, DEAL_KEYS)


def _contacts(ctx: Ctx, entity: Entity, keys: tuple[str, ...]) -> Reply:
    where = [entity.table.c.is_deleted.is_(False), *first_char(ctx, entity)]
    owner_id = ctx.int_param("owner_id", minimum=1)
    if owner_id is not None:
        where.append(entity.table.c.owner_id == owner_id)
    return collection(ctx, entity, where, keys)


@handlers.operation("v1", "get_persons_collection")
def get_persons_collection(ctx: Ctx) -> Reply:
    return _contacts(ctx, PERSON, PERSON_KEYS)


@handlers.operation("v1", "get_organizations_collection")
def get_organizations_collection(ctx: Ctx) -> Reply:
    return _contacts(ctx, ORGANIZATION, ORGANIZATION_KEYS)
