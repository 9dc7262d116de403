"""Paging: v2's opaque keyset cursor and v1's offset pagination block.

``cursor_page`` and ``offset_page`` page any company-scoped table in id order (rows that
are no entity: followers, participants, their history, deal products of a person; and v1
collections); entities' own lists page through ``api/resources.py`` (``list_v2``,
``list_v1``), with the same parameters (``v1_window``, the cursor codec).
"""

from __future__ import annotations

import base64
from typing import Any

import orjson

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.store import repository as repo

Row = dict[str, Any]


def encode_cursor(sort: str, direction: str, value: Any, row_id: int) -> str:
    raw = orjson.dumps({"field": sort, "fieldValue": value, "sortDirection": direction, "id": row_id})
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, direction: str, value_type: type) -> tuple[Any, int]:
    """The keyset a cursor carries; 400 if it is malformed or was made for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError) as exc:
        raise BadRequest("Invalid cursor") from exc
    if (
        not isinstance(data, dict)
        or data.get("field") != sort
        or data.get("sortDirection") != direction
        or not isinstance(data.get("id"), int)
        or isinstance(data.get("id"), bool)
        or not isinstance(data.get("fieldValue"), value_type)
    ):
        raise BadRequest("Invalid cursor: it does not belong to this query's sorting")
    return data["fieldValue"], data["id"]


def v1_pagination(start: int, limit: int, more: bool) -> dict[str, Any]:
    block: dict[str, Any] = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        block["next_start"] = start + limit
    return block


# A v1 list's page when no ``limit`` is given (``/v1/userSettings`` says so as ``list_limit``).
V1_LIMIT = 100


def v1_window(ctx: Ctx, limit_max: int = 500) -> tuple[int, int]:
    """v1's ``start`` (from 0) and ``limit`` (``V1_LIMIT`` unless given, clamped to ``limit_max``)."""
    return ctx.int_param("start", 0, minimum=0), ctx.page_limit(V1_LIMIT, limit_max)  # type: ignore[return-value]


def cursor_page(ctx: Ctx, tbl, where: list, *, newest_first: bool = False) -> tuple[list[Row], str | None]:
    """A v2-style cursor page over a table's ids (``limit`` up to 500)."""
    direction = "desc" if newest_first else "asc"
    limit = ctx.page_limit(100, 500)
    cursor = ctx.raw("cursor")
    after = decode_cursor(cursor, "id", direction, int) if cursor else None
    rows = repo.list_keyset(ctx.conn, tbl, ctx.company_id, where, "id", newest_first, after, limit + 1)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, encode_cursor("id", direction, rows[-1]["id"], rows[-1]["id"])


def offset_page(ctx: Ctx, tbl, where: list) -> tuple[list[Row], dict[str, Any]]:
    """A v1 ``start``/``limit`` page in id order."""
    start, limit = v1_window(ctx)
    rows = repo.list_offset(ctx.conn, tbl, ctx.company_id, where, [tbl.c.id], start, limit + 1)
    return rows[:limit], v1_pagination(start, limit, len(rows) > limit)
