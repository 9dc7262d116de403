"""Users: the company's people who own and create items."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.store import repository as repo
from dealbase.store.tables import users as table


def compact_one(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "has_pic": 1 if row["icon_url"] else 0,
        "pic_hash": None,
        "active_flag": bool(row["active_flag"]),
    }


def compact(_ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: compact_one(row) for row in rows}


USER = register(
    Entity(
        name="user",
        plural="users",
        label="User",
        table=table,
        fields=[Field("id", "int", writable=False), Field("name", "str"), Field("email", "str")],
        v1_related=compact,
    )
)


def permitted_user_ids(ctx, item: dict[str, Any], also: Iterable[int] = ()) -> list[int]:
    """Who may see an item (``permittedUsers``): every active user, or with ``visible_to`` 1
    its owner, the users in ``also`` (e.g. its followers) and the admins."""
    active = repo.all_rows(ctx.conn, table, ctx.company_id, table.c.active_flag.is_(True), order_by=[table.c.id])
    if item["visible_to"] != 1:
        return [u["id"] for u in active]
    allowed = {item["owner_id"], *also}
    return [u["id"] for u in active if u["id"] in allowed or u["is_admin"]]
