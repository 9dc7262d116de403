"""Product variations (v2): named versions of a product, each with its own prices.

A variation made without ``prices`` gets one price, cost and direct cost of 0 in the
caller's currency; a write that sends them replaces the list, as for a product.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing
from dealbase.domain.products import default_prices, parse_prices, price_v2, prices_of, write_prices
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.store import repository as repo
from dealbase.store.tables import deal_products
from dealbase.store.tables import product_prices as prices_table
from dealbase.store.tables import product_variations as table


def variations_of(unit, product_id: int) -> list[dict[str, Any]]:
    c = table.c
    return repo.all_rows(unit.conn, table, unit.company_id, c.product_id == product_id, order_by=[c.id])


def rules(unit, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    product_id = old["product_id"] if old is not None else values["product_id"]
    if given.own.get("prices") is not None:
        unit.scratch["variation_prices"] = product_id, parse_prices(given.own["prices"], not given.lenient)
    elif old is None:
        unit.scratch["variation_prices"] = product_id, [{**default_prices(unit)[0], "direct_cost": 0}]
    return values


def write_children(unit, row_id: int, old: dict[str, Any] | None, stamp: str) -> dict[str, Any] | None:
    """The prices sent (or a new variation's default): the whole list, in the event too."""
    product_id, prices = unit.scratch.pop("variation_prices", (None, None))
    if prices is None:
        return None
    write_prices(unit, product_id, row_id, prices)
    return {"prices": prices}


def before_delete(unit, row: dict[str, Any], stamp: str) -> None:
    """A variation goes for good with its prices; deal products that used it keep their line
    without it."""
    service.remove(unit, prices_table, prices_table.c.variation_id == row["id"])
    service.relink(unit, deal_products, "product_variation_id", row["id"], None)


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
        lists=(Listing("v2", "get_product_variations", paging="v2", alive=False, parent="product", link="product_id"),),
        rules=rules,
        own_keys=("prices",),
        write_children=write_children,
        before_delete=before_delete,
        v2_extra=v2_extra,
        parent="product",
        link="product_id",
        created_v2=201,
    )
)
