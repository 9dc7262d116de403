"""The core sales API: pipelines, stages, organizations, persons and deals, v1 and v2.

Each operation is a generic resource operation bound to an entity: get, add, update,
delete, v1's bulk delete, and the lists each entity declares (``Entity.lists``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.router import Handlers
from dealbase.domain import lists as declared
from dealbase.domain.deals import DEAL, STATUS_V1
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.pipelines import PIPELINE
from dealbase.domain.stages import STAGE

handlers = Handlers()

for _entity in (DEAL, PERSON, ORGANIZATION, PIPELINE, STAGE):
    res.bind(handlers, _entity, "v2", "v1")
    lists.bind(handlers, _entity)
    if _entity is not PIPELINE:
        handlers.operation("v1", f"delete_{_entity.plural}", write=True)(lambda ctx, e=_entity: res.bulk_delete(ctx, e))


# -- for the lists still written by hand (products, summaries, statistics) ---------------------


def alive(entity: Entity) -> list[ColumnElement]:
    return [entity.table.c.is_deleted.is_(False)]


def archived(value: bool) -> list[ColumnElement]:
    return [declared.archived(DEAL.table.c.is_archived, value)]


def deal_status_v1(ctx: Ctx) -> list[ColumnElement]:
    return lists.conditions(ctx, (STATUS_V1,))


def v1_owner(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    """``filter_id`` (a saved filter) or else ``user_id`` / ``owned_by_you``."""
    saved = res.saved_filter(ctx, entity)
    return saved if saved is not None else lists.conditions(ctx, declared.owner(entity.table))


def first_char(ctx: Ctx, entity: Entity) -> list[ColumnElement]:
    return lists.conditions(ctx, (declared.first_char(entity.table),))
