"""Deal products: products attached to a deal, with their sums, and what they do to the deal.

A line's ``sum`` is ``item_price × quantity``, less its discount (a percentage of that, or
an amount), plus the tax when the tax is exclusive (inclusive: already in the price; none:
no tax). Once a deal has products its value is theirs: the enabled one-time lines, less the
deal's additional discounts, plus the enabled recurring lines over their billing cycles
(a 12-month term when they recur until cancelled, as Pipedrive assumes); MRR, ARR and ACV
come from the same lines. The tax method is one per deal: changing it on
one line changes it on all, as Pipedrive does. A deal's ``products_count`` is a stored
counter (``domain/counters.py``).

Lines, installments (``domain/installments.py``) and discounts are child collections of
deals (``Entity.parent`` / ``link``). A line is written by the service (``service.create``
with its ``deal_id``, ``update``, ``delete``), each write refreshing the deal; several at
once run in ``lines_written``, one stamp and one refresh. Discounts are written by the
functions at the end, their change events filed under the deal.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement

from dealbase.domain import counters, hooks, service
from dealbase.domain.common import formatted, num
from dealbase.domain.deals import STATUS_V1
from dealbase.domain.entity import Entity, Field
from dealbase.domain.lists import Listing, Param
from dealbase.domain.products import BILLING_FREQUENCIES, check_billing
from dealbase.domain.registry import register
from dealbase.domain.unit import Input
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import deal_discounts, deal_installments, deal_products, deals, product_variations, products

DISCOUNT_TYPES = ("percentage", "amount")
TAX_METHODS = ("exclusive", "inclusive", "none")
DEFAULT_TAX_METHOD = "exclusive"
MAX_QUANTITY = 1e9
# The most lines one request adds or deletes.
MAX_BULK = 100


def line_sum(row: dict[str, Any]) -> float:
    base = row["item_price"] * row["quantity"]
    if row["discount_type"] == "percentage":
        base -= base * row["discount"] / 100
    else:
        base -= row["discount"]
    if row["tax_method"] == "exclusive":
        base += base * row["tax"] / 100
    return round(base, 2)


def recurring(row: dict[str, Any]) -> bool:
    return row["billing_frequency"] != "one-time"


def deal_lines(ctx, deal_id: int) -> list[dict[str, Any]]:
    return repo.rows_equal(ctx.conn, deal_products, ctx.company_id, {"deal_id": deal_id}, ("order_nr", "id"))


def deal_discount_rows(ctx, deal_id: int) -> list[dict[str, Any]]:
    return repo.rows_equal(ctx.conn, deal_discounts, ctx.company_id, {"deal_id": deal_id}, ("order_nr",))


def installment_rows(ctx, deal_id: int) -> list[dict[str, Any]]:
    return repo.rows_equal(ctx.conn, deal_installments, ctx.company_id, {"deal_id": deal_id})


def deals_with(ctx, product_id: int) -> list[int]:
    """The ids of the deals the product is on (live or not: the caller filters)."""
    c = deal_products.c
    return repo.distinct_values(ctx.conn, deal_products, ctx.company_id, "deal_id", c.product_id == product_id)


def of_person(ctx, person_id: int) -> list[ColumnElement]:
    """Where-clauses for the lines on the person's live deals (a person's products)."""
    alive = (deals.c.person_id == person_id, deals.c.is_deleted.is_(False))
    return [deal_products.c.deal_id.in_(repo.distinct_values(ctx.conn, deals, ctx.company_id, "id", *alive))]


def deal_ids(column: Any) -> Param:
    """v2 ``deal_ids``, required: up to 100 deals' rows of a child collection (``column``)."""

    def refused(*_: Any) -> list[ColumnElement]:
        raise BadInput("Invalid 'deal_ids' parameter: is required (up to 100 deal ids)")

    return Param(
        "deal_ids", "ids", lambda ids, unit: [column.in_(ids)] if ids else refused(), maximum=100, absent=refused
    )


# v1 ``/products/{id}/deals``: the deals the product is on, by ``status``.
PRODUCT_DEALS = Listing(
    "v1",
    "get_product_deals",
    (STATUS_V1,),
    parent="product",
    link=lambda unit, product: [deals.c.id.in_(deals_with(unit, product["id"]))],
)


# Billing periods in a year; an open-ended recurring line counts for a 12-month term.
PERIODS_PER_YEAR = {"weekly": 52, "monthly": 12, "quarterly": 4, "semi-annually": 2, "annually": 1}


def revenue(lines: list[dict[str, Any]], discounts: list[dict[str, Any]]) -> dict[str, float | None]:
    """The deal's ``value`` and its ``mrr``, ``arr`` and ``acv`` from its enabled lines."""
    enabled = [r for r in lines if r["is_enabled"]]
    one_time = sum(r["sum"] for r in enabled if not recurring(r))
    for d in discounts:
        one_time -= one_time * d["amount"] / 100 if d["type"] == "percentage" else d["amount"]
    one_time = max(one_time, 0)
    repeating = [r for r in enabled if recurring(r)]
    total = year = yearly = 0.0
    for r in repeating:
        per_year = PERIODS_PER_YEAR[r["billing_frequency"]]
        cycles = r["billing_frequency_cycles"]
        total += r["sum"] * (cycles or per_year)
        year += r["sum"] * min(cycles or per_year, per_year)
        yearly += r["sum"] * per_year
    return {
        "value": round(one_time + total, 2),
        "mrr": round(yearly / 12, 2) if repeating else None,
        "arr": round(yearly, 2) if repeating else None,
        "acv": round(one_time + year, 2) if enabled else None,
    }


def refresh_deal(ctx, deal_id: int, stamp: str) -> None:
    """After any write to a deal's products or discounts: its counter, value and revenue.

    These are the deal's own data, so a change to them is a change of the deal (its
    ``update_time`` and a change event). With no products left the value stays as it is.
    """
    counters.refresh(ctx, "products", "deal", [deal_id])
    lines = deal_lines(ctx, deal_id)
    deal = repo.get(ctx.conn, deals, ctx.company_id, deal_id)
    if lines:
        wanted = revenue(lines, deal_discount_rows(ctx, deal_id))
    else:
        wanted = {"mrr": None, "arr": None, "acv": None}
    changed = {k: v for k, v in wanted.items() if deal[k] != v}
    if changed:
        changed["update_time"] = stamp
        service.change(ctx, deals, deal, changed, event="deal", stamp=stamp)


@hooks.on_merge
def move_lines(ctx, entity_name: str, absorbed: int, survivor: int, stamp: str) -> None:
    """A merged deal's products, discounts and installments join the surviving deal."""
    if entity_name != "deal":
        return
    moved = False
    for table in (deal_products, deal_discounts, deal_installments):
        also = {"update_time": stamp} if "update_time" in table.c else {}
        moved |= bool(service.relink(ctx, table, "deal_id", absorbed, survivor, **also))
    if moved:
        refresh_deal(ctx, survivor, stamp)


counters.count_source("products", deal_products, "products_count", {"deal": "deal_id"})


# -- one line's rules ------------------------------------------------------------------

# In ``unit.scratch`` while several writes to a deal's lines run as one (``lines_written``).
BATCH = "deal_lines_batch"


def prepare(ctx, deal: dict[str, Any]) -> None:
    """Before writing lines of ``deal``: what ``rules`` needs to know about its other lines."""
    lines = deal_lines(ctx, deal["id"])
    ctx.scratch["deal"] = deal
    ctx.scratch["tax_method"] = lines[0]["tax_method"] if lines else None
    ctx.scratch["next_order_nr"] = max((r["order_nr"] for r in lines), default=0)
    ctx.scratch["has_installments"] = bool(installment_rows(ctx, deal["id"]))


def rules(ctx, values: dict[str, Any], old: dict[str, Any] | None, stamp: str, given: Input) -> dict[str, Any]:
    """Defaults, the checks Pipedrive makes, and the stored sum. A new line names its deal
    (``deal_id``); what it needs to know about the deal's other lines is read here, or once
    for several writes (``lines_written``)."""
    if not ctx.scratch.get(BATCH):
        deal_id = old["deal_id"] if old else values.get("deal_id")
        deal = repo.get(ctx.conn, deals, ctx.company_id, deal_id) if deal_id is not None else None
        if deal is None or deal["is_deleted"]:
            raise BadInput(f"Validation failed: deal_id: Deal with id {deal_id} not found")
        prepare(ctx, deal)
    deal = ctx.scratch["deal"]
    if old is None:
        values["deal_id"] = deal["id"]
        values["currency"] = deal["currency"]
        values.setdefault("discount", 0)
        values.setdefault("discount_type", "percentage")
        values.setdefault("tax", 0)
        values.setdefault("is_enabled", True)
        values.setdefault("billing_frequency", "one-time")
        values["order_nr"] = (ctx.scratch.get("next_order_nr") or 0) + 1
        ctx.scratch["next_order_nr"] = values["order_nr"]
        if values.get("tax_method") is None:
            values["tax_method"] = ctx.scratch.get("tax_method") or DEFAULT_TAX_METHOD
        ctx.scratch["tax_method"] = values["tax_method"]  # the next new line's default
    elif "billing_frequency" in values and values["billing_frequency"] == "one-time":
        values.setdefault("billing_frequency_cycles", None)
    for key in ("discount", "discount_type", "tax", "tax_method", "is_enabled", "billing_frequency"):
        if key in values and values[key] is None:
            shown = given.key("enabled_flag", key) if key == "is_enabled" else key
            raise BadInput(f"Validation failed: {shown}: must not be null")
    row = {**(old or {}), **values}
    if not 0 < row["quantity"] <= MAX_QUANTITY:
        raise BadInput("Validation failed: quantity: must be greater than 0")
    if row["discount"] < 0 or row["tax"] < 0:
        raise BadInput("Validation failed: discount and tax must not be negative")
    if row["discount_type"] == "percentage" and row["discount"] > 100:
        raise BadInput("Validation failed: discount: a percentage must be at most 100")
    check_billing(row["billing_frequency"], row.get("billing_frequency_cycles"))
    if "product_id" in values or "product_variation_id" in values:
        _check_product(
            ctx, row, changed_product="product_id" in values and (old is None or old["product_id"] != row["product_id"])
        )
    _check_installments(ctx, row, old)
    values["sum"] = line_sum(row)
    return values


def after_write(ctx, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
    """A new line's tax method, or a changed one, becomes the deal's; then the deal's counter
    and value follow its lines (once at the end in ``lines_written``)."""
    row = new or old
    stamp = new["update_time"] if new is not None else ctx.clock()
    if new is not None and (old is None or old["tax_method"] != new["tax_method"]):
        same_tax_method(ctx, row["deal_id"], row["id"], new["tax_method"], stamp)
    if not ctx.scratch.get(BATCH):
        refresh_deal(ctx, row["deal_id"], stamp)


@contextmanager
def lines_written(ctx, deal: dict[str, Any]) -> Iterator[None]:
    """Several writes to ``deal``'s lines as one (all or nothing, at one stamp): the deal's
    counter and value are refreshed once, after the last."""
    prepare(ctx, deal)
    stamp = ctx.clock()
    clock = ctx.clock
    ctx.clock, ctx.scratch[BATCH] = (lambda: stamp), True
    try:
        yield
    finally:
        ctx.clock = clock
        ctx.scratch.pop(BATCH, None)
    refresh_deal(ctx, deal["id"], stamp)


def before_delete(ctx, row: dict[str, Any], stamp: str) -> None:
    """With installments on the deal, its last enabled line stays."""
    if row["is_enabled"] and installment_rows(ctx, row["deal_id"]):
        if not any(r["is_enabled"] and r["id"] != row["id"] for r in deal_lines(ctx, row["deal_id"])):
            raise BadInput("The last enabled product of a deal with installments cannot be removed")


def remove_lines(ctx, deal: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Take lines off ``deal`` for good, all or none."""
    with lines_written(ctx, deal):
        for row in rows:
            service.delete(ctx, DEAL_PRODUCT, row)


def chosen(ctx, deal_id: int, ids: list[int] | None) -> tuple[list[dict[str, Any]], list[int], bool]:
    """What a bulk delete of a deal's lines takes: the lines of ``ids``, once each, with the
    ids that are none of its lines; or, without ids, its first ``MAX_BULK`` lines by id and
    whether more are left."""
    lines = deal_lines(ctx, deal_id)
    if ids is None:
        return sorted(lines, key=lambda r: r["id"])[:MAX_BULK], [], len(lines) > MAX_BULK
    by_id = {r["id"]: r for r in lines}
    return [by_id[i] for i in dict.fromkeys(ids) if i in by_id], [i for i in ids if i not in by_id], False


def same_tax_method(ctx, deal_id: int, line_id: int, method: str, stamp: str) -> None:
    """One tax method per deal: the other lines follow the one just written."""
    for row in deal_lines(ctx, deal_id):
        if row["id"] != line_id and row["tax_method"] != method:
            changed = {"tax_method": method, "update_time": stamp}
            changed["sum"] = line_sum({**row, **changed})
            service.change(ctx, deal_products, row, changed, event=DEAL_PRODUCT.name, stamp=stamp)


def _check_product(ctx, row: dict[str, Any], changed_product: bool) -> None:
    product = repo.get(ctx.conn, products, ctx.company_id, row["product_id"])
    if changed_product and product is not None and not product["is_linkable"]:
        raise BadInput(f"Validation failed: product_id: product {row['product_id']} cannot be added to deals")
    variation_id = row.get("product_variation_id")
    if variation_id is not None:
        variation = repo.get(ctx.conn, product_variations, ctx.company_id, variation_id)
        if variation is None or variation["product_id"] != row["product_id"]:
            raise BadInput(
                f"Validation failed: product_variation_id: variation {variation_id} of product "
                f"{row['product_id']} not found"
            )


def _check_installments(ctx, row: dict[str, Any], old: dict[str, Any] | None) -> None:
    """With installments on the deal, no enabled recurring line and at least one enabled line."""
    if not ctx.scratch.get("has_installments"):
        return
    if row["is_enabled"] and recurring(row):
        raise BadInput("A deal with installments cannot have recurring products")
    if old is not None and old["is_enabled"] and not row["is_enabled"]:
        others = [r for r in deal_lines(ctx, row["deal_id"]) if r["id"] != old["id"] and r["is_enabled"]]
        if not others:
            raise BadInput("The last enabled product of a deal with installments cannot be disabled")


# -- additional discounts (v2) ---------------------------------------------------------
# Written by the functions below, not ``service.create``: their change events are filed
# under the deal, with the discount's id in the changes (as they always were).


def description_and_amount(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """What a discount and an installment both have: a ``description`` (1 to 255 characters)
    and a positive ``amount``; each required on create, kept when absent on update."""
    values: dict[str, Any] = {}
    description, amount = body.get("description"), body.get("amount")
    if description is not None:
        if not isinstance(description, str) or not description.strip() or len(description) > 255:
            raise BadInput("Validation failed: description: must be a string of 1 to 255 characters")
        values["description"] = description
    elif creating:
        raise BadInput("Validation failed: description: is required")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
            raise BadInput("Validation failed: amount: must be a number")
        if not 0 < amount <= 1e15:
            raise BadInput("Validation failed: amount: must be greater than 0")
        values["amount"] = amount
    elif creating:
        raise BadInput("Validation failed: amount: is required")
    return values


def discount_values(body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """A discount's values from a body (``old``: the discount an update changes)."""
    creating = old is None
    values = description_and_amount(body, creating)
    kind = body.get("type")
    if kind is not None or creating:
        if kind not in DISCOUNT_TYPES:
            raise BadInput("Validation failed: type: must be one of percentage, amount")
        values["type"] = kind
    merged = {**(old or {}), **values}
    if merged["type"] == "percentage" and merged["amount"] > 100:
        raise BadInput("Validation failed: amount: a percentage must be at most 100")
    return values


def add_discount(ctx, deal: dict[str, Any], given: Input) -> dict[str, Any]:
    """A discount on the deal's one-time products, applied after those before it."""
    values = discount_values(given.own, None)
    stamp = ctx.clock()
    last = max((d["order_nr"] for d in deal_discount_rows(ctx, deal["id"])), default=0)
    values.update(id=str(uuid.uuid4()), deal_id=deal["id"], order_nr=last + 1, created_by=ctx.user_id)
    values.update(updated_by=ctx.user_id, add_time=stamp, update_time=stamp)
    service.insert(ctx, deal_discounts, values)
    created = {k: [None, v] for k, v in values.items() if k not in ("add_time", "update_time")}
    service.note(ctx, DISCOUNT.name, deal["id"], "create", created, stamp=stamp)
    refresh_deal(ctx, deal["id"], stamp)
    return repo.get(ctx.conn, deal_discounts, ctx.company_id, values["id"])


def update_discount(ctx, deal: dict[str, Any], old: dict[str, Any], given: Input) -> dict[str, Any]:
    values = discount_values(given.own, old)
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        stamp = ctx.clock()
        changed.update(update_time=stamp, updated_by=ctx.user_id)
        service.change(ctx, deal_discounts, old, changed)
        changes = {"id": [old["id"], old["id"]], **{k: [old.get(k), v] for k, v in changed.items()}}
        service.note(ctx, DISCOUNT.name, deal["id"], "change", changes, stamp=stamp)
        refresh_deal(ctx, deal["id"], stamp)
    return repo.get(ctx.conn, deal_discounts, ctx.company_id, old["id"])


def remove_discount(ctx, deal: dict[str, Any], row: dict[str, Any]) -> None:
    stamp = ctx.clock()
    service.remove(ctx, deal_discounts, deal_discounts.c.id == row["id"])
    service.note(ctx, DISCOUNT.name, deal["id"], "delete", {"id": [row["id"], None]}, stamp=stamp)
    refresh_deal(ctx, deal["id"], stamp)


def v1_extra(ctx, rows, items) -> None:
    names = ctx.rows(products, (r["product_id"] for r in rows))
    for row, item in zip(rows, items):
        product = names.get(row["product_id"])
        item["name"] = product["name"] if product else None
        item["active_flag"] = True
        item["comments"] = row["comments"]
        item["company_id"] = ctx.company_id
        item["sum_formatted"] = formatted_sum(ctx, row["sum"], row["currency"])
        item["quantity_formatted"] = f"{num(row['quantity'])}"


def v2_extra(ctx, rows, items, include) -> None:
    names = ctx.rows(products, (r["product_id"] for r in rows))
    for row, item in zip(rows, items):
        product = names.get(row["product_id"])
        item["name"] = product["name"] if product else None
        item["comments"] = row["comments"] or ""


def totals(lines: list[dict[str, Any]]) -> tuple[float, float]:
    """The quantity and the sum of a deal's enabled lines."""
    enabled = [r for r in lines if r["is_enabled"]]
    return sum(r["quantity"] for r in enabled), round(sum(r["sum"] for r in enabled), 2)


def formatted_sum(ctx, value: float, currency: str) -> str:
    return formatted(value, currency, ctx.user.get("locale") or "en_US")


DEAL_PRODUCT = register(
    Entity(
        name="deal_product",
        plural="deal_products",
        label="Deal product",
        table=deal_products,
        fields=[
            Field("id", "int", writable=False),
            Field("deal_id", "int", writable=False),
            Field("order_nr", "int", writable=False),
            Field("product_id", "int", ref="product", required=True, nullable=False),
            Field("product_variation_id", "int"),
            Field("item_price", "num", required=True, nullable=False),
            Field("quantity", "num", required=True, nullable=False),
            Field("discount", "num"),
            Field("discount_type", "str", choices=DISCOUNT_TYPES),
            Field("sum", "num", writable=False),
            Field("currency", "str", writable=False),
            Field("tax", "num"),
            Field("tax_method", "str", choices=TAX_METHODS),
            Field("is_enabled", "bool", v1="enabled_flag"),
            Field("comments", "str", max_length=65535),
            Field("billing_frequency", "str", choices=BILLING_FREQUENCIES),
            Field("billing_frequency_cycles", "int"),
            Field("billing_start_date", "date"),
            Field("add_time", "time", writable=False),
            Field("update_time", "time", v1="last_edit", writable=False),
        ],
        sort_v2=("id", "add_time", "update_time", "order_nr"),
        lists=(
            Listing("v2", "get_deal_products", paging="v2", alive=False, parent="deal", link="deal_id"),
            Listing(
                "v2",
                "get_deals_products",
                (deal_ids(deal_products.c.deal_id),),
                paging="v2",
                alive=False,
                sorts=("id", "deal_id", "add_time", "update_time", "order_nr"),
            ),
        ),
        rules=rules,
        after_write=after_write,
        before_delete=before_delete,
        v1_extra=v1_extra,
        v2_extra=v2_extra,
        parent="deal",
        link="deal_id",
        created_v1=200,
        created_v2=201,
    )
)

DISCOUNT = register(
    Entity(
        name="deal_discount",
        plural="deal_discounts",
        label="Discount",
        table=deal_discounts,
        fields=[
            Field("id", "str", writable=False),
            # Parsed from the values sent (``own_keys``), with Pipedrive's messages.
            Field("description", "str", writable=False),
            Field("amount", "num", writable=False),
            Field("type", "str", writable=False),
            Field("deal_id", "int", writable=False),
            Field("add_time", "time", v2="created_at", writable=False),
            Field("created_by", "int", writable=False),
            Field("update_time", "time", v2="updated_at", writable=False),
            Field("updated_by", "int", writable=False),
        ],
        own_keys=("description", "amount", "type"),
        id_kind="uuid",
        parent="deal",
        link="deal_id",
    )
)
