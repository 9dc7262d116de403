"""Followers: users following a deal, person, organization or product (or another user).

An item's owner follows it from the moment it is made, and a new owner starts following
when the item changes hands (Pipedrive keeps the previous owner as a follower). Every
follow and unfollow is kept in ``people_changes`` for the v2 followers changelog, and
refreshes the parent's stored ``followers_count``.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import counters, hooks, service
from dealbase.domain.entity import Entity
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store.tables import followers as table
from dealbase.store.tables import people_changes

Row = dict[str, Any]

# Object types whose followers the API serves, when the entity is declared (products
# come with their family); ``user``: users following a user (no write route).
FOLLOWED = ("deal", "person", "organization", "product")
# The keys of each changelog kept in ``people_changes`` (``history``), in the order its API
# shows them, with the column each comes from: the v2 followers changelog, the v1
# participants changelog.
CHANGELOGS = {
    "follower": {
        "action": "action",
        "actor_user_id": "actor_user_id",
        "follower_user_id": "subject_id",
        "time": "time",
    },
    "participant": {"actor_user_id": "actor_user_id", "person_id": "subject_id", "action": "action", "time": "time"},
}
# The v1 key naming the followed item in a follower object.
V1_KEY = {"deal": "deal_id", "person": "person_id", "organization": "org_id", "product": "product_id"}


def followed_entities() -> list[Entity]:
    """The followed types declared so far, in ``FOLLOWED``'s order."""
    return [ENTITIES[name] for name in FOLLOWED if name in ENTITIES]


@counters.source("followers")
def _counts(conn, company_id: int, parent: str, ids: list[int]) -> dict[int, dict[str, Any]]:
    found = repo.count_by(conn, table, company_id, "object_id", ids, table.c.object_type == parent)
    return {i: {"followers_count": found.get(i, 0)} for i in ids}


def find(ctx, object_type: str, object_id: int, user_id: int) -> Row | None:
    equals = {"object_type": object_type, "object_id": object_id, "user_id": user_id}
    return next(iter(repo.rows_equal(ctx.conn, table, ctx.company_id, equals)), None)


def record(unit: Unit, object_type: str, object_id: int, record_id: int) -> Row | None:
    """A follower of the item by the follower record's own id (how v1 names one)."""
    row = repo.get(unit.conn, table, unit.company_id, record_id)
    return row if row is not None and (row["object_type"], row["object_id"]) == (object_type, object_id) else None


def user_ids(unit: Unit, object_type: str, object_id: int) -> list[int]:
    """The users following the item."""
    where = (table.c.object_type == object_type, table.c.object_id == object_id)
    return repo.column_values(unit.conn, table, unit.company_id, "user_id", *where)


def history(ctx, kind: str, object_type: str, object_id: int, subject_id: int, action: str, stamp: str) -> None:
    """One line of the followers / participants changelog."""
    values = {
        "kind": kind,
        "object_type": object_type,
        "object_id": object_id,
        "subject_id": subject_id,
        "action": action,
        "actor_user_id": ctx.user_id,
        "time": stamp,
    }
    service.insert(ctx, people_changes, values)


def _refresh(ctx, object_type: str, ids) -> None:
    if object_type in counters.PARENTS:
        counters.refresh(ctx, "followers", object_type, ids)


def follow(ctx, object_type: str, object_id: int, user_id: int, stamp: str) -> Row:
    values = {"object_type": object_type, "object_id": object_id, "user_id": user_id, "add_time": stamp}
    row_id = service.insert(ctx, table, values, event="follower", stamp=stamp)
    history(ctx, "follower", object_type, object_id, user_id, "added", stamp)
    _refresh(ctx, object_type, [object_id])
    return {"id": row_id, **values}


def add(unit: Unit, object_type: str, object_id: int, user_id: int) -> tuple[Row, bool]:
    """The user follows the item: the new follower and True, or the follower already there
    and False."""
    existing = find(unit, object_type, object_id, user_id)
    if existing is not None:
        return existing, False
    return follow(unit, object_type, object_id, user_id, unit.clock()), True


def unfollow(ctx, row: Row, stamp: str | None = None) -> None:
    stamp = stamp or ctx.clock()
    service.remove(ctx, table, table.c.id == row["id"], event="follower", rows=[row], stamp=stamp)
    history(ctx, "follower", row["object_type"], row["object_id"], row["user_id"], "removed", stamp)
    _refresh(ctx, row["object_type"], [row["object_id"]])


@hooks.after_write
def owner_follows(ctx, entity, old: Row | None, row: Row) -> None:
    """The owner of a new item, or its new owner, follows it."""
    if entity.name not in FOLLOWED or "owner_id" not in row or row["owner_id"] is None:
        return
    if old is not None and old.get("owner_id") == row["owner_id"]:
        return
    if find(ctx, entity.name, row["id"], row["owner_id"]) is None:
        follow(ctx, entity.name, row["id"], row["owner_id"], row["update_time"] or row["add_time"])


@hooks.on_merge
def move_followers(ctx, object_type: str, absorbed: int, survivor: int, stamp: str) -> None:
    """The absorbed item's followers follow the survivor (once each)."""
    where = (table.c.object_type == object_type,)
    kept = set(repo.column_values(ctx.conn, table, ctx.company_id, "user_id", *where, table.c.object_id == survivor))
    for row in repo.all_rows(ctx.conn, table, ctx.company_id, *where, table.c.object_id == absorbed):
        unfollow(ctx, row, stamp)
        if row["user_id"] not in kept:
            follow(ctx, object_type, survivor, row["user_id"], stamp)
            kept.add(row["user_id"])


@hooks.on_duplicate
def copy_followers(ctx, object_type: str, original: int, copy: int, stamp: str) -> None:
    where = (table.c.object_type == object_type,)
    kept = set(repo.column_values(ctx.conn, table, ctx.company_id, "user_id", *where, table.c.object_id == copy))
    for user_id in repo.column_values(
        ctx.conn, table, ctx.company_id, "user_id", *where, table.c.object_id == original
    ):
        if user_id not in kept:
            follow(ctx, object_type, copy, user_id, stamp)
            kept.add(user_id)
