"""Products, v1 and v2: the catalogue, its variations, its images, and the lists around it
(a product's deals and permitted users, a person's products)."""

from __future__ import annotations

from typing import Any

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers.core import alive, deal_status_v1, first_char, v1_owner
from dealbase.api.inputs import parse
from dealbase.api.paging import offset_page
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.api.uploads import Upload
from dealbase.clock import now, to_v2
from dealbase.domain import search_index
from dealbase.domain.deals import DEAL
from dealbase.domain.persons import PERSON
from dealbase.domain.products import PRODUCT, default_prices, parse_prices, prices_of, write_prices
from dealbase.domain.users import permitted_user_ids
from dealbase.domain.variations import VARIATION
from dealbase.events.changes import record_create, record_delete, record_update
from dealbase.store import blobs
from dealbase.store import repository as repo
from dealbase.store.tables import deal_products, deals, product_images, product_prices, product_variations

handlers = Handlers()

P = PRODUCT.table.c

# -- products --------------------------------------------------------------------------


@handlers.operation("v2", "get_products")
def get_products_v2(ctx: Ctx):
    where = res.saved_filter(ctx, PRODUCT)
    if where is None:
        where = res.ids_filter(ctx, PRODUCT) + res.quick_filters(ctx, PRODUCT)
    where += alive(PRODUCT)
    return res.list_v2(ctx, PRODUCT, where)


@handlers.operation("v1", "get_products")
def get_products_v1(ctx: Ctx):
    where = v1_owner(ctx, PRODUCT) + first_char(ctx, PRODUCT) + alive(PRODUCT)
    ids = ctx.ids_param("ids") or ctx.ids_param("ids[]")
    if ids is not None:
        where.append(P.id.in_(ids))
    additional = None
    if ctx.bool_param("get_summary"):
        total = repo.grouped(ctx.conn, PRODUCT.table, ctx.company_id, where, ())[0]["count"]
        additional = {"summary": {"total_count": total}}
    return res.list_v1(ctx, PRODUCT, where, additional=additional)


res.bind(handlers, PRODUCT, "v1", "v2")


def _variations(ctx: Ctx, product_id: int) -> list[dict[str, Any]]:
    c = product_variations.c
    return repo.all_rows(ctx.conn, product_variations, ctx.company_id, c.product_id == product_id, order_by=[c.id])


@handlers.operation("v2", "duplicate_product", write=True)
def duplicate_product(ctx: Ctx):
    """A copy with the same prices, variations (and theirs) and custom values; not the image."""
    source = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    stamp = now()
    values = {k: v for k, v in source.items() if k not in ("id", "company_id")}
    values.update(add_time=stamp, update_time=stamp)
    copy_id = repo.insert_row(ctx.conn, PRODUCT.table, ctx.company_id, values)
    record_create(ctx.conn, ctx.company_id, ctx.user_id, PRODUCT.name, copy_id, values, stamp)
    own = prices_of(ctx, [source["id"]]).get(source["id"], [])
    write_prices(ctx, copy_id, None, [_price_values(p) for p in own])
    variation_prices = prices_of(ctx, [source["id"]], variations=True)
    for variation in _variations(ctx, source["id"]):
        made = {"product_id": copy_id, "name": variation["name"], "add_time": stamp, "update_time": stamp}
        new_id = repo.insert_row(ctx.conn, product_variations, ctx.company_id, made)
        record_create(ctx.conn, ctx.company_id, ctx.user_id, VARIATION.name, new_id, made, stamp)
        write_prices(ctx, copy_id, new_id, [_price_values(p) for p in variation_prices.get(variation["id"], [])])
    search_index.reindex(ctx, PRODUCT.name, copy_id)
    return res.reply_one(ctx, PRODUCT, res.load(ctx, PRODUCT, copy_id), status=201)


def _price_values(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("currency", "price", "cost", "direct_cost", "notes")}


# -- variations (v2) -------------------------------------------------------------------


def _variation(ctx: Ctx, product_id: int) -> dict[str, Any]:
    row = repo.get(ctx.conn, product_variations, ctx.company_id, ctx.path_id("product_variation_id"))
    if row is None or row["product_id"] != product_id:
        raise NotFound("Product variation not found")
    return row


def _variation_prices(ctx: Ctx, product_id: int) -> list[dict[str, Any]] | None:
    raw = ctx.body.get("prices") if isinstance(ctx.body, dict) else None
    if raw is None:
        return None
    return parse_prices(raw, ctx.strict)


@handlers.operation("v2", "get_product_variations")
def get_product_variations(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id())
    return res.list_v2(ctx, VARIATION, [VARIATION.table.c.product_id == product["id"]], sorts=("id",))


@handlers.operation("v2", "add_product_variation", write=True)
def add_product_variation(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    values = parse(ctx, VARIATION, creating=True)
    prices = _variation_prices(ctx, product["id"])
    if prices is None:  # as Pipedrive: price, cost and direct cost 0 in the caller's currency
        prices = [{**default_prices(ctx)[0], "direct_cost": 0}]
    stamp = now()
    values.update(product_id=product["id"], add_time=stamp, update_time=stamp)
    row_id = repo.insert_row(ctx.conn, product_variations, ctx.company_id, values)
    write_prices(ctx, product["id"], row_id, prices)
    record_create(ctx.conn, ctx.company_id, ctx.user_id, VARIATION.name, row_id, {**values, "prices": prices}, stamp)
    return res.reply_one(ctx, VARIATION, res.load(ctx, VARIATION, row_id), status=201)


@handlers.operation("v2", "update_product_variation", write=True)
def update_product_variation(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    old = _variation(ctx, product["id"])
    values = parse(ctx, VARIATION, creating=False)
    prices = _variation_prices(ctx, product["id"])
    changed = {k: v for k, v in values.items() if old.get(k) != v}
    if prices is not None:
        write_prices(ctx, product["id"], old["id"], prices)
    if changed or prices is not None:
        stamp = now()
        changed["update_time"] = stamp
        repo.update_row(ctx.conn, product_variations, ctx.company_id, old["id"], changed)
        extra = {"prices": prices} if prices is not None else {}
        record_update(ctx.conn, ctx.company_id, ctx.user_id, VARIATION.name, old, {**changed, **extra}, stamp)
    return res.reply_one(ctx, VARIATION, res.load(ctx, VARIATION, old["id"]))


@handlers.operation("v2", "delete_product_variation", write=True)
def delete_product_variation(ctx: Ctx):
    """Gone for good, with its prices; deal products that used it keep their line without it."""
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    row = _variation(ctx, product["id"])
    repo.delete_rows(ctx.conn, product_prices, ctx.company_id, product_prices.c.variation_id == row["id"])
    repo.reassign(ctx.conn, deal_products, ctx.company_id, "product_variation_id", row["id"], None)
    repo.delete_rows(ctx.conn, product_variations, ctx.company_id, product_variations.c.id == row["id"])
    record_delete(ctx.conn, ctx.company_id, ctx.user_id, VARIATION.name, row, now())
    return ok({"id": row["id"]})


# -- images (v2) -------------------------------------------------------------------------


def _image(ctx: Ctx, product_id: int) -> dict[str, Any] | None:
    return repo.first(ctx.conn, product_images, ctx.company_id, product_images.c.product_id == product_id)


def _upload(ctx: Ctx) -> Upload:
    part = ctx.body.get("data") if isinstance(ctx.body, dict) else None
    if not isinstance(part, Upload):
        raise BadRequest("Validation failed: data: an image file is required (multipart/form-data)")
    if not part.content_type.lower().startswith("image/"):
        raise BadRequest("Validation failed: data: must be an image")
    if not part.data:
        raise BadRequest("Validation failed: data: the file is empty")
    if len(part.data) > ctx.settings.max_upload_bytes:
        raise BadRequest(f"Validation failed: data: larger than {ctx.settings.max_upload_bytes} bytes")
    return part


def public_url(ctx: Ctx, row: dict[str, Any]) -> str:
    """Where the image's bytes are served: a path with the blob's unguessable key."""
    return f"/_dealbase/blobs/{ctx.company_id}/{row['blob_key']}"


def _image_v2(ctx: Ctx, row: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    out = {
        "id": row["id"],
        "product_id": row["product_id"],
        "company_id": str(ctx.company_id),
        "add_time": to_v2(row["add_time"]),
    }
    if full:
        out.update(public_url=public_url(ctx, row), mime_type=row["mime_type"], name=row["name"])
    return out


def _store_image(ctx: Ctx, part: Upload) -> dict[str, Any]:
    suffix = part.filename.rsplit(".", 1)[-1] if "." in part.filename else ""
    key = blobs.put(ctx.settings.files_dir, ctx.company_id, part.data, suffix)
    # A write that fails after this leaves the blob behind but no row: unreachable, harmless.
    return {
        "blob_key": key,
        "name": (part.filename or "image")[:255],
        "mime_type": part.content_type[:255],
        "size": len(part.data),
    }


@handlers.operation("v2", "upload_product_image", write=True)
def upload_product_image(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    part = _upload(ctx)
    if _image(ctx, product["id"]) is not None:
        raise BadRequest("The product already has an image: update it (PUT) or delete it first")
    stamp = now()
    values = {**_store_image(ctx, part), "product_id": product["id"], "add_time": stamp, "update_time": stamp}
    row_id = repo.insert_row(ctx.conn, product_images, ctx.company_id, values)
    record_create(ctx.conn, ctx.company_id, ctx.user_id, "product_image", row_id, values, stamp)
    return ok(_image_v2(ctx, repo.get(ctx.conn, product_images, ctx.company_id, row_id)), status=201)


@handlers.operation("v2", "get_product_image")
def get_product_image(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id())
    row = _image(ctx, product["id"])
    if row is None:
        raise NotFound("Product image not found")
    return ok(_image_v2(ctx, row, full=True))


@handlers.operation("v2", "update_product_image", write=True)
def update_product_image(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    part = _upload(ctx)
    old = _image(ctx, product["id"])
    if old is None:
        raise NotFound("Product image not found")
    stamp = now()
    changed = {**_store_image(ctx, part), "add_time": stamp, "update_time": stamp}
    repo.update_row(ctx.conn, product_images, ctx.company_id, old["id"], changed)
    record_update(ctx.conn, ctx.company_id, ctx.user_id, "product_image", old, changed, stamp)
    blobs.remove(ctx.settings.files_dir, ctx.company_id, old["blob_key"])
    return ok(_image_v2(ctx, repo.get(ctx.conn, product_images, ctx.company_id, old["id"])))


@handlers.operation("v2", "delete_product_image", write=True)
def delete_product_image(ctx: Ctx):
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=True)
    row = _image(ctx, product["id"])
    if row is None:
        raise NotFound("Product image not found")
    repo.delete_rows(ctx.conn, product_images, ctx.company_id, product_images.c.id == row["id"])
    record_delete(ctx.conn, ctx.company_id, ctx.user_id, "product_image", row, now())
    blobs.remove(ctx.settings.files_dir, ctx.company_id, row["blob_key"])
    return ok({"id": row["id"]})


# -- lists around products (v1) --------------------------------------------------------


@handlers.operation("v1", "get_product_deals")
def get_product_deals(ctx: Ctx):
    """The deals this product is attached to."""
    product = res.load(ctx, PRODUCT, ctx.path_id())
    ids = repo.distinct_values(
        ctx.conn, deal_products, ctx.company_id, "deal_id", deal_products.c.product_id == product["id"]
    )
    where = [DEAL.table.c.id.in_(ids)] + deal_status_v1(ctx)
    return res.list_v1(ctx, DEAL, where)


@handlers.operation("v1", "get_product_users")
def get_product_users(ctx: Ctx):
    """Who can see the product, by its visibility: when it is visible to its owner only
    (and followers), the owner and the admins, who see everything; else every active user."""
    product = res.load(ctx, PRODUCT, ctx.path_id())
    return ok(permitted_user_ids(ctx, product))


def _flat_deal(row: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id", "creator_user_id", "person_id", "org_id", "stage_id", "title", "currency", "add_time", "update_time",
        "stage_change_time", "status", "probability", "next_activity_date", "next_activity_time", "next_activity_id",
        "last_activity_id", "last_activity_date", "lost_reason", "close_time", "pipeline_id", "won_time",
        "first_won_time", "lost_time", "products_count", "files_count", "notes_count", "activities_count",
        "done_activities_count", "undone_activities_count", "participants_count", "expected_close_date",
    )  # fmt: skip
    out = {k: row[k] for k in keys}
    out.update(
        value=row["value"],
        user_id=row["owner_id"],
        first_add_time=row["add_time"],
        active=row["status"] == "open" and not row["is_deleted"],
        deleted=bool(row["is_deleted"]),
        visible_to=str(row["visible_to"]),
        email_messages_count=0,
        last_incoming_mail_time=None,
        last_outgoing_mail_time=None,
        label=None,
    )
    return out


@handlers.operation("v1", "get_person_products")
def get_person_products(ctx: Ctx):
    """The products on the person's deals: one ``{deal id: {deal, product}}`` per attachment."""
    person = res.load(ctx, PERSON, ctx.path_id())
    deal_ids = repo.distinct_values(
        ctx.conn, deals, ctx.company_id, "id", deals.c.person_id == person["id"], deals.c.is_deleted.is_(False)
    )
    lines, pagination = offset_page(ctx, deal_products, [deal_products.c.deal_id.in_(deal_ids)])
    found_deals = ctx.rows(deals, (r["deal_id"] for r in lines))
    found_products = ctx.rows(PRODUCT.table, (r["product_id"] for r in lines))
    shown, _related = res.render_v1(ctx, PRODUCT, list(found_products.values()), refs="plain")
    by_id = {p["id"]: p for p in shown}
    items = []
    for line in lines:
        product = {**by_id[line["product_id"]], "deal_id": line["deal_id"], "company_id": ctx.company_id}
        items.append({str(line["deal_id"]): {"deal": _flat_deal(found_deals[line["deal_id"]]), "product": product}})
    return ok(items or None, {"pagination": pagination})
