"""Organization relationships (``/v1/organizationRelationships``): two organizations of the
company, hierarchical (``parent``: the owner is the parent, the linked organization its
daughter) or lateral (``related``).

An organization is never related to itself, and two organizations are related once at most
(either way round). Seen from one of its organizations (the ``org_id`` a caller names), a
relationship has a calculated type: what the other organization is to it (``parent``,
``daughter`` or ``related``). A deleted organization's relationships go with it; a merge moves
the absorbed organization's relationships to the survivor, dropping those that would relate it
to itself or repeat one it has.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import hooks, service
from dealbase.domain.registry import entity
from dealbase.domain.roles import integer, json_object
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import org_relationships as table
from dealbase.store.tables import organizations

Row = dict[str, Any]

EVENT = "organizationRelationship"
TYPES = ("parent", "related")
ENDS = ("rel_owner_org_id", "rel_linked_org_id")


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


def get(unit, relationship_id: int) -> Row | None:
    row = repo.get(unit.conn, table, unit.company_id, relationship_id)
    return None if row is None or row["is_deleted"] else row


def organization(unit, value: Any, key: str) -> int:
    """A live organization of the company's id, else a refusal naming ``key``."""
    value = integer(value, key)
    row = repo.get(unit.conn, organizations, unit.company_id, value)
    if row is None or row["is_deleted"]:
        raise _bad(key, f"Organization with id {value} not found")
    return value


def parse(unit, body: Any, old: Row | None) -> Row:
    """A relationship's columns from a request body (all of them on a create), checked."""
    body = json_object(body)
    values: Row = {}
    if "type" in body or old is None:
        if body.get("type") not in TYPES:
            raise _bad("type", "is required" if body.get("type") is None else "must be one of parent, related")
        values["type"] = body["type"]
    for key in ENDS:
        if key in body or old is None:
            if body.get(key) is None:
                raise _bad(key, "is required")
            values[key] = organization(unit, body[key], key)
    owner, linked = (values.get(k, old and old[k]) for k in ENDS)
    if owner == linked:
        raise BadInput("Validation failed: an organization cannot be related to itself")
    if _between(unit, owner, linked, skip=old["id"] if old else None):
        raise BadInput(f"Validation failed: organizations {owner} and {linked} are already related")
    return values


def _between(unit, one: int, other: int, skip: int | None = None) -> list[Row]:
    """The relationships between two organizations (either way round), but ``skip``."""
    pair = {one, other}
    return [r for r in of_organization(unit, one) if {r[k] for k in ENDS} == pair and r["id"] != skip]


def base_org(unit, value: Any, row: Row, key: str = "org_id") -> int | None:
    """The organization the calculated values are seen from: one of the relationship's two."""
    if value is None:
        return None
    value = integer(value, key)
    if value not in (row["rel_owner_org_id"], row["rel_linked_org_id"]):
        raise _bad(key, f"organization {value} is not one of the relationship's two")
    return value


def add(unit, values: Row) -> int:
    return service.insert_stamped(unit, table, values, event=EVENT)


def update(unit, old: Row, values: Row) -> None:
    service.change_stamped(unit, table, old, values, event=EVENT)


def delete(unit, rows: list[Row], stamp: str | None = None) -> None:
    for row in rows:
        service.retire(unit, table, row, event=EVENT, stamp=stamp)


def of_organization(unit, org_id: int) -> list[Row]:
    """The relationships an organization is in, oldest first."""
    where = (table.c.rel_owner_org_id == org_id) | (table.c.rel_linked_org_id == org_id)
    return repo.all_rows(unit.conn, table, unit.company_id, where, table.c.is_deleted.is_(False), order_by=[table.c.id])


def daughters(unit, org_ids: list[int]) -> dict[int, list[int]]:
    """Each organization's daughters (the linked organizations of its ``parent`` relationships):
    their deals are its related deals."""
    found: dict[int, list[int]] = {i: [] for i in org_ids}
    if org_ids:
        where = (table.c.type == "parent", table.c.rel_owner_org_id.in_(org_ids), table.c.is_deleted.is_(False))
        for row in repo.all_rows(unit.conn, table, unit.company_id, *where, order_by=[table.c.id]):
            found[row["rel_owner_org_id"]].append(row["rel_linked_org_id"])
    return found


def calculated(row: Row, base: int) -> Row:
    """What the other organization is to ``base``, and its id."""
    other = row["rel_linked_org_id"] if base == row["rel_owner_org_id"] else row["rel_owner_org_id"]
    if row["type"] == "related":
        kind = "related"
    else:
        kind = "daughter" if base == row["rel_owner_org_id"] else "parent"
    return {"calculated_type": kind, "calculated_related_org_id": other}


def present(unit, rows: list[Row], base: int | None, *, named: bool = False) -> tuple[list[Row], Row]:
    """Relationships as v1 shows them (the calculated values when ``base`` is given; the other
    organization's name too when ``named``), and the ``related_objects`` of their organizations."""
    org_rows = unit.rows(organizations, (r[k] for r in rows for k in ENDS))
    orgs = entity("organization").v1_related(unit, list(org_rows.values()))
    items = []
    for row in rows:
        item = {"id": row["id"], "type": row["type"]}
        for key in ENDS:
            shown = dict(orgs[row[key]])
            item[key] = {**{k: v for k, v in shown.items() if k != "id"}, "value": shown["id"]}
        item.update(add_time=row["add_time"], update_time=row["update_time"], active_flag="true")
        if base is not None:
            item.update(calculated(row, base))
            if named:
                item["related_organization_name"] = orgs[item["calculated_related_org_id"]]["name"]
        items.append(item)
    return items, {"organization": {str(i): o for i, o in orgs.items()}}


@hooks.after_delete
def _organization_deleted(unit, entity, row: Row) -> None:
    if entity.name == "organization":
        delete(unit, of_organization(unit, row["id"]))


@hooks.on_merge
def _organizations_merged(unit, name: str, absorbed: int, survivor: int, stamp: str) -> None:
    if name != "organization":
        return
    for row in of_organization(unit, absorbed):
        moved = {k: survivor for k in ENDS if row[k] == absorbed}
        owner, linked = (moved.get(k, row[k]) for k in ENDS)
        if owner == linked or _between(unit, owner, linked, skip=row["id"]):
            delete(unit, [row], stamp)
        else:
            service.change(unit, table, row, {**moved, "update_time": stamp}, event=EVENT, stamp=stamp)
