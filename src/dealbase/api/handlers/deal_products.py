"""Products on deals (v1 and v2), and v2's additional discounts and installments of a deal.

The rules (sums, the deal's value and revenue, discounts, installments) are the domain's:
``domain/deal_products.py``, ``domain/installments.py``.
"""

from __future__ import annotations

from typing import Any

from dealbase.api import lists, present
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import read
from dealbase.api.paging import v1_pagination, v1_window
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import deal_products as lines
from dealbase.domain import service
from dealbase.domain.common import num
from dealbase.domain.deal_products import DEAL_PRODUCT, DISCOUNT
from dealbase.domain.deals import DEAL
from dealbase.domain.installments import INSTALLMENT
from dealbase.domain.products import PRODUCT
from dealbase.errors import BadInput
from dealbase.store import repository as repo

handlers = Handlers()


def _deal(ctx: Ctx, *, write: bool) -> dict[str, Any]:
    return res.load(ctx, DEAL, ctx.path_id(), alive=write)


def _reply(ctx: Ctx, row: dict[str, Any], status: int = 200):
    if ctx.strict:
        return ok(res.render_v2(ctx, DEAL_PRODUCT, [row])[0], status=status)
    item = res.render_v1(ctx, DEAL_PRODUCT, [row], refs="plain")[0][0]
    item["product_attachment_id"] = row["id"]
    return ok(item, status=status)


def _line(ctx: Ctx, deal: dict[str, Any]) -> dict[str, Any]:
    """A new line on the deal from the request's body (one item of a bulk add's)."""
    given = read(ctx, DEAL_PRODUCT)
    given.values["deal_id"] = deal["id"]
    return service.create(ctx, DEAL_PRODUCT, given)


@handlers.operation("v2", "add_deal_product", write=True)
@handlers.operation("v1", "add_deal_product", write=True)
def add_deal_product(ctx: Ctx):
    return _reply(ctx, _line(ctx, _deal(ctx, write=True)), status=201 if ctx.strict else 200)


@handlers.operation("v2", "add_many_deal_products", write=True)
def add_many_deal_products(ctx: Ctx):
    """All or nothing: one bad item and none is added."""
    deal = _deal(ctx, write=True)
    body = ctx.body
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise BadRequest("Validation failed: data: must be a non-empty array of deal products")
    if len(items) > lines.MAX_BULK:
        raise BadRequest(f"Validation failed: data: at most {lines.MAX_BULK} products per request")
    rows = []
    with lines.lines_written(ctx, deal):
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise BadRequest(f"Validation failed: data[{i}]: must be an object")
            ctx.body = item
            try:
                rows.append(_line(ctx, deal))
            except (BadRequest, BadInput) as err:
                raise BadRequest(f"data[{i}]: {err}") from None
    ctx.body = body
    found = repo.get_many(ctx.conn, DEAL_PRODUCT.table, ctx.company_id, [r["id"] for r in rows])
    return ok(res.render_v2(ctx, DEAL_PRODUCT, [found[r["id"]] for r in rows]), status=201)


@handlers.operation("v2", "update_deal_product", write=True)
@handlers.operation("v1", "update_deal_product", write=True)
def update_deal_product(ctx: Ctx):
    _, old = res.load_child(ctx, DEAL_PRODUCT, "product_attachment_id")
    return _reply(ctx, service.update(ctx, DEAL_PRODUCT, old, read(ctx, DEAL_PRODUCT, old)))


@handlers.operation("v2", "delete_deal_product", write=True)
@handlers.operation("v1", "delete_deal_product", write=True)
def delete_deal_product(ctx: Ctx):
    deal, row = res.load_child(ctx, DEAL_PRODUCT, "product_attachment_id")
    lines.remove_lines(ctx, deal, [row])
    return ok({"id": row["id"]})


@handlers.operation("v2", "delete_many_deal_products", write=True)
def delete_many_deal_products(ctx: Ctx):
    """``ids`` (at most 100), or without them the deal's first 100 products."""
    deal = _deal(ctx, write=True)
    ids = ctx.ids_param("ids", maximum=lines.MAX_BULK)
    rows, missing, more = lines.chosen(ctx, deal["id"], ids)
    if missing:
        raise NotFound(f"Deal product(s) not found: {', '.join(map(str, missing))}")
    if rows:
        lines.remove_lines(ctx, deal, rows)
    return ok({"ids": [r["id"] for r in rows]}, {"more_items_in_collection": more})


# -- lists -------------------------------------------------------------------------------

for _entity in (DEAL_PRODUCT, INSTALLMENT):
    lists.bind(handlers, _entity)


@handlers.operation("v1", "get_deal_products")
def get_deal_products_v1(ctx: Ctx):
    """A page of the deal's products and, in ``additional_data``, the totals of all of them."""
    deal = _deal(ctx, write=False)
    start, limit = v1_window(ctx)
    on_deal = lines.deal_lines(ctx, deal["id"])
    page = on_deal[start : start + limit]
    items, _related = res.render_v1(ctx, DEAL_PRODUCT, page, refs="plain")
    if ctx.raw("include_product_data") in ("1", "true") and page:
        found = ctx.rows(PRODUCT.table, (r["product_id"] for r in page))
        shown, _ = res.render_v1(ctx, PRODUCT, list(found.values()))
        by_id = {p["id"]: p for p in shown}
        for row, item in zip(page, items):
            item["product"] = by_id.get(row["product_id"])
    quantity, total = lines.totals(on_deal)
    additional = {
        "products_quantity_total": num(quantity),
        # An integer in the spec; the formatted total keeps the cents.
        "products_sum_total": round(total),
        "products_quantity_total_formatted": f"{num(quantity)}",
        "products_sum_total_formatted": lines.formatted_sum(ctx, total, deal["currency"]),
        "pagination": v1_pagination(start, limit, len(on_deal) > start + limit),
    }
    return ok(items or None, additional)


# -- additional discounts (v2) ---------------------------------------------------------


@handlers.operation("v2", "get_additional_discounts")
def get_additional_discounts(ctx: Ctx):
    deal = _deal(ctx, write=False)
    return ok([present.v2(DISCOUNT, r) for r in lines.deal_discount_rows(ctx, deal["id"])])


@handlers.operation("v2", "post_additional_discount", write=True)
def post_additional_discount(ctx: Ctx):
    deal = _deal(ctx, write=True)
    return ok(present.v2(DISCOUNT, lines.add_discount(ctx, deal, read(ctx, DISCOUNT))), status=201)


@handlers.operation("v2", "update_additional_discount", write=True)
def update_additional_discount(ctx: Ctx):
    deal, old = res.load_child(ctx, DISCOUNT, "discount_id")
    return ok(present.v2(DISCOUNT, lines.update_discount(ctx, deal, old, read(ctx, DISCOUNT, old))))


@handlers.operation("v2", "delete_additional_discount", write=True)
def delete_additional_discount(ctx: Ctx):
    deal, row = res.load_child(ctx, DISCOUNT, "discount_id")
    lines.remove_discount(ctx, deal, row)
    return ok({"id": row["id"]})


# -- installments (v2) -----------------------------------------------------------------

names = {"add": "post_installment", "update": "update_installment", "delete": "delete_installment"}
res.bind_children(handlers, INSTALLMENT, "v2", "installment_id", **names)
