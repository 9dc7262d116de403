"""Products on deals (v1 and v2), and v2's additional discounts and installments of a deal.

Every write here ends with ``refresh_deal``: the deal's ``products_count`` and its value.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import read
from dealbase.api.paging import v1_pagination, v1_window
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.clock import now, parse_date, to_v2
from dealbase.domain.deal_products import (
    DEAL_PRODUCT,
    deal_discount_rows,
    deal_lines,
    formatted_sum,
    add_line,
    prepare,
    same_tax_method,
    recurring,
    refresh_deal,
)
from dealbase.domain.deals import DEAL
from dealbase.domain.installments import INSTALLMENT
from dealbase.domain.products import PRODUCT
from dealbase.errors import BadInput
from dealbase.events.changes import record_create, record_delete, record_update
from dealbase.store import repository as repo
from dealbase.store.tables import deal_discounts, deal_installments, deal_products

handlers = Handlers()

LINES = deal_products.c
MAX_BULK = 100


def _deal(ctx: Ctx, *, write: bool) -> dict[str, Any]:
    """The path's deal; for writes also what a new line needs to know about the others."""
    deal = res.load(ctx, DEAL, ctx.path_id(), alive=write)
    if write:
        prepare(ctx, deal)
    return deal


def _line(ctx: Ctx, deal: dict[str, Any]) -> dict[str, Any]:
    row = repo.get(ctx.conn, deal_products, ctx.company_id, ctx.path_id("product_attachment_id"))
    if row is None or row["deal_id"] != deal["id"]:
        raise NotFound("Deal product not found")
    return row


def _insert(ctx: Ctx, deal: dict[str, Any], stamp: str) -> int:
    return add_line(ctx, deal, read(ctx, DEAL_PRODUCT), stamp)


def _reply(ctx: Ctx, row_id: int, status: int = 200):
    row = res.load(ctx, DEAL_PRODUCT, row_id)
    if ctx.strict:
        return ok(res.render_v2(ctx, DEAL_PRODUCT, [row])[0], status=status)
    item = res.render_v1(ctx, DEAL_PRODUCT, [row], refs="plain")[0][0]
    item["product_attachment_id"] = row["id"]
    return ok(item, status=status)


@handlers.operation("v2", "add_deal_product", write=True)
@handlers.operation("v1", "add_deal_product", write=True)
def add_deal_product(ctx: Ctx):
    deal = _deal(ctx, write=True)
    stamp = now()
    row_id = _insert(ctx, deal, stamp)
    refresh_deal(ctx, deal["id"], stamp)
    return _reply(ctx, row_id, status=201 if ctx.strict else 200)


@handlers.operation("v2", "add_many_deal_products", write=True)
def add_many_deal_products(ctx: Ctx):
    """All or nothing: one bad item and none is added."""
    deal = _deal(ctx, write=True)
    body = ctx.body
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise BadRequest("Validation failed: data: must be a non-empty array of deal products")
    if len(items) > MAX_BULK:
        raise BadRequest(f"Validation failed: data: at most {MAX_BULK} products per request")
    stamp = now()
    ids = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise BadRequest(f"Validation failed: data[{i}]: must be an object")
        ctx.body = item
        try:
            ids.append(_insert(ctx, deal, stamp))
        except (BadRequest, BadInput) as err:
            raise BadRequest(f"data[{i}]: {err}") from None
    ctx.body = body
    refresh_deal(ctx, deal["id"], stamp)
    rows = repo.get_many(ctx.conn, deal_products, ctx.company_id, ids)
    return ok(res.render_v2(ctx, DEAL_PRODUCT, [rows[i] for i in ids]), status=201)


@handlers.operation("v2", "update_deal_product", write=True)
@handlers.operation("v1", "update_deal_product", write=True)
def update_deal_product(ctx: Ctx):
    deal = _deal(ctx, write=True)
    old = _line(ctx, deal)
    given = read(ctx, DEAL_PRODUCT, old)
    stamp = now()
    values = DEAL_PRODUCT.rules(ctx, given.values, old, stamp, given)
    changed = {k: v for k, v in values.items() if old.get(k) != v}
    if changed:
        changed["update_time"] = stamp
        repo.update_row(ctx.conn, deal_products, ctx.company_id, old["id"], changed)
        record_update(ctx.conn, ctx.company_id, ctx.user_id, DEAL_PRODUCT.name, old, changed, stamp)
        if "tax_method" in changed:
            same_tax_method(ctx, deal["id"], old["id"], changed["tax_method"], stamp)
        refresh_deal(ctx, deal["id"], stamp)
    return _reply(ctx, old["id"])


def _remove(ctx: Ctx, deal: dict[str, Any], rows: list[dict[str, Any]], stamp: str) -> None:
    gone = {r["id"] for r in rows}
    if ctx.scratch.get("has_installments") and any(r["is_enabled"] for r in rows):
        left = [r for r in deal_lines(ctx, deal["id"]) if r["id"] not in gone and r["is_enabled"]]
        if not left:
            raise BadRequest("The last enabled product of a deal with installments cannot be removed")
    repo.delete_rows(ctx.conn, deal_products, ctx.company_id, LINES.deal_id == deal["id"], LINES.id.in_(gone))
    for row in rows:
        record_delete(ctx.conn, ctx.company_id, ctx.user_id, DEAL_PRODUCT.name, row, stamp)
    refresh_deal(ctx, deal["id"], stamp)


@handlers.operation("v2", "delete_deal_product", write=True)
@handlers.operation("v1", "delete_deal_product", write=True)
def delete_deal_product(ctx: Ctx):
    deal = _deal(ctx, write=True)
    row = _line(ctx, deal)
    _remove(ctx, deal, [row], now())
    return ok({"id": row["id"]})


@handlers.operation("v2", "delete_many_deal_products", write=True)
def delete_many_deal_products(ctx: Ctx):
    """``ids`` (at most 100), or without them the deal's first 100 products."""
    deal = _deal(ctx, write=True)
    ids = ctx.ids_param("ids", maximum=MAX_BULK)
    lines = deal_lines(ctx, deal["id"])
    if ids is None:
        rows = sorted(lines, key=lambda r: r["id"])[:MAX_BULK]
    else:
        by_id = {r["id"]: r for r in lines}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFound(f"Deal product(s) not found: {', '.join(map(str, missing))}")
        rows = [by_id[i] for i in dict.fromkeys(ids)]
    if rows:
        _remove(ctx, deal, rows, now())
    more = len(lines) - len(rows) > 0 and ids is None
    return ok({"ids": [r["id"] for r in rows]}, {"more_items_in_collection": more})


# -- lists -------------------------------------------------------------------------------


@handlers.operation("v2", "get_deal_products")
def get_deal_products_v2(ctx: Ctx):
    deal = _deal(ctx, write=False)
    return res.list_v2(ctx, DEAL_PRODUCT, [LINES.deal_id == deal["id"]])


@handlers.operation("v2", "get_deals_products")
def get_deals_products(ctx: Ctx):
    ids = ctx.ids_param("deal_ids", maximum=100)
    if not ids:
        raise BadRequest("Invalid 'deal_ids' parameter: is required (up to 100 deal ids)")
    sorts = ("id", "deal_id", "add_time", "update_time", "order_nr")
    return res.list_v2(ctx, DEAL_PRODUCT, [LINES.deal_id.in_(ids)], sorts=sorts)


@handlers.operation("v1", "get_deal_products")
def get_deal_products_v1(ctx: Ctx):
    """A page of the deal's products and, in ``additional_data``, the totals of all of them."""
    deal = _deal(ctx, write=False)
    start, limit = v1_window(ctx)
    lines = deal_lines(ctx, deal["id"])
    page = lines[start : start + limit]
    items, _related = res.render_v1(ctx, DEAL_PRODUCT, page, refs="plain")
    if ctx.raw("include_product_data") in ("1", "true") and page:
        found = ctx.rows(PRODUCT.table, (r["product_id"] for r in page))
        shown, _ = res.render_v1(ctx, PRODUCT, list(found.values()))
        by_id = {p["id"]: p for p in shown}
        for row, item in zip(page, items):
            item["product"] = by_id.get(row["product_id"])
    quantity = sum(r["quantity"] for r in lines if r["is_enabled"])
    total = round(sum(r["sum"] for r in lines if r["is_enabled"]), 2)
    additional = {
        "products_quantity_total": _whole(quantity),
        # An integer in the spec; the formatted total keeps the cents.
        "products_sum_total": round(total),
        "products_quantity_total_formatted": f"{_whole(quantity)}",
        "products_sum_total_formatted": formatted_sum(ctx, total, deal["currency"]),
        "pagination": v1_pagination(start, limit, len(lines) > start + limit),
    }
    return ok(items or None, additional)


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


# -- additional discounts (v2) ---------------------------------------------------------

DISCOUNT_TYPES = ("percentage", "amount")


def _description_and_amount(body: dict[str, Any], creating: bool) -> dict[str, Any]:
    """What a discount and an installment both have: a ``description`` (1 to 255 characters)
    and a positive ``amount``; each required on create, kept when absent on update."""
    values: dict[str, Any] = {}
    description, amount = body.get("description"), body.get("amount")
    if description is not None:
        if not isinstance(description, str) or not description.strip() or len(description) > 255:
            raise BadRequest("Validation failed: description: must be a string of 1 to 255 characters")
        values["description"] = description
    elif creating:
        raise BadRequest("Validation failed: description: is required")
    if amount is not None:
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount):
            raise BadRequest("Validation failed: amount: must be a number")
        if not 0 < amount <= 1e15:
            raise BadRequest("Validation failed: amount: must be greater than 0")
        values["amount"] = amount
    elif creating:
        raise BadRequest("Validation failed: amount: is required")
    return values


def _body(ctx: Ctx) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise BadRequest("The request body must be a JSON object")
    return ctx.body


def _discount_v2(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "description": row["description"],
        "amount": _whole(row["amount"]),
        "type": row["type"],
        "deal_id": row["deal_id"],
        "created_at": to_v2(row["add_time"]),
        "created_by": row["created_by"],
        "updated_at": to_v2(row["update_time"]),
        "updated_by": row["updated_by"],
    }


def _discount_values(body: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    creating = old is None
    values = _description_and_amount(body, creating)
    kind = body.get("type")
    if kind is not None or creating:
        if kind not in DISCOUNT_TYPES:
            raise BadRequest("Validation failed: type: must be one of percentage, amount")
        values["type"] = kind
    merged = {**(old or {}), **values}
    if merged["type"] == "percentage" and merged["amount"] > 100:
        raise BadRequest("Validation failed: amount: a percentage must be at most 100")
    return values


def _discount(ctx: Ctx, deal: dict[str, Any]) -> dict[str, Any]:
    row = repo.get(ctx.conn, deal_discounts, ctx.company_id, ctx.path["discount_id"])
    if row is None or row["deal_id"] != deal["id"]:
        raise NotFound("Discount not found")
    return row


@handlers.operation("v2", "get_additional_discounts")
def get_additional_discounts(ctx: Ctx):
    deal = _deal(ctx, write=False)
    return ok([_discount_v2(r) for r in deal_discount_rows(ctx, deal["id"])])


@handlers.operation("v2", "post_additional_discount", write=True)
def post_additional_discount(ctx: Ctx):
    deal = _deal(ctx, write=True)
    values = _discount_values(_body(ctx), None)
    stamp = now()
    row_id = str(uuid.uuid4())
    last = max((d["order_nr"] for d in deal_discount_rows(ctx, deal["id"])), default=0)
    values.update(id=row_id, deal_id=deal["id"], order_nr=last + 1, created_by=ctx.user_id, updated_by=ctx.user_id)
    values.update(add_time=stamp, update_time=stamp)
    repo.insert_row(ctx.conn, deal_discounts, ctx.company_id, values)
    # Discount ids are UUIDs: their events are filed under the deal, with the id in the changes.
    record_create(ctx.conn, ctx.company_id, ctx.user_id, "deal_discount", deal["id"], values, stamp)
    refresh_deal(ctx, deal["id"], stamp)
    return ok(_discount_v2(repo.get(ctx.conn, deal_discounts, ctx.company_id, row_id)), status=201)


@handlers.operation("v2", "update_additional_discount", write=True)
def update_additional_discount(ctx: Ctx):
    deal = _deal(ctx, write=True)
    old = _discount(ctx, deal)
    values = _discount_values(_body(ctx), old)
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        stamp = now()
        changed.update(update_time=stamp, updated_by=ctx.user_id)
        repo.update_row(ctx.conn, deal_discounts, ctx.company_id, old["id"], changed)
        repo.record_change(
            ctx.conn, ctx.company_id, "deal_discount", deal["id"], "change", ctx.user_id, stamp,
            {"id": [old["id"], old["id"]], **{k: [old.get(k), v] for k, v in changed.items()}},
        )  # fmt: skip
        refresh_deal(ctx, deal["id"], stamp)
    return ok(_discount_v2(repo.get(ctx.conn, deal_discounts, ctx.company_id, old["id"])))


@handlers.operation("v2", "delete_additional_discount", write=True)
def delete_additional_discount(ctx: Ctx):
    deal = _deal(ctx, write=True)
    row = _discount(ctx, deal)
    stamp = now()
    repo.delete_rows(ctx.conn, deal_discounts, ctx.company_id, deal_discounts.c.id == row["id"])
    repo.record_change(
        ctx.conn, ctx.company_id, "deal_discount", deal["id"], "delete", ctx.user_id, stamp, {"id": [row["id"], None]}
    )
    refresh_deal(ctx, deal["id"], stamp)
    return ok({"id": row["id"]})


# -- installments (v2) -----------------------------------------------------------------


def _installment_values(ctx: Ctx, old: dict[str, Any] | None) -> dict[str, Any]:
    body = _body(ctx)
    creating = old is None
    values = _description_and_amount(body, creating)
    raw = body.get("billing_date")
    if raw is not None or creating:
        parsed = parse_date(raw) if isinstance(raw, str) else None
        if parsed is None:
            raise BadRequest("Validation failed: billing_date: must be a date (YYYY-MM-DD)")
        values["billing_date"] = parsed
    return values


def _check_one_time_products(ctx: Ctx, deal: dict[str, Any]) -> None:
    """Installments are for deals whose enabled products are all one-time."""
    enabled = [r for r in deal_lines(ctx, deal["id"]) if r["is_enabled"]]
    if not enabled:
        raise BadRequest("Installments can only be added to a deal with products")
    if any(recurring(r) for r in enabled):
        raise BadRequest("Installments cannot be added to a deal with recurring products")


def _installment(ctx: Ctx, deal: dict[str, Any]) -> dict[str, Any]:
    row = repo.get(ctx.conn, deal_installments, ctx.company_id, ctx.path_id("installment_id"))
    if row is None or row["deal_id"] != deal["id"]:
        raise NotFound("Installment not found")
    return row


@handlers.operation("v2", "get_installments")
def get_installments(ctx: Ctx):
    ids = ctx.ids_param("deal_ids", maximum=100)
    if not ids:
        raise BadRequest("Invalid 'deal_ids' parameter: is required (up to 100 deal ids)")
    return res.list_v2(ctx, INSTALLMENT, [INSTALLMENT.table.c.deal_id.in_(ids)])


@handlers.operation("v2", "post_installment", write=True)
def post_installment(ctx: Ctx):
    deal = _deal(ctx, write=True)
    values = _installment_values(ctx, None)
    _check_one_time_products(ctx, deal)
    stamp = now()
    values.update(deal_id=deal["id"], add_time=stamp, update_time=stamp)
    row_id = repo.insert_row(ctx.conn, deal_installments, ctx.company_id, values)
    record_create(ctx.conn, ctx.company_id, ctx.user_id, INSTALLMENT.name, row_id, values, stamp)
    return res.reply_one(ctx, INSTALLMENT, res.load(ctx, INSTALLMENT, row_id))


@handlers.operation("v2", "update_installment", write=True)
def update_installment(ctx: Ctx):
    deal = _deal(ctx, write=True)
    old = _installment(ctx, deal)
    values = _installment_values(ctx, old)
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        stamp = now()
        changed["update_time"] = stamp
        repo.update_row(ctx.conn, deal_installments, ctx.company_id, old["id"], changed)
        record_update(ctx.conn, ctx.company_id, ctx.user_id, INSTALLMENT.name, old, changed, stamp)
    return res.reply_one(ctx, INSTALLMENT, res.load(ctx, INSTALLMENT, old["id"]))


@handlers.operation("v2", "delete_installment", write=True)
def delete_installment(ctx: Ctx):
    deal = _deal(ctx, write=True)
    row = _installment(ctx, deal)
    repo.delete_rows(ctx.conn, deal_installments, ctx.company_id, deal_installments.c.id == row["id"])
    record_delete(ctx.conn, ctx.company_id, ctx.user_id, INSTALLMENT.name, row, now())
    return ok({"id": row["id"]})
