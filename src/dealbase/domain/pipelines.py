"""Pipelines: ordered sets of stages a deal moves through."""

from __future__ import annotations

from typing import Any

from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.store import repository as repo
from dealbase.store.tables import pipelines as table


def url_title(name: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in name.lower()).split())


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None and "order_nr" not in values:
        # New pipelines go last.
        last = repo.max_of(ctx.conn, table, ctx.company_id, "order_nr")
        values["order_nr"] = (last or 0) + 1
    return values


def v1_extra(ctx, rows, items) -> None:
    for row, item in zip(rows, items):
        item["active"] = not row["is_deleted"]
        item["url_title"] = url_title(row["name"])
        item["selected"] = False


PIPELINE = register(
    Entity(
        name="pipeline",
        plural="pipelines",
        label="Pipeline",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True),
            Field("order_nr", "int", writable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("is_deal_probability_enabled", "bool", v1="deal_probability"),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        lists=(Listing("v2", "get_pipelines", paging="v2"), Listing("v1", "get_pipelines")),
        sort_v2=("id", "update_time", "add_time"),
        sort_v1=("id", "name", "order_nr", "add_time", "update_time"),
        rules=rules,
        v1_extra=v1_extra,
    )
)
