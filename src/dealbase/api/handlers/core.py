"""The core sales API: pipelines, stages, organizations, persons and deals, v1 and v2.

Each operation is the generic resource operation bound to an entity, plus the list
filters that operation takes. Names follow Pipedrive's operation ids.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.router import Handlers
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity, V1Refs
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.pipelines import PIPELINE
from dealbase.domain.stages import STAGE

handlers = Handlers()

CORE = (DEAL, PERSON, ORGANIZATION, PIPELINE, STAGE)
DEAL_STATUSES_V2 = ("open", "won", "lost", "deleted")
DEAL_STATUSES_V1 = ("open", "won", "lost", "deleted", "all_not_deleted")


def alive(entity: Entity) -> list[ColumnElement]:
    return [entity.table.c.is_deleted.is_(False)]


def deal_status_v2(ctx: Ctx) -> list[ColumnElement]:
    """``status=open,won,…``; without it every deal that is not deleted."""
    c = DEAL.table.c
    statuses = ctx.list_param("status")
    if not statuses:
        return [c.is_deleted.is_(False)]
    unknown = [s for s in statuses if s not in DEAL_STATUSES_V2]
    if unknown:
        raise BadRequest(f"Invalid 'status' parameter: must be one or more of {', '.join(DEAL_STATUSES_V2)}")
    live = [s for s in statuses if s != "deleted"]
    parts = []
    if live:
        parts.append(c.is_deleted.is_(False) & c.status.in_(live))
    if "deleted" in statuses:
        parts.append(c.is_deleted.is_(True))
    return [or_(*parts)]


def deal_status_v1(ctx: Ctx) -> list[ColumnElement]:
    c = DEAL.table.c
    status = ctx.choice_param("status", DEAL_STATUSES_V1, "all_not_deleted")
    if status == "all_not_deleted":
        return [c.is_deleted.is_(False)]
    if status == "deleted":
        return [c.is_deleted.is_(True)]
    return [c.is_deleted.is_(False), c.status == status]


def archived(value: bool) -> list[ColumnElement]:
    return [DEAL.table.c.is_archived.is_(true() if value else false())]


def v2_where(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    """``filter_id`` (a saved filter) or else ``ids`` and the quick filters; ``updated_*`` either way."""
    saved = res.saved_filter(ctx, entity)
    if saved is None:
        saved = res.ids_filter(ctx, entity) + res.quick_filters(ctx, entity)
    return saved + res.updated_filters(ctx, entity.table)


def v1_owner(ctx: Ctx, entity: Entity, column: str = "owner_id") -> list[ColumnElement]:
    """``filter_id`` (a saved filter) or else ``user_id`` / ``owned_by_you``."""
    saved = res.saved_filter(ctx, entity)
    if saved is not None:
        return saved
    where = []
    user_id = ctx.int_param("user_id", minimum=1)
    if user_id is not None:
        where.append(entity.table.c[column] == user_id)
    if ctx.bool_param("owned_by_you"):
        where.append(entity.table.c[column] == ctx.user_id)
    return where


def first_char(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    char = ctx.raw("first_char")
    if not char:
        return []
    if len(char) != 1:
        raise BadRequest("Invalid 'first_char' parameter: must be a single character")
    return [entity.table.c.name.ilike(char.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\")]


# -- v2 ----------------------------------------------------------------------------------

for _entity in CORE:
    res.bind(handlers, _entity, "v2", "v1")
    if _entity is not PIPELINE:
        handlers.operation("v1", f"delete_{_entity.plural}", write=True)(lambda ctx, e=_entity: res.bulk_delete(ctx, e))


@handlers.operation("v2", "get_deals")
def get_deals_v2(ctx: Ctx):
    """All deals not archived, with the v2 quick filters."""
    return res.list_v2(ctx, DEAL, v2_where(ctx, DEAL) + deals_status_v2(ctx) + archived(False))


@handlers.operation("v2", "get_archived_deals")
def get_archived_deals_v2(ctx: Ctx):
    return res.list_v2(ctx, DEAL, v2_where(ctx, DEAL) + deals_status_v2(ctx) + archived(True))


def deals_status_v2(ctx: Ctx) -> list[ColumnElement]:
    """``status``, ignored beside a ``filter_id`` (the deals not deleted, then)."""
    return alive(DEAL) if ctx.raw("filter_id") else deal_status_v2(ctx)


@handlers.operation("v2", "get_persons")
def get_persons_v2(ctx: Ctx):
    where = v2_where(ctx, PERSON) + alive(PERSON)
    deal_id = None if ctx.raw("filter_id") else ctx.int_param("deal_id", minimum=1)  # filter_id overrides it
    if deal_id is not None:
        deal = res.load(ctx, DEAL, deal_id)
        where.append(PERSON.table.c.id == deal["person_id"])
    return res.list_v2(ctx, PERSON, where)


@handlers.operation("v2", "get_organizations")
def get_organizations_v2(ctx: Ctx):
    return res.list_v2(ctx, ORGANIZATION, v2_where(ctx, ORGANIZATION) + alive(ORGANIZATION))


@handlers.operation("v2", "get_pipelines")
def get_pipelines_v2(ctx: Ctx):
    return res.list_v2(ctx, PIPELINE, alive(PIPELINE))


@handlers.operation("v2", "get_stages")
def get_stages_v2(ctx: Ctx):
    return res.list_v2(ctx, STAGE, res.quick_filters(ctx, STAGE) + alive(STAGE))


# -- classic v1 lists ------------------------------------------------------------------


@handlers.operation("v1", "get_deals")
def get_deals_v1(ctx: Ctx):
    where = v1_owner(ctx, DEAL) + deal_status_v1(ctx) + archived(False)
    stage_id = ctx.int_param("stage_id", minimum=1)
    if stage_id is not None:
        where.append(DEAL.table.c.stage_id == stage_id)
    return res.list_v1(ctx, DEAL, where)


@handlers.operation("v1", "get_archived_deals")
def get_archived_deals_v1(ctx: Ctx):
    where = v1_owner(ctx, DEAL) + deal_status_v1(ctx) + archived(True)
    where += res.quick_filters(ctx, DEAL, {"person_id": "person_id", "org_id": "org_id"})
    ctx.int_param("product_id", minimum=1)  # checked, then ignored: a deal has no product column
    where += res.quick_filters(ctx, DEAL, {"pipeline_id": "pipeline_id", "stage_id": "stage_id"})
    return res.list_v1(ctx, DEAL, where)


@handlers.operation("v1", "get_persons")
def get_persons_v1(ctx: Ctx):
    return res.list_v1(ctx, PERSON, v1_owner(ctx, PERSON) + first_char(ctx, PERSON) + alive(PERSON))


@handlers.operation("v1", "get_organizations")
def get_organizations_v1(ctx: Ctx):
    where = v1_owner(ctx, ORGANIZATION) + first_char(ctx, ORGANIZATION) + alive(ORGANIZATION)
    return res.list_v1(ctx, ORGANIZATION, where)


@handlers.operation("v1", "get_pipelines")
def get_pipelines_v1(ctx: Ctx):
    return res.list_v1(ctx, PIPELINE, alive(PIPELINE))


@handlers.operation("v1", "get_stages")
def get_stages_v1(ctx: Ctx):
    where = alive(STAGE)
    pipeline_id = ctx.int_param("pipeline_id", minimum=1)
    if pipeline_id is not None:
        where.append(STAGE.table.c.pipeline_id == pipeline_id)
    return res.list_v1(ctx, STAGE, where)


def _deals_of(
    ctx: Ctx, parent: Entity, column: str, *, owner: bool = False, status: bool = True, refs: V1Refs | None = None
):
    """The v1 sub-list of a parent's deals (``/persons/{id}/deals`` and the like).

    The pipeline and stage lists (still in the current v1) give references as plain ids.
    """
    res.load(ctx, parent, ctx.path_id())
    where = [DEAL.table.c[column] == ctx.path_id()] + archived(False)
    where += deal_status_v1(ctx) if status else [DEAL.table.c.is_deleted.is_(False)]
    if owner:
        where += v1_owner(ctx, DEAL)
    return res.list_v1(ctx, DEAL, where, refs=refs)


@handlers.operation("v1", "get_person_deals")
def get_person_deals(ctx: Ctx):
    return _deals_of(ctx, PERSON, "person_id")


@handlers.operation("v1", "get_organization_deals")
def get_organization_deals(ctx: Ctx):
    return _deals_of(ctx, ORGANIZATION, "org_id")


@handlers.operation("v1", "get_pipeline_deals")
def get_pipeline_deals(ctx: Ctx):
    return _deals_of(ctx, PIPELINE, "pipeline_id", owner=True, status=False, refs="plain")


@handlers.operation("v1", "get_stage_deals")
def get_stage_deals(ctx: Ctx):
    return _deals_of(ctx, STAGE, "stage_id", owner=True, status=False, refs="plain")


@handlers.operation("v1", "get_organization_persons")
def get_organization_persons(ctx: Ctx):
    res.load(ctx, ORGANIZATION, ctx.path_id())
    return res.list_v1(ctx, PERSON, [PERSON.table.c.org_id == ctx.path_id()] + alive(PERSON))
