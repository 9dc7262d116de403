"""Products: the company's catalogue, with one price per currency and variations.

Prices live in ``product_prices`` (the product's own with ``variation_id`` null, and each
variation's). A write that sends ``prices`` replaces the whole list, as Pipedrive does; a
product made without them gets one price of 0 in the caller's default currency.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from dealbase.domain import service
from dealbase.domain.common import NUMBER, check_currency, num
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, by_ids, id_filters
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import blobs
from dealbase.store import repository as repo
from dealbase.store.tables import product_images as images_table
from dealbase.store.tables import product_prices as prices_table
from dealbase.store.tables import products as table

BILLING_FREQUENCIES = ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")
MAX_BILLING_CYCLES = 208
MAX_PRICES = 100
PRICE_KEYS = ("currency", "price", "cost", "direct_cost", "notes")


def check_billing(frequency: str, cycles: int | None, key: str = "billing_frequency_cycles") -> None:
    """Pipedrive's rules for a recurring price: none for one-time, required for weekly."""
    if frequency == "one-time" and cycles is not None:
        raise BadInput(f"Validation failed: {key}: must be null when billing_frequency is one-time")
    if frequency == "weekly" and cycles is None:
        raise BadInput(f"Validation failed: {key}: is required when billing_frequency is weekly")
    if cycles is not None and not 1 <= cycles <= MAX_BILLING_CYCLES:
        raise BadInput(f"Validation failed: {key}: must be between 1 and {MAX_BILLING_CYCLES}")


# -- prices ------------------------------------------------------------------------------


def _money(value: Any, key: str, strict: bool, *, nullable: bool = False) -> float | int | None:
    if value is None or (not strict and value == ""):
        if nullable:
            return None
        raise BadInput(f"Validation failed: {key}: must be a number")
    if isinstance(value, str) and not strict and NUMBER.match(value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or abs(value) > 1e15:
        raise BadInput(f"Validation failed: {key}: must be a number")
    return num(value)


def parse_prices(raw: Any, strict: bool) -> list[dict[str, Any]]:
    """A body's ``prices`` → price rows (without owner ids), or a 400.

    v2 calls the second cost ``direct_cost``, v1 ``overhead_cost``; both are taken. v1 may
    send the list as JSON text (form bodies).
    """
    if isinstance(raw, str) and not strict:
        try:
            raw = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise BadInput("Validation failed: prices: must be an array of price objects") from None
    if not isinstance(raw, list):
        raise BadInput("Validation failed: prices: must be an array of price objects")
    if len(raw) > MAX_PRICES:
        raise BadInput(f"Validation failed: prices: at most {MAX_PRICES} prices")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        key = f"prices[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"Validation failed: {key}: must be an object")
        code = item.get("currency")
        if not isinstance(code, str) or not code.strip():
            raise BadInput(f"Validation failed: {key}.currency: is required")
        code = check_currency(code.strip(), key=f"{key}.currency")
        if code in seen:
            raise BadInput(f"Validation failed: {key}.currency: only one price per currency ({code})")
        seen.add(code)
        notes = item.get("notes")
        if notes is not None and (not isinstance(notes, str) or len(notes) > 65535):
            raise BadInput(f"Validation failed: {key}.notes: must be a string of at most 65535 characters")
        direct = item.get("direct_cost", item.get("overhead_cost"))
        out.append(
            {
                "currency": code,
                "price": _money(item.get("price", 0), f"{key}.price", strict),
                "cost": _money(item.get("cost", 0), f"{key}.cost", strict),
                "direct_cost": _money(direct, f"{key}.direct_cost", strict, nullable=True),
                "notes": notes,
            }
        )
    return out


def default_prices(ctx) -> list[dict[str, Any]]:
    return [{"currency": ctx.user["default_currency"], "price": 0, "cost": 0, "direct_cost": None, "notes": None}]


def write_prices(ctx, product_id: int, variation_id: int | None, prices: list[dict[str, Any]]) -> None:
    """Replace the prices of a product (``variation_id`` None) or of one of its variations."""
    c = prices_table.c
    owner = c.variation_id.is_(None) if variation_id is None else c.variation_id == variation_id
    service.remove(ctx, prices_table, c.product_id == product_id, owner)
    for price in prices:
        service.insert(ctx, prices_table, {**price, "product_id": product_id, "variation_id": variation_id})


def prices_of(ctx, product_ids: list[int], *, variations: bool = False) -> dict[int, list[dict[str, Any]]]:
    """Price rows by product id (or by variation id), one query for a whole page."""
    c = prices_table.c
    if not product_ids:
        return {}
    owner = c.variation_id.is_not(None) if variations else c.variation_id.is_(None)
    rows = repo.all_rows(ctx.conn, prices_table, ctx.company_id, c.product_id.in_(product_ids), owner, order_by=[c.id])
    out: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        out.setdefault(row["variation_id"] if variations else row["product_id"], []).append(row)
    return out


def price_v2(row: dict[str, Any], owner_key: str = "product_id") -> dict[str, Any]:
    owner = row["variation_id"] if owner_key == "product_variation_id" else row["product_id"]
    return {
        owner_key: owner,
        "price": num(row["price"]),
        "currency": row["currency"],
        "cost": num(row["cost"]),
        "direct_cost": num(row["direct_cost"]),
        "notes": row["notes"],
    }


def price_v1(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "product_id": row["product_id"],
        "price": num(row["price"]),
        "currency": row["currency"],
        "cost": num(row["cost"]),
        "overhead_cost": num(row["direct_cost"]),
        "notes": row["notes"],
    }


# -- the product entity ------------------------------------------------------------------


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    if old is None:
        values.setdefault("owner_id", ctx.user_id)
        values.setdefault("visible_to", 3)
        values.setdefault("tax", 0)
        values.setdefault("is_linkable", True)
        values.setdefault("billing_frequency", "one-time")
    if given.lenient and "active_flag" in given.own:
        # v1 takes active_flag on a write: false makes (or turns) the product deleted.
        flag = given.own["active_flag"]
        if flag not in (True, False, 0, 1, "0", "1", "true", "false"):
            raise BadInput("Validation failed: active_flag: must be a boolean")
        active = flag in (True, 1, "1", "true")
        if old is None or not active:
            values["is_deleted"] = not active
    if "name" in values and not values["name"].strip():
        raise BadInput("Validation failed: name: must not be empty")
    frequency = values.get("billing_frequency") or (old["billing_frequency"] if old else "one-time")
    if "billing_frequency_cycles" in values:
        cycles = values["billing_frequency_cycles"]
    elif old is not None and values.get("billing_frequency") == "one-time":
        cycles = values["billing_frequency_cycles"] = None  # switching to one-time ends the cycles
    else:
        cycles = old["billing_frequency_cycles"] if old else None
    check_billing(frequency, cycles)
    if given.own.get("prices") is not None:
        ctx.scratch["product_prices"] = parse_prices(given.own["prices"], not given.lenient)
    elif old is None:
        ctx.scratch["product_prices"] = default_prices(ctx)
    return values


def write_children(ctx, product_id: int, old: dict[str, Any] | None, stamp: str) -> dict[str, Any] | None:
    prices = ctx.scratch.pop("product_prices", None)
    if prices is None:
        return None
    if old is not None:
        current = prices_of(ctx, [product_id]).get(product_id, [])
        if [{k: p[k] for k in PRICE_KEYS} for p in current] == prices:
            return None  # the same list again: nothing changes
    write_prices(ctx, product_id, None, prices)
    return {"prices": prices}


def v1_extra(ctx, rows, items) -> None:
    prices = prices_of(ctx, [r["id"] for r in rows])
    for row, item in zip(rows, items):
        item["active_flag"] = not row["is_deleted"]
        item["first_char"] = row["name"][:1].lower() or None
        item["files_count"] = None
        item["prices"] = [price_v1(p) for p in prices.get(row["id"], [])]


def v2_extra(ctx, rows, items, include) -> None:
    prices = prices_of(ctx, [r["id"] for r in rows])
    for row, item in zip(rows, items):
        item["prices"] = [price_v2(p) for p in prices.get(row["id"], [])]


# -- images ---------------------------------------------------------------------------


IMAGE_EVENT = "product_image"


def image_of(unit, product_id: int) -> dict[str, Any] | None:
    """A product's one image (its bytes in the blob store under ``blob_key``)."""
    return repo.first(unit.conn, images_table, unit.company_id, images_table.c.product_id == product_id)


def _stored(unit, files_dir: str, upload: Any) -> dict[str, Any]:
    """The uploaded file (``filename``, ``content_type``, ``data``) into the blob store; the
    columns of its row."""
    suffix = upload.filename.rsplit(".", 1)[-1] if "." in upload.filename else ""
    key = blobs.put(files_dir, unit.company_id, upload.data, suffix)
    # A write that fails after this leaves the blob behind but no row: unreachable, harmless.
    return {
        "blob_key": key,
        "name": (upload.filename or "image")[:255],
        "mime_type": upload.content_type[:255],
        "size": len(upload.data),
    }


def add_image(unit, files_dir: str, product: dict[str, Any], upload: Any) -> dict[str, Any]:
    if image_of(unit, product["id"]) is not None:
        raise BadInput("The product already has an image: update it (PUT) or delete it first")
    stamp = unit.clock()
    values = {**_stored(unit, files_dir, upload), "product_id": product["id"], "add_time": stamp, "update_time": stamp}
    row_id = service.insert(unit, images_table, values, event=IMAGE_EVENT, stamp=stamp)
    return repo.get(unit.conn, images_table, unit.company_id, row_id)


def replace_image(unit, files_dir: str, old: dict[str, Any], upload: Any) -> dict[str, Any]:
    """The new upload in place of the old one, whose bytes go."""
    stamp = unit.clock()
    changed = {**_stored(unit, files_dir, upload), "add_time": stamp, "update_time": stamp}
    service.change(unit, images_table, old, changed, event=IMAGE_EVENT, stamp=stamp)
    blobs.remove(files_dir, unit.company_id, old["blob_key"])
    return repo.get(unit.conn, images_table, unit.company_id, old["id"])


def remove_image(unit, files_dir: str, row: dict[str, Any]) -> None:
    service.remove(unit, images_table, images_table.c.id == row["id"], event=IMAGE_EVENT, rows=[row])
    blobs.remove(files_dir, unit.company_id, row["blob_key"])


PRODUCT = register(
    Entity(
        name="product",
        plural="products",
        label="Product",
        table=table,
        fields=[
            Field("id", "int", writable=False),
            Field("name", "str", required=True),
            Field("code", "str"),
            Field("description", "str", max_length=65535),
            Field("unit", "str"),
            Field("tax", "num", nullable=False),
            Field("category", "int"),
            Field("is_linkable", "bool", v1="selectable", nullable=False),
            Field("is_deleted", "bool", v1=None, writable=False),
            Field("visible_to", "visible_to", nullable=False),
            Field("owner_id", "int", ref="user", nullable=False),
            Field("billing_frequency", "str", choices=BILLING_FREQUENCIES, nullable=False),
            Field("billing_frequency_cycles", "int"),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", writable=False),
        ],
        lists=(
            Listing(
                "v2",
                "get_products",
                (by_ids(table), *id_filters(table, {"owner_id": "owner_id"})),
                paging="v2",
                filter_id=("ids", "owner_id"),
            ),
        ),
        sort_v2=("id", "name", "add_time", "update_time"),
        sort_v1=("id", "name", "code", "add_time", "update_time"),
        rules=rules,
        own_keys=("active_flag", "prices"),
        write_children=write_children,
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        has_custom_fields=True,
        field_created_v1=201,
        field_gone_v1=True,
        created_v1=201,
        created_v2=201,
    )
)
