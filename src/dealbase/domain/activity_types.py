"""Activity types: the company's kinds of activity (call, meeting, …) and their keys."""

from __future__ import annotations

import re
from typing import Any

from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import activity_types as table

ICONS = (
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document",
    "smartphone", "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost", "shuffle",
    "addressbook", "linegraph", "picture", "car", "world", "search", "clip", "sound", "brush", "key",
    "padlock", "pricetag", "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell",
    "presentation",
)  # fmt: skip
# Every company starts with these (name, key_string and icon alike).
DEFAULTS = ("call", "meeting", "task", "deadline", "email", "lunch")
_COLOR = re.compile(r"^[0-9a-fA-F]{6}$")


def key_string(name: str) -> str:
    """``Video call`` → ``video_call``: the key activities refer to their type by."""
    return "_".join(re.findall(r"[0-9a-z]+", name.lower())) or "activity"


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    color = values.get("color")
    if color is not None and not _COLOR.match(color):
        raise BadInput("Validation failed: color: must be 6 hexadecimal characters (e.g. FFFFFF)")
    if old is None:
        base = key_string(values["name"])
        taken = {r["key_string"] for r in repo.all_rows(ctx.conn, table, ctx.company_id)}
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}_{n}"
        values["key_string"] = key
        values["is_custom_flag"] = True
        if values.get("order_nr") is None:
            values["order_nr"] = (repo.max_of(ctx.conn, table, ctx.company_id, "order_nr") or 0) + 1
    return values


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["active_flag"] = not row["is_deleted"]


ACTIVITY_TYPE = register(
    Entity(
        name="activity_type",
        plural="activity_types",
        label="Activity type",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("order_nr", "int"),
            Field("name", "str", required=True),
            Field("key_string", "str", writable=False),
            Field("icon_key", "str", required=True, choices=ICONS, nullable=False),
            Field("color", "str", max_length=6),
            Field("is_custom_flag", "bool", writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        rules=rules,
        v1_extra=v1_extra,
    )
)
