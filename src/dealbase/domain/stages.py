"""Stages: the steps of a pipeline; a deal's stage decides its pipeline."""

from __future__ import annotations

from typing import Any

from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, id_filters
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.store import repository as repo
from dealbase.store.tables import stages as table
from dealbase.store.tables import pipelines


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    pipeline_id = values.get("pipeline_id", old and old["pipeline_id"])
    moving = old is not None and values.get("pipeline_id", old["pipeline_id"]) != old["pipeline_id"]
    if (old is None or moving) and "order_nr" not in values:
        last = repo.max_of(ctx.conn, table, ctx.company_id, "order_nr", table.c.pipeline_id == pipeline_id)
        values["order_nr"] = (last or 0) + 1
    if values.get("days_to_rotten") is not None and values.get("is_deal_rot_enabled") is None and old is None:
        values["is_deal_rot_enabled"] = True
    return values


def v1_extra(ctx, rows, items) -> None:
    found = ctx.rows(pipelines, (r["pipeline_id"] for r in rows))
    for row, item in zip(rows, items):
        pipeline = found.get(row["pipeline_id"])
        item["active_flag"] = not row["is_deleted"]
        item["pipeline_name"] = pipeline["name"] if pipeline else None
        item["pipeline_deal_probability"] = bool(pipeline["is_deal_probability_enabled"]) if pipeline else None


BY_PIPELINE = id_filters(table, {"pipeline_id": "pipeline_id"})

STAGE = register(
    Entity(
        name="stage",
        plural="stages",
        label="Stage",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("order_nr", "int"),
            Field("name", "str", required=True),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("deal_probability", "int"),
            Field("pipeline_id", "int", required=True, ref="pipeline"),
            Field("is_deal_rot_enabled", "bool", v1="rotten_flag"),
            Field("days_to_rotten", "int", v1="rotten_days"),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        lists=(
            Listing("v2", "get_stages", BY_PIPELINE, paging="v2"),
            Listing("v1", "get_stages", BY_PIPELINE),
        ),
        sort_v2=("id", "update_time", "add_time", "order_nr"),
        sort_v1=("id", "order_nr", "name", "add_time", "update_time"),
        rules=rules,
        v1_extra=v1_extra,
    )
)
