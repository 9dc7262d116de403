"""A product's duplicate (v2 ``POST /products/{id}/duplicate``): the product as it is, its
prices, its variations and theirs, each with its create event; not its image."""

from __future__ import annotations

from typing import Any

from dealbase.domain import search_index, service
from dealbase.domain.products import PRICE_KEYS, PRODUCT, prices_of, write_prices
from dealbase.domain.variations import VARIATION, variations_of
from dealbase.store.tables import products as table


def duplicate(unit, source: dict[str, Any]) -> dict[str, Any]:
    """A copy with the same prices, variations (and theirs) and custom values; not the
    image. Written as it is, with its event: no rules, no hooks but the search index's."""
    stamp = unit.clock()
    values = {k: v for k, v in source.items() if k not in ("id", "company_id")}
    values.update(add_time=stamp, update_time=stamp)
    copy_id = service.insert(unit, table, values, event=PRODUCT.name, stamp=stamp)
    own = prices_of(unit, [source["id"]]).get(source["id"], [])
    write_prices(unit, copy_id, None, [{k: p[k] for k in PRICE_KEYS} for p in own])
    variation_prices = prices_of(unit, [source["id"]], variations=True)
    for variation in variations_of(unit, source["id"]):
        made = {"product_id": copy_id, "name": variation["name"], "add_time": stamp, "update_time": stamp}
        new_id = service.insert(unit, VARIATION.table, made, event=VARIATION.name, stamp=stamp)
        prices = [{k: p[k] for k in PRICE_KEYS} for p in variation_prices.get(variation["id"], [])]
        write_prices(unit, copy_id, new_id, prices)
    search_index.reindex(unit, PRODUCT.name, copy_id)
    return service.load(unit, PRODUCT, copy_id)
