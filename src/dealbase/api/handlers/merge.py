"""Merging deals, persons and organizations, and duplicating deals (v1)."""

from __future__ import annotations

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.inputs import coerce
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import merge
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity, Field
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.store import repository as repo


def merge_items(ctx: Ctx, entity: Entity) -> Reply:
    """The path item is absorbed into ``merge_with_id`` (``domain/merge.py``)."""
    absorbed = res.load(ctx, entity, ctx.path_id(), alive=True)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("merge_with_id") in (None, ""):
        raise BadRequest("Validation failed: merge_with_id: is required")
    other_id = coerce(Field("merge_with_id", "int", ref=entity.name), "merge_with_id", body["merge_with_id"], False)
    if other_id == absorbed["id"]:
        raise BadRequest(f"Validation failed: merge_with_id: a {entity.name} cannot be merged with itself")
    survivor = repo.get(ctx.conn, entity.table, ctx.company_id, other_id)
    if survivor is None or survivor.get("is_deleted"):
        raise BadRequest(f"Validation failed: merge_with_id: {entity.label} with id {other_id} not found")
    row = merge.merge(ctx, entity, absorbed, survivor)
    items, _ = res.render_v1(ctx, entity, [row], refs="plain")
    return ok({**items[0], "merge_what_id": absorbed["id"]})


handlers = Handlers()

for _entity in (DEAL, PERSON, ORGANIZATION):
    handlers.operation("v1", f"merge_{_entity.plural}", write=True)(lambda ctx, e=_entity: merge_items(ctx, e))


@handlers.operation("v1", "duplicate_deal", write=True)
def duplicate_deal(ctx: Ctx):
    """A copy of the deal, made now by the caller."""
    row = merge.duplicate(ctx, DEAL, res.load(ctx, DEAL, ctx.path_id(), alive=True))
    items, _ = res.render_v1(ctx, DEAL, [row], refs="plain")
    return ok(items[0])
