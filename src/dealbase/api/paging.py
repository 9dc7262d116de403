"""Paging: v2's opaque keyset cursor and v1's offset pagination block."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from dealbase.api.errors import BadRequest


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
