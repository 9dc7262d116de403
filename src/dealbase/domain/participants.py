"""Deal participants: the persons taking part in a deal.

The deal's own person is a participant from the moment it is set (a person set later, or
a new one, joins; the previous one stays). Removing a participant clears its
``active_flag``. Adds and removals are kept in ``people_changes`` (the participants
changelog) and refresh the deal's stored ``participants_count``. A participant's v1 object
(``v1_objects``) shows its person both compact and in full, with the deal's title and who
added it.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import counters, hooks, service
from dealbase.domain.deals import DEAL
from dealbase.domain.followers import history
from dealbase.domain.lists import Listing
from dealbase.domain.persons import PERSON
from dealbase.domain.unit import Unit
from dealbase.domain.users import compact_one
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import deal_participants as table
from dealbase.store.tables import persons, users

Row = dict[str, Any]


counters.count_source("participants", table, "participants_count", {"deal": "deal_id"}, table.c.active_flag.is_(True))


def active(ctx, deal_id: int, person_id: int) -> Row | None:
    equals = {"deal_id": deal_id, "person_id": person_id, "active_flag": True}
    return next(iter(repo.rows_equal(ctx.conn, table, ctx.company_id, equals)), None)


def active_person_ids(ctx, deal_id: int) -> list[int]:
    where = (table.c.deal_id == deal_id, table.c.active_flag.is_(True))
    return repo.column_values(ctx.conn, table, ctx.company_id, "person_id", *where)


# ``/v1/deals/{id}/persons``: the persons participating in the deal, as v1 persons.
DEAL_PERSONS = Listing(
    "v1",
    "get_deal_persons",
    parent="deal",
    link=lambda unit, deal: [persons.c.id.in_(active_person_ids(unit, deal["id"]))],
)


def add(ctx, deal_id: int, person_id: int, stamp: str) -> int:
    values = {
        "deal_id": deal_id,
        "person_id": person_id,
        "added_by_user_id": ctx.user_id,
        "add_time": stamp,
        "active_flag": True,
    }
    row_id = service.insert(ctx, table, values, event="deal_participant", stamp=stamp)
    history(ctx, "participant", "deal", deal_id, person_id, "added", stamp)
    counters.refresh(ctx, "participants", "deal", [deal_id])
    return row_id


def join(unit: Unit, deal_id: int, person_id: int) -> Row:
    """The person takes part in the deal (refused when already taking part): the new row."""
    if active(unit, deal_id, person_id) is not None:
        raise BadInput(f"Person {person_id} is already a participant of this deal")
    row_id = add(unit, deal_id, person_id, unit.clock())
    return repo.get(unit.conn, table, unit.company_id, row_id)


def of_deal(unit: Unit, deal_id: int, participant_id: int) -> Row | None:
    """An active participant of the deal, by the participant row's id."""
    row = repo.get(unit.conn, table, unit.company_id, participant_id)
    return row if row is not None and row["deal_id"] == deal_id and row["active_flag"] else None


def persons_of(unit: Unit, rows: list[Row]) -> list[Row]:
    """The persons of participant rows, once each, in the rows' order."""
    people = unit.rows(PERSON.table, (r["person_id"] for r in rows))
    return [people[i] for i in dict.fromkeys(r["person_id"] for r in rows) if i in people]


def v1_objects(unit: Unit, rows: list[Row], persons: dict[int, Any]) -> tuple[list[Row], dict[str, Any]]:
    """v1 participant objects (``persons``: the full v1 person of each person id), and the
    compact users and persons their ``related_objects`` add."""
    deals = unit.rows(DEAL.table, (r["deal_id"] for r in rows))
    adders = unit.rows(users, (r["added_by_user_id"] for r in rows))
    compact = PERSON.v1_related(unit, persons_of(unit, rows))
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
                "person": persons.get(row["person_id"]),
                "added_by_user_id": {**compact_one(adder), "value": adder["id"]} if adder else None,
                "related_item_type": "deal",
                "related_item_id": row["deal_id"],
            }
        )
    related = {
        "user": {str(i): compact_one(u) for i, u in adders.items()},
        "person": {str(i): p for i, p in compact.items()},
    }
    return items, related


def remove(ctx, row: Row, stamp: str | None = None) -> None:
    stamp = stamp or ctx.clock()
    service.change(ctx, table, row, {"active_flag": False}, event="deal_participant", stamp=stamp)
    history(ctx, "participant", "deal", row["deal_id"], row["person_id"], "removed", stamp)
    counters.refresh(ctx, "participants", "deal", [row["deal_id"]])


@hooks.after_write
def deal_person_participates(ctx, entity, old: Row | None, row: Row) -> None:
    if entity.name != "deal" or row.get("person_id") is None:
        return
    if old is not None and old.get("person_id") == row["person_id"]:
        return
    if active(ctx, row["id"], row["person_id"]) is None:
        add(ctx, row["id"], row["person_id"], row["update_time"] or row["add_time"])


def _merge_into(ctx, rows: list[Row], key: str, survivor: int, stamp: str) -> None:
    """Move active participant rows onto ``survivor`` (as deal or as person), once each."""
    for row in rows:
        deal_id = survivor if key == "deal_id" else row["deal_id"]
        person_id = survivor if key == "person_id" else row["person_id"]
        remove(ctx, row, stamp)
        if active(ctx, deal_id, person_id) is None:
            add(ctx, deal_id, person_id, stamp)


@hooks.on_merge
def move_participants(ctx, entity_name: str, absorbed: int, survivor: int, stamp: str) -> None:
    key = {"deal": "deal_id", "person": "person_id"}.get(entity_name)
    if key is None:
        return
    rows = repo.all_rows(
        ctx.conn, table, ctx.company_id, table.c[key] == absorbed, table.c.active_flag.is_(True), order_by=[table.c.id]
    )
    _merge_into(ctx, rows, key, survivor, stamp)


@hooks.on_duplicate
def copy_participants(ctx, entity_name: str, original: int, copy: int, stamp: str) -> None:
    if entity_name != "deal":
        return
    kept = set(active_person_ids(ctx, copy))
    for person_id in active_person_ids(ctx, original):
        if person_id not in kept:
            add(ctx, copy, person_id, stamp)
            kept.add(person_id)
