"""Organization relationships (``/v1/organizationRelationships``), from ``domain/org_relationships.py``."""

from __future__ import annotations

from dealbase.api.context import Ctx, required
from dealbase.api.errors import NotFound
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import org_relationships as relationships
from dealbase.store.tables import organizations

handlers = Handlers()


def _relationship(ctx: Ctx) -> relationships.Row:
    relationship_id = ctx.path_id()
    if (row := relationships.get(ctx, relationship_id)) is None:
        raise NotFound(f"Organization relationship {relationship_id} not found")
    return row


def _one(ctx: Ctx, relationship_id: int, base: int | None) -> Reply:
    items, related = relationships.present(ctx, [relationships.get(ctx, relationship_id)], base)
    return ok(items[0], related_objects=related)


@handlers.operation("v1", "get_organization_relationships")
def get_organization_relationships(ctx: Ctx) -> Reply:
    """Every relationship of an organization, seen from it."""
    org_id = required("org_id", ctx.int_param("org_id", minimum=1))
    org = ctx.rows(organizations, [org_id]).get(org_id)
    if org is None or org["is_deleted"]:
        raise NotFound("Organization not found")
    items, related = relationships.present(ctx, relationships.of_organization(ctx, org_id), org_id, named=True)
    return ok(items, related_objects=related)


@handlers.operation("v1", "get_organization_relationship")
def get_organization_relationship(ctx: Ctx) -> Reply:
    row = _relationship(ctx)
    return _one(ctx, row["id"], relationships.base_org(ctx, ctx.int_param("org_id", minimum=1), row))


@handlers.operation("v1", "add_organization_relationship", write=True)
def add_organization_relationship(ctx: Ctx) -> Reply:
    values = relationships.parse(ctx, ctx.body, None)
    base = relationships.base_org(ctx, ctx.body.get("org_id"), values)
    return _one(ctx, relationships.add(ctx, values), base)


@handlers.operation("v1", "update_organization_relationship", write=True)
def update_organization_relationship(ctx: Ctx) -> Reply:
    old = _relationship(ctx)
    values = relationships.parse(ctx, ctx.body, old)
    base = relationships.base_org(ctx, ctx.body.get("org_id"), {**old, **values})
    relationships.update(ctx, old, values)
    return _one(ctx, old["id"], base)


@handlers.operation("v1", "delete_organization_relationship", write=True)
def delete_organization_relationship(ctx: Ctx) -> Reply:
    row = _relationship(ctx)
    relationships.delete(ctx, [row])
    return ok({"id": row["id"]})
