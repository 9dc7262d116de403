"""Search: what each item type is searched by, and how its results look: a ``SearchType``
each, in ``TYPES``.

Every item has one row in ``search_items`` (``store/tables.py``) holding the text of each
searchable field: the title or name, e-mails, phones, address, code, the values of its
searchable custom fields and the text of its notes (:func:`document`, written by
``domain/search_index.py``). The database's index (FTS5 on SQLite, pg_trgm on PostgreSQL)
finds candidate rows; ``domain/search_match.py`` decides, on those rows' texts, whether
they match and how well; ``domain/search_results.py`` runs a search over the declared types
and shows its results with each type's presenter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from dealbase.domain import smart_bcc
from dealbase.domain.common import num
from dealbase.domain.products import prices_of
from dealbase.domain.registry import ENTITIES
from dealbase.domain.search_match import Matched, normalize
from dealbase.store.tables import deals, persons, projects_phases, stages

Row = dict[str, Any]

# ``fields`` value → the search_items column holding it (a type may keep one elsewhere:
# ``SearchType.columns``).
COLUMN = {
    "title": "title",
    "name": "title",
    "email": "email",
    "phone": "phone",
    "address": "address",
    "code": "code",
    "custom_fields": "custom",
    "notes": "notes",
}
# Custom field types whose values are searched (Pipedrive's list).
SEARCHABLE_TYPES = ("address", "varchar", "text", "varchar_auto", "double", "monetary", "phone")
# The newest matching items a search ranks, besides every item whose title or name is the
# term itself (found by index): enough for the pages people read, and a bound on the work
# of a common word over a million items.
CANDIDATES = 500
# The items an entity filter (person_id, organization_id, status) lets through, as Pipedrive.
FILTERED = 2000
# The newest related items itemSearch lists per found item and related type.
RELATED_MAX = 100

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&#39;": "'"}


@dataclass(frozen=True)
class SearchFilter:
    """A parameter of an item type's own search keeping the items whose ``column`` equals
    it: an id (a positive integer) or, with ``choices``, one of those."""

    param: str
    column: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchType:
    """An item type as search knows it (``name``: its entity).

    ``fields``: the ``fields`` values it is searched by; ``accepts``: those its own search
    takes, in the order Pipedrive's error lists them (``fields`` when not given).
    ``columns``: a ``fields`` value kept in another ``search_items`` column than
    ``COLUMN`` says. ``title``: the row keys of its title or name (the first set one);
    ``texts``: the other columns' values read from its row. ``notes_column``: the notes
    column pointing at it, when its notes are searched. ``present``: its result item;
    ``preload``: what its items show read once for a page; ``include``: its own search's
    ``include_fields``; ``filters``: its own search's entity filters; ``related``: the
    (item type, column) of the items itemSearch lists as related to a found one.
    """

    name: str
    fields: tuple[str, ...]
    present: Callable[[Shown, Row, Matched], Row]
    accepts: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)
    title: tuple[str, ...] = ("title",)
    texts: dict[str, Callable[[Row], list[Any]]] = field(default_factory=dict)
    notes_column: str | None = None
    preload: Callable[[Shown, list[Any]], None] | None = None
    include: tuple[str, ...] = ()
    filters: tuple[SearchFilter, ...] = ()
    related: tuple[tuple[str, str], ...] = ()

    @property
    def accepted_fields(self) -> tuple[str, ...]:
        return self.accepts or self.fields

    def column(self, name: str) -> str:
        """The ``search_items`` column holding the ``fields`` value ``name``."""
        return self.columns.get(name) or COLUMN[name]


# -- texts ---------------------------------------------------------------------------------


def plain(html: str | None) -> str:
    """A note's text: its HTML without tags, on one line."""
    if not html:
        return ""
    text = _TAG.sub(" ", html)
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return _SPACE.sub(" ", text).strip()


def _lines(values: list[str]) -> str | None:
    kept = [_SPACE.sub(" ", v).strip() for v in values if v is not None]
    kept = [v for v in kept if v]
    return "\n".join(kept) if kept else None


def contacts(stored: str | None) -> list[str]:
    """The values of stored e-mails or phones."""
    return [c["value"] for c in orjson.loads(stored)] if stored else []


def custom_text(value: Any) -> str | None:
    """A searchable custom value as text (a monetary or address value: its ``value``)."""
    if isinstance(value, dict):
        value = value.get("value")
    if value is None or isinstance(value, (bool, list, dict)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _contacts_of(key: str) -> Callable[[Row], list[str]]:
    return lambda row: contacts(row.get(key))


def _value_of(key: str) -> Callable[[Row], list[Any]]:
    return lambda row: [row.get(key)]


def document(item_type: str, row: Row, notes: list[str], custom_keys: list[str]) -> dict[str, Any]:
    """The ``search_items`` texts of one live item. ``notes``: its notes' HTML;
    ``custom_keys``: the keys of its type's searchable custom fields."""
    stype = TYPES[item_type]
    values: dict[str, Any] = {"email": None, "phone": None, "address": None, "code": None}
    for column, read in stype.texts.items():
        values[column] = _lines(read(row))
    title = row.get(stype.title[0])
    for key in stype.title[1:]:
        title = title or row.get(key)
    custom = orjson.loads(row["custom_fields"]) if row.get("custom_fields") else {}
    values["custom"] = _lines([custom_text(custom.get(key)) for key in custom_keys])
    values["notes"] = _lines([plain(n) for n in notes])
    values["title"] = title
    values["title_key"] = normalize(title)[:1000] if title else None
    return values


# -- result items --------------------------------------------------------------------------


class Shown:
    """What result items show of other rows, each row read once per search (``unit.rows``);
    ``include``: the ``include_fields`` asked for."""

    def __init__(self, unit, include: set[str]) -> None:
        self.unit = unit
        self.include = include
        self.prices: dict[int, list[Row]] = {}

    def row(self, table, key: Any) -> Row | None:
        return self.unit.rows(table, [key]).get(key) if key else None

    def organization(self, org_id: int | None, address: bool = True) -> dict[str, Any] | None:
        org = self.row(ENTITIES["organization"].table, org_id)
        if org is None:
            return None
        out = {"id": org["id"], "name": org["name"]}
        if address:
            out["address"] = org["address"]
        return out

    def person(self, person_id: int | None) -> dict[str, Any] | None:
        person = self.row(persons, person_id)
        return {"id": person["id"], "name": person["name"]} if person else None

    def live(self, item_type: str, keys: list[Any]) -> dict[Any, Row]:
        """The live rows of items of one type, with the rows they show read at once."""
        stype = TYPES[item_type]
        found = self.unit.rows(ENTITIES[item_type].table, keys)
        rows = {k: r for k, r in found.items() if not r.get("is_deleted")}
        self.unit.rows(stages, [r.get("stage_id") for r in rows.values()])
        self.unit.rows(persons, [r.get("person_id") for r in rows.values()])
        self.unit.rows(ENTITIES["organization"].table, [r.get("org_id") for r in rows.values()])
        if stype.preload is not None:
            stype.preload(self, list(rows))
        return rows

    def item(self, item_type: str, row: Row, matched: Matched) -> Row:
        return TYPES[item_type].present(self, row, matched)


def _hits(matched: Matched) -> dict[str, list[str]]:
    return {"custom_fields": matched.get("custom", []), "notes": matched.get("notes", [])}


def _deal(shown: Shown, row: Row, matched: Matched) -> Row:
    stage = shown.row(stages, row["stage_id"])
    item = {
        "id": row["id"],
        "type": "deal",
        "title": row["title"],
        "value": num(row["value"]),
        "currency": row["currency"],
        "status": row["status"],
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "stage": {"id": stage["id"], "name": stage["name"]} if stage else None,
        "person": shown.person(row["person_id"]),
        "organization": shown.organization(row["org_id"]),
        **_hits(matched),
        "is_archived": bool(row["is_archived"]),
    }
    if "deal.cc_email" in shown.include:
        item["cc_email"] = smart_bcc.address(shown.unit, f"deal{row['id']}")
    return item


def _person(shown: Shown, row: Row, matched: Matched) -> Row:
    item = {
        "id": row["id"],
        "type": "person",
        "name": row["name"],
        "phones": contacts(row["phones"]),
        "emails": contacts(row["emails"]),
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "organization": shown.organization(row["org_id"]),
        **_hits(matched),
    }
    if "person.picture" in shown.include:
        item["picture"] = {"id": row["picture_id"]} if row.get("picture_id") else None
    return item


def _organization(shown: Shown, row: Row, matched: Matched) -> Row:
    return {
        "id": row["id"],
        "type": "organization",
        "name": row["name"],
        "address": row["address"],
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        **_hits(matched),
    }


def _product_prices(shown: Shown, keys: list[Any]) -> None:
    if "product.price" in shown.include:
        shown.prices.update(prices_of(shown.unit, keys))


def _product(shown: Shown, row: Row, matched: Matched) -> Row:
    item = {
        "id": row["id"],
        "type": "product",
        "name": row["name"],
        "code": row["code"],
        "visible_to": row["visible_to"],
        "owner": {"id": row["owner_id"]},
        "custom_fields": _hits(matched)["custom_fields"],
    }
    if "product.price" in shown.include:
        prices = shown.prices.get(row["id"], [])
        item["prices"] = [{"currency": p["currency"], "price": num(p["price"])} for p in prices]
    return item


def _lead(shown: Shown, row: Row, matched: Matched) -> Row:
    value = orjson.loads(row["value"]) if row["value"] else None
    person = shown.row(persons, row["person_id"])
    item = {
        "id": row["id"],
        "type": "lead",
        "title": row["title"],
        "owner": {"id": row["owner_id"]},
        "person": shown.person(row["person_id"]),
        "organization": shown.organization(row["org_id"], address=False),
        "phones": contacts(person["phones"]) if person else [],
        "emails": contacts(person["emails"]) if person else [],
        **_hits(matched),
        "value": num(value["amount"]) if value else None,
        "currency": value["currency"] if value else None,
        "visible_to": row["visible_to"],
        "is_archived": bool(row["is_archived"]),
    }
    if "lead.was_seen" in shown.include:
        item["was_seen"] = bool(row["was_seen"])
    return item


def _file(shown: Shown, row: Row, matched: Matched) -> Row:
    return {
        "id": row["id"],
        "type": "file",
        "name": row["name"] or row["file_name"],
        "url": f"/files/{row['id']}/download",
        "deal": {"id": row["deal_id"]} if row["deal_id"] else None,
        "person": shown.person(row["person_id"]),
        "organization": shown.organization(row["org_id"]),
    }


def _project(shown: Shown, row: Row, matched: Matched) -> Row:
    phase = shown.row(projects_phases, row["phase_id"])
    deal_ids = orjson.loads(row["deal_ids"]) if row["deal_ids"] else []
    deal = shown.row(deals, deal_ids[0]) if deal_ids else None
    return {
        "id": row["id"],
        "type": "project",
        "title": row["title"],
        "status": row["status"],
        "owner": {"id": row["owner_id"]},
        "board_id": row["board_id"],
        "phase": {"id": phase["id"], "name": phase["name"]} if phase else None,
        "person": shown.person(row["person_id"]),
        "organization": shown.organization(row["org_id"]),
        "deal": {"id": deal["id"], "title": deal["title"]} if deal else None,
        "deal_count": len(deal_ids),
        "end_date": row["end_date"],
        **_hits(matched),
    }


# -- the item types ------------------------------------------------------------------------

_PERSON = SearchFilter("person_id", "person_id")
_ORGANIZATION = SearchFilter("organization_id", "org_id")

# Pipedrive's table of what each type is searched by; itemSearch lists types in this order.
TYPES: dict[str, SearchType] = {
    t.name: t
    for t in (
        SearchType(
            "deal",
            ("custom_fields", "notes", "title"),
            _deal,
            notes_column="deal_id",
            include=("deal.cc_email",),
            filters=(_PERSON, _ORGANIZATION, SearchFilter("status", "status", ("open", "won", "lost"))),
        ),
        SearchType(
            "person",
            ("custom_fields", "email", "name", "notes", "phone"),
            _person,
            accepts=("custom_fields", "email", "notes", "phone", "name"),
            title=("name",),
            texts={"email": _contacts_of("emails"), "phone": _contacts_of("phones")},
            notes_column="person_id",
            include=("person.picture",),
            filters=(_ORGANIZATION,),
            related=(("deal", "person_id"), ("lead", "person_id")),
        ),
        SearchType(
            "organization",
            ("address", "custom_fields", "name", "notes"),
            _organization,
            accepts=("address", "custom_fields", "notes", "name"),
            title=("name",),
            texts={"address": _value_of("address")},
            notes_column="org_id",
            related=(("deal", "org_id"), ("lead", "org_id"), ("person", "org_id")),
        ),
        SearchType(
            "product",
            ("code", "custom_fields", "name"),
            _product,
            title=("name",),
            texts={"code": _value_of("code")},
            preload=_product_prices,
            include=("product.price",),
        ),
        SearchType(
            "lead",
            ("custom_fields", "notes", "title"),
            _lead,
            notes_column="lead_id",
            include=("lead.was_seen",),
            filters=(_PERSON, _ORGANIZATION),
        ),
        SearchType("file", ("name",), _file, title=("name", "file_name")),
        SearchType(
            "project",
            ("custom_fields", "notes", "title", "description"),
            _project,
            # Projects have no address: their description is kept in that column.
            columns={"description": "address"},
            texts={"address": _value_of("description")},
            notes_column="project_id",
            filters=(_PERSON, _ORGANIZATION),
        ),
    )
}
ITEM_TYPES = tuple(TYPES)
# What itemSearch accepts (mail attachments do not exist here: never found).
ITEM_TYPES_ACCEPTED = (*ITEM_TYPES, "mail_attachment")
ALL_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone", "title", "description")
# itemSearch's include_fields (a lead's ``was_seen`` is for the leads' own search).
ITEM_INCLUDE = ("deal.cc_email", "person.picture", "product.price")
# The item types itemSearch/field searches, in Pipedrive's order.
FIELD_TYPES = ("deal", "lead", "person", "organization", "product", "project")
