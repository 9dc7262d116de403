"""Products, v1 and v2: the catalogue, its variations, its images, and the lists around it
(a product's deals and permitted users, a person's products)."""

from __future__ import annotations

from typing import Any

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.paging import offset_page
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.api.uploads import Upload
from dealbase.clock import to_v2
from dealbase.domain.common import mail_values
from dealbase.domain import deal_products as lines
from dealbase.domain import lists as declared
from dealbase.domain import product_duplicate, products, visibility
from dealbase.domain.deal_products import DEAL_PRODUCT
from dealbase.domain.deals import DEAL
from dealbase.domain.persons import PERSON
from dealbase.domain.products import PRODUCT
from dealbase.domain.users import permitted_user_ids
from dealbase.domain.variations import VARIATION
from dealbase.store import repository as repo

handlers = Handlers()

# -- products --------------------------------------------------------------------------


@handlers.operation("v1", "get_products")
def get_products_v1(ctx: Ctx):
    """Not declared: ``ids`` or else ``ids[]``, one of the two, fits no declared parameter."""
    table = PRODUCT.table
    saved = res.saved_filter(ctx, PRODUCT)
    where = saved if saved is not None else lists.conditions(ctx, declared.owner(table))
    where += lists.conditions(ctx, (declared.first_char(table),)) + [table.c.is_deleted.is_(False)]
    where += visibility.where(ctx, PRODUCT)
    ids = ctx.ids_param("ids") or ctx.ids_param("ids[]")
    if ids is not None:
        where.append(PRODUCT.table.c.id.in_(ids))
    additional = None
    if ctx.bool_param("get_summary"):
        total = repo.grouped(ctx.conn, PRODUCT.table, ctx.company_id, where, ())[0]["count"]
        additional = {"summary": {"total_count": total}}
    return res.list_v1(ctx, PRODUCT, where, additional=additional)


res.bind(handlers, PRODUCT, "v1", "v2")
for _entity in (PRODUCT, VARIATION):
    lists.bind(handlers, _entity)
lists.bind(handlers, DEAL, [lines.PRODUCT_DEALS])


@handlers.operation("v2", "duplicate_product", write=True)
def duplicate_product(ctx: Ctx):
    """A copy with the same prices, variations (and theirs) and custom values; not the image."""
    copy = product_duplicate.duplicate(ctx, res.load(ctx, PRODUCT, ctx.path_id(), alive=True))
    return res.reply_one(ctx, PRODUCT, copy, status=201)


# -- variations (v2) -------------------------------------------------------------------


names = {"add": "add_product_variation", "update": "update_product_variation", "delete": "delete_product_variation"}
res.bind_children(handlers, VARIATION, "v2", "product_variation_id", **names)


# -- images (v2) -------------------------------------------------------------------------


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


def _image_v2(ctx: Ctx, row: dict[str, Any], *, full: bool = False) -> dict[str, Any]:
    out = {"id": row["id"], "product_id": row["product_id"], "company_id": str(ctx.company_id)}
    out["add_time"] = to_v2(row["add_time"])
    if full:  # where the bytes are served: a path with the blob's unguessable key
        out.update(public_url=f"/_dealbase/blobs/{ctx.company_id}/{row['blob_key']}")
        out.update(mime_type=row["mime_type"], name=row["name"])
    return out


def _image(ctx: Ctx, *, write: bool, needed: bool = True) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The path's product and its image; ``needed``: a 404 without one."""
    product = res.load(ctx, PRODUCT, ctx.path_id(), alive=write)
    row = products.image_of(ctx, product["id"])
    if row is None and needed:
        raise NotFound("Product image not found")
    return product, row


@handlers.operation("v2", "upload_product_image", write=True)
def upload_product_image(ctx: Ctx):
    product, _ = _image(ctx, write=True, needed=False)
    row = products.add_image(ctx, ctx.settings.files_dir, product, _upload(ctx))
    return ok(_image_v2(ctx, row), status=201)


@handlers.operation("v2", "get_product_image")
def get_product_image(ctx: Ctx):
    return ok(_image_v2(ctx, _image(ctx, write=False)[1], full=True))


@handlers.operation("v2", "update_product_image", write=True)
def update_product_image(ctx: Ctx):
    """The new upload in place of the old one, whose bytes go."""
    _, old = _image(ctx, write=True, needed=False)
    part = _upload(ctx)
    if old is None:
        raise NotFound("Product image not found")
    return ok(_image_v2(ctx, products.replace_image(ctx, ctx.settings.files_dir, old, part)))


@handlers.operation("v2", "delete_product_image", write=True)
def delete_product_image(ctx: Ctx):
    _, row = _image(ctx, write=True)
    products.remove_image(ctx, ctx.settings.files_dir, row)
    return ok({"id": row["id"]})


# -- lists around products (v1) --------------------------------------------------------


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
        **mail_values(row),
        label=None,
    )
    return out


@handlers.operation("v1", "get_person_products")
def get_person_products(ctx: Ctx):
    """The products on the person's deals: one ``{deal id: {deal, product}}`` per attachment."""
    person = res.load(ctx, PERSON, ctx.path_id())
    on_deals, pagination = offset_page(ctx, DEAL_PRODUCT.table, lines.of_person(ctx, person["id"]))
    found_deals = ctx.rows(DEAL.table, (r["deal_id"] for r in on_deals))
    found_products = ctx.rows(PRODUCT.table, (r["product_id"] for r in on_deals))
    shown, _related = res.render_v1(ctx, PRODUCT, list(found_products.values()), refs="plain")
    by_id = {p["id"]: p for p in shown}
    items = []
    for line in on_deals:
        product = {**by_id[line["product_id"]], "deal_id": line["deal_id"], "company_id": ctx.company_id}
        items.append({str(line["deal_id"]): {"deal": _flat_deal(found_deals[line["deal_id"]]), "product": product}})
    return ok(items or None, {"pagination": pagination})
