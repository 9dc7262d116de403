"""Followers of deals, persons, organizations and products, and of users; v1 and v2.

One set of handlers for every followed type (``domain/followers.py: FOLLOWED``) that is a
declared entity when handlers load: products get their routes once their family is in
the registry. v1 follower objects are records with an id (``DELETE`` takes that id); v2's
are ``{user_id, add_time}`` and ``DELETE`` takes the user id.
"""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import body_ref
from dealbase.api.paging import cursor_page, offset_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import now, to_v2
from dealbase.domain import followers
from dealbase.domain.entity import Entity
from dealbase.domain.registry import ENTITIES
from dealbase.domain.users import USER
from dealbase.store import repository as repo
from dealbase.store.tables import followers as table
from dealbase.store.tables import people_changes

handlers = Handlers()

Row = dict[str, Any]


def v1_follower(row: Row) -> dict[str, Any]:
    key = followers.V1_KEY.get(row["object_type"], f"{row['object_type']}_id")
    return {"user_id": row["user_id"], "id": row["id"], key: row["object_id"], "add_time": row["add_time"]}


def v2_follower(row: Row) -> dict[str, Any]:
    return {"user_id": row["user_id"], "add_time": to_v2(row["add_time"])}


def _of(object_type: str, object_id: int) -> list:
    return [table.c.object_type == object_type, table.c.object_id == object_id]


def list_followers(ctx: Ctx, entity: Entity) -> Reply:
    item = res.load(ctx, entity, ctx.path_id())
    where = _of(entity.name, item["id"])
    if ctx.strict:
        rows, next_cursor = cursor_page(ctx, table, where)
        return ok([v2_follower(r) for r in rows], {"next_cursor": next_cursor})
    rows, pagination = offset_page(ctx, table, where)
    return ok([v1_follower(r) for r in rows] or None, {"pagination": pagination})


def add_follower(ctx: Ctx, entity: Entity) -> Reply:
    item = res.load(ctx, entity, ctx.path_id(), alive=True)
    user = body_ref(ctx, "user_id", USER)
    existing = followers.find(ctx, entity.name, item["id"], user["id"])
    if existing is not None:
        if ctx.strict:
            raise BadRequest(f"User {user['id']} is already following this {entity.name}")
        return ok(v1_follower(existing))  # v1 answers with the existing follower
    row = followers.follow(ctx, entity.name, item["id"], user["id"], now())
    if ctx.strict:
        return ok(v2_follower(row), status=201)
    return ok(v1_follower(row), status=201 if entity.name == "product" else 200)


def delete_follower(ctx: Ctx, entity: Entity) -> Reply:
    item = res.load(ctx, entity, ctx.path_id(), alive=True)
    given = ctx.path_id("follower_id")
    if ctx.strict:  # v2: the follower's user id
        row = followers.find(ctx, entity.name, item["id"], given)
    else:  # v1: the follower record's id
        row = repo.get(ctx.conn, table, ctx.company_id, given)
        if row is not None and (row["object_type"], row["object_id"]) != (entity.name, item["id"]):
            row = None
    if row is None:
        raise NotFound("Follower not found")
    followers.unfollow(ctx, row, now())
    return ok({"user_id": row["user_id"]} if ctx.strict else {"id": row["id"]})


def changelog_page(ctx: Ctx, kind: str, object_type: str, object_id: int) -> tuple[list[Row], str | None]:
    """A cursor page, newest first, of an item's followers (``kind`` "follower") or
    participants ("participant") changelog (``followers.history`` writes it)."""
    c = people_changes.c
    where = [c.kind == kind, c.object_type == object_type, c.object_id == object_id]
    return cursor_page(ctx, people_changes, where, newest_first=True)


def followers_changelog(ctx: Ctx, entity: Entity) -> Reply:
    """v2: who started and stopped following the item, newest first."""
    item = res.load(ctx, entity, ctx.path_id())
    rows, next_cursor = changelog_page(ctx, "follower", entity.name, item["id"])
    items = [
        {
            "action": r["action"],
            "actor_user_id": r["actor_user_id"],
            "follower_user_id": r["subject_id"],
            "time": to_v2(r["time"]),
        }
        for r in rows
    ]
    return ok(items, {"next_cursor": next_cursor})


for _name in followers.FOLLOWED:
    _entity = ENTITIES.get(_name)
    if _entity is None:  # products: routes once the family is declared
        continue
    for _api in ("v1", "v2"):
        handlers.operation(_api, f"get_{_name}_followers")(lambda ctx, e=_entity: list_followers(ctx, e))
        handlers.operation(_api, f"add_{_name}_follower", write=True)(lambda ctx, e=_entity: add_follower(ctx, e))
        handlers.operation(_api, f"delete_{_name}_follower", write=True)(lambda ctx, e=_entity: delete_follower(ctx, e))
    handlers.operation("v2", f"get_{_name}_followers_changelog")(lambda ctx, e=_entity: followers_changelog(ctx, e))


@handlers.operation("v1", "get_user_followers")
@handlers.operation("v2", "get_user_followers")
def get_user_followers(ctx: Ctx) -> Reply:
    """Users following a user: v1 their ids, v2 ``{user_id, add_time}`` by cursor."""
    user = res.load(ctx, USER, ctx.path_id())
    where = _of("user", user["id"])
    if ctx.strict:
        rows, next_cursor = cursor_page(ctx, table, where)
        return ok([v2_follower(r) for r in rows], {"next_cursor": next_cursor})
    rows = repo.all_rows(ctx.conn, table, ctx.company_id, *where, order_by=[table.c.id])
    return ok([r["user_id"] for r in rows])
