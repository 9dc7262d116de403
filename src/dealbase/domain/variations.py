"""Product variations (v2): named versions of a product, each with its own prices."""

from __future__ import annotations

from dealbase.domain.entity import Entity, Field
from dealbase.domain.products import price_v2, prices_of
from dealbase.domain.registry import register
from dealbase.store.tables import product_variations as table


def v2_extra(ctx, rows, items, include) -> None:
    product_ids = sorted({r["product_id"] for r in rows})
    prices = prices_of(ctx, product_ids, variations=True)
    for row, item in zip(rows, items):
        item["prices"] = [price_v2(p, "product_variation_id") for p in prices.get(row["id"], [])]


VARIATION = register(
    Entity(
        name="product_variation",
        plural="product_variations",
        label="Product variation",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True, nullable=False),
            Field("product_id", "int", writable=False),
        ],
        sort_v2=("id",),
        v2_extra=v2_extra,
        created_v2=201,
    )
)
