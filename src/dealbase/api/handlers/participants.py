"""Deal participants (v1), the persons of a deal, and who may see an item.

``/deals/{id}/participants``: list, add and remove (``domain/participants.py``; the
changelog is ``history.py``'s); ``/deals/{id}/persons``: the participating persons as full
v1 persons; ``/{items}/{id}/permittedUsers``: the users who can see a deal, person or
organization.
"""

from __future__ import annotations

from typing import Any

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.inputs import body_ref
from dealbase.api.paging import offset_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import followers, participants
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.users import permitted_user_ids
from dealbase.store.tables import deal_participants as table

handlers = Handlers()

Row = dict[str, Any]


def present(ctx: Ctx, rows: list[Row]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """v1 participant objects and their ``related_objects``."""
    full, related = res.render_v1(ctx, PERSON, participants.persons_of(ctx, rows))
    items, more = participants.v1_objects(ctx, rows, {p["id"]: p for p in full})
    for kind, objects in more.items():
        related.setdefault(kind, {}).update(objects)
    return items, related


def _active_of(deal_id: int) -> list:
    return [table.c.deal_id == deal_id, table.c.active_flag.is_(True)]


@handlers.operation("v1", "get_deal_participants")
def get_deal_participants(ctx: Ctx) -> Reply:
    """The deal's participants, oldest first."""
    deal = res.load(ctx, DEAL, ctx.path_id())
    rows, pagination = offset_page(ctx, table, _active_of(deal["id"]))
    items, related = present(ctx, rows)
    return ok(items or None, {"pagination": pagination}, related_objects=related)


@handlers.operation("v1", "add_deal_participant", write=True)
def add_deal_participant(ctx: Ctx) -> Reply:
    deal = res.load(ctx, DEAL, ctx.path_id(), alive=True)
    person = body_ref(ctx, "person_id", PERSON)
    items, related = present(ctx, [participants.join(ctx, deal["id"], person["id"])])
    return ok(items[0], related_objects=related)


@handlers.operation("v1", "delete_deal_participant", write=True)
def delete_deal_participant(ctx: Ctx) -> Reply:
    deal = res.load(ctx, DEAL, ctx.path_id(), alive=True)
    row = participants.of_deal(ctx, deal["id"], ctx.path_id("deal_participant_id"))
    if row is None:
        raise NotFound("Participant not found")
    participants.remove(ctx, row)
    return ok({"id": row["id"]})


lists.bind(handlers, PERSON, (participants.DEAL_PERSONS,))


def permitted_users(ctx: Ctx, entity: Entity) -> Reply:
    """Every active user when the item is visible to the company; with ``visible_to`` 1
    (owner and followers), its owner, its followers and the admins."""
    item = res.load(ctx, entity, ctx.path_id())
    return ok(permitted_user_ids(ctx, item, followers.user_ids(ctx, entity.name, item["id"])))


handlers.per_entity("v1", "get_{name}_users", (DEAL, PERSON, ORGANIZATION), permitted_users)
