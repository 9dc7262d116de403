"""Followers of deals, persons, organizations and products (``domain/followers.py:
FOLLOWED``, those declared when handlers load), and of users; v1 and v2. v1 follower objects
are records with an id; v2's are ``{user_id, add_time}``. Their changelog: ``history.py``.
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
from dealbase.clock import to_v2
from dealbase.domain import followers
from dealbase.domain.entity import Entity
from dealbase.domain.users import USER
from dealbase.store import repository as repo
from dealbase.store.tables import followers as table

handlers = Handlers()

def v1_follower(row: dict[str, Any]) -> dict[str, Any]:
    key = followers.V1_KEY.get(row["object_type"], f"{row['object_type']}_id")
    return {"user_id": row["user_id"], "id": row["id"], key: row["object_id"], "add_time": row["add_time"]}


def v2_follower(row: dict[str, Any]) -> dict[str, Any]:
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
    """v1 answers an existing follower as it is; v2 refuses it."""
    item = res.load(ctx, entity, ctx.path_id(), alive=True)
    user = body_ref(ctx, "user_id", USER)
    row, new = followers.add(ctx, entity.name, item["id"], user["id"])
    if not ctx.strict:
        return ok(v1_follower(row), status=201 if new and entity.name == "product" else 200)
    if not new:
        raise BadRequest(f"User {user['id']} is already following this {entity.name}")
    return ok(v2_follower(row), status=201)


def delete_follower(ctx: Ctx, entity: Entity) -> Reply:
    """v2 names the follower by its user id, v1 by the follower record's id."""
    item = res.load(ctx, entity, ctx.path_id(), alive=True)
    row = (followers.find if ctx.strict else followers.record)(ctx, entity.name, item["id"], ctx.path_id("follower_id"))
    if row is None:
        raise NotFound("Follower not found")
    followers.unfollow(ctx, row)
    return ok({"user_id": row["user_id"]} if ctx.strict else {"id": row["id"]})


_followed = followers.followed_entities()
handlers.per_entity(("v1", "v2"), "get_{name}_followers", _followed, list_followers)
handlers.per_entity(("v1", "v2"), "add_{name}_follower", _followed, add_follower, write=True)
handlers.per_entity(("v1", "v2"), "delete_{name}_follower", _followed, delete_follower, write=True)


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
