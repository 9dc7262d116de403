"""Merging deals, persons and organizations, and duplicating deals (v1): ``domain/merge.py``."""

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

handlers = Handlers()


def merge_items(ctx: Ctx, entity: Entity) -> Reply:
    """The path item is absorbed into ``merge_with_id``."""
    absorbed = res.load(ctx, entity, ctx.path_id(), alive=True)
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("merge_with_id") in (None, ""):
        raise BadRequest("Validation failed: merge_with_id: is required")
    other_id = coerce(Field("merge_with_id", "int", ref=entity.name), "merge_with_id", body["merge_with_id"], False)
    row = merge.merge_with(ctx, entity, absorbed, other_id)
    items, _ = res.render_v1(ctx, entity, [row], refs="plain")
    return ok({**items[0], "merge_what_id": absorbed["id"]})


handlers.per_entity("v1", "merge_{plural}", (DEAL, PERSON, ORGANIZATION), merge_items, write=True)


@handlers.operation("v1", "duplicate_deal", write=True)
def duplicate_deal(ctx: Ctx) -> Reply:
    """A copy of the deal, made now by the caller."""
    row = merge.duplicate(ctx, DEAL, res.load(ctx, DEAL, ctx.path_id(), alive=True))
    items, _ = res.render_v1(ctx, DEAL, [row], refs="plain")
    return ok(items[0])
