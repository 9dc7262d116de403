"""Deal participants (v1), the persons of a deal, and who may see an item.

``/deals/{id}/participants``: list, add, remove and the changelog; ``/deals/{id}/persons``:
the participating persons as full v1 persons; ``/{items}/{id}/permittedUsers``: the users
who can see a deal, person or organization.
"""

from __future__ import annotations

from typing import Any

from dealbase.api import lists
from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.handlers.followers import changelog_page
from dealbase.api.inputs import body_ref
from dealbase.api.paging import offset_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.clock import now
from dealbase.domain import participants
from dealbase.domain.deals import DEAL
from dealbase.domain.entity import Entity
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.users import compact_one, permitted_user_ids
from dealbase.store import repository as repo
from dealbase.store.tables import deal_participants as table
from dealbase.store.tables import followers, users

handlers = Handlers()

Row = dict[str, Any]


def present(ctx: Ctx, rows: list[Row]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """v1 participant objects and their ``related_objects``."""
    deals = ctx.rows(DEAL.table, (r["deal_id"] for r in rows))
    people = ctx.rows(PERSON.table, (r["person_id"] for r in rows))
    adders = ctx.rows(users, (r["added_by_user_id"] for r in rows))
    person_rows = [people[i] for i in dict.fromkeys(r["person_id"] for r in rows) if i in people]
    full, related = res.render_v1(ctx, PERSON, person_rows)
    full_by_id = {p["id"]: p for p in full}
    compact = PERSON.v1_related(ctx, person_rows)
    items = []
    for row in rows:
        deal, adder = deals.get(row["deal_id"]), adders.get(row["added_by_user_id"])
        short = compact.get(row["person_id"])
        items.append(
            {
                "id": row["id"],
                "person_id": {**{k: v for k, v in short.items() if k != "id"}, "value": row["person_id"]}
                if short
                else None,
                "add_time": row["add_time"],
                "active_flag": bool(row["active_flag"]),
                "related_item_data": {"deal_id": row["deal_id"], "title": deal["title"] if deal else None},
                "person": full_by_id.get(row["person_id"]),
                "added_by_user_id": {**compact_one(adder), "value": adder["id"]} if adder else None,
                "related_item_type": "deal",
                "related_item_id": row["deal_id"],
            }
        )
    related.setdefault("user", {}).update({str(i): compact_one(u) for i, u in adders.items()})
    related.setdefault("person", {}).update({str(i): p for i, p in compact.items()})
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
    if participants.active(ctx, deal["id"], person["id"]) is not None:
        raise BadRequest(f"Person {person['id']} is already a participant of this deal")
    row_id = participants.add(ctx, deal["id"], person["id"], now())
    items, related = present(ctx, [repo.get(ctx.conn, table, ctx.company_id, row_id)])
    return ok(items[0], related_objects=related)


@handlers.operation("v1", "delete_deal_participant", write=True)
def delete_deal_participant(ctx: Ctx) -> Reply:
    deal = res.load(ctx, DEAL, ctx.path_id(), alive=True)
    row = repo.get(ctx.conn, table, ctx.company_id, ctx.path_id("deal_participant_id"))
    if row is None or row["deal_id"] != deal["id"] or not row["active_flag"]:
        raise NotFound("Participant not found")
    participants.remove(ctx, row, now())
    return ok({"id": row["id"]})


@handlers.operation("v1", "get_deal_participants_changelog")
def get_deal_participants_changelog(ctx: Ctx) -> Reply:
    """Participants added and removed, newest first, by cursor."""
    deal = res.load(ctx, DEAL, ctx.path_id())
    rows, next_cursor = changelog_page(ctx, "participant", "deal", deal["id"])
    items = [
        {"actor_user_id": r["actor_user_id"], "person_id": r["subject_id"], "action": r["action"], "time": r["time"]}
        for r in rows
    ]
    return ok(items, {"next_cursor": next_cursor})


lists.bind(handlers, PERSON, (participants.DEAL_PERSONS,))


# -- who can see an item ---------------------------------------------------------------


def permitted_users(ctx: Ctx, entity: Entity) -> Reply:
    """Every active user when the item is visible to the company; with ``visible_to`` 1
    (owner and followers), its owner, its followers and the admins."""
    item = res.load(ctx, entity, ctx.path_id())
    where = (followers.c.object_type == entity.name, followers.c.object_id == item["id"])
    following = repo.column_values(ctx.conn, followers, ctx.company_id, "user_id", *where)
    return ok(permitted_user_ids(ctx, item, following))


for _name, _entity in (("deal", DEAL), ("person", PERSON), ("organization", ORGANIZATION)):
    handlers.operation("v1", f"get_{_name}_users")(lambda ctx, e=_entity: permitted_users(ctx, e))
