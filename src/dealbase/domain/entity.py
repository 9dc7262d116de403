"""Entity declarations: the field map and rules that the generic engine serves.

An entity declares its table, its fields (stored column, v1 key, v2 key, kind), its list
operations and sort keys, and a few hooks for the rules only it has. Everything
else — parsing, validation, paging, presenting both API versions, change events — is the
engine's (``dealbase.api.resources``, ``dealbase.store.repository``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Table

if TYPE_CHECKING:
    from dealbase.domain.lists import Listing

Kind = Literal["int", "num", "str", "bool", "time", "date", "ids", "uuids", "money", "json", "visible_to"]
# How an entity's rows are identified: a sequence integer, or a UUID string made on insert
# (time-ordered, so id order is creation order: see ``domain/ids.py``).
IdKind = Literal["int", "uuid"]
# How v1 shows the ids in an entity's ``ref`` fields (the referenced entity must declare
# ``v1_related``, its compact v1 shape):
#   "inflate": the compact object in place of the id, with a ``value`` key holding the id,
#              and listed once more in ``related_objects`` (deals, persons, organizations);
#   "listed":  the plain id; the compact object still listed in ``related_objects`` (activities);
#   "plain":   the plain id and no ``related_objects`` (notes, files, leads: they add names of
#              their own in ``v1_extra`` where Pipedrive shows them).
# ``render_v1(..., refs="plain")`` overrides it for one rendering (flat collection records,
# objects nested in another object).
V1Refs = Literal["inflate", "listed", "plain"]


@dataclass(frozen=True)
class Field:
    """One attribute of an entity.

    ``column`` is the stored column (``None`` for values a hook computes). ``v1`` and
    ``v2`` are the keys in each version's shape (``None``: absent in that version).
    ``ref`` names the entity an id points at: it is checked on write (when that entity is
    declared: families not built yet are referenced by id alone) and shown in v1 as the
    entity's ``v1_refs`` says.
    """

    name: str
    kind: Kind
    column: str | None = ""
    v1: str | None = ""
    v2: str | None = ""
    writable: bool = True
    required: bool = False
    ref: str | None = None
    max_length: int | None = None
    # v2 only returns it when asked for with include_fields.
    optional: bool = False
    # Allowed values for str fields.
    choices: tuple[str, ...] | None = None
    nullable: bool = True
    # The fields APIs: the name shown (default: from ``name``) and the v1 ``field_type``
    # (default: from ``kind``; a bool shown as ``enum`` gets Yes / No options).
    label: str | None = None
    field_type: str | None = None

    def __post_init__(self) -> None:
        for attr in ("column", "v1", "v2"):
            if getattr(self, attr) == "":
                object.__setattr__(self, attr, self.name)


Hook = Callable[..., Any]


@dataclass(eq=False)
class Entity:
    name: str  # "deal"
    plural: str  # "deals"
    label: str  # "Deal", for messages
    table: Table
    fields: list[Field]
    # Its list operations, served by ``api/lists.py`` (see ``domain/lists.py``).
    lists: tuple[Listing, ...] = ()
    sort_v2: tuple[str, ...] = ("id", "update_time", "add_time")
    sort_v1: tuple[str, ...] = ("id", "add_time", "update_time")
    # (unit, values, old_row | None, stamp, given) -> values: the entity's own rules for its
    # values, before the row is written; ``given`` is the write's ``Input`` (domain/unit.py).
    rules: Hook | None = None
    # Keys (of either version) the entity parses itself from their raw values in its rules
    # (``Input.own``), by pure functions of the value and the version: an address object, a
    # person's e-mails, a product's prices.
    own_keys: tuple[str, ...] = ()
    # (unit, row_id, old_row | None, stamp) -> {key: new value}: writes to the entity's own
    # child rows (a product's prices) after its row is written, in the same transaction;
    # what it answers joins the change event.
    write_children: Hook | None = None
    # (ctx, rows) -> None: extra computed keys on v1 objects, in place.
    v1_extra: Hook | None = None
    # (ctx, rows) -> None: extra computed keys on v2 objects, in place.
    v2_extra: Hook | None = None
    # Compact shape used in v1 ``related_objects`` and in inflated references.
    v1_related: Hook | None = None
    # v1: how the ``ref`` fields' ids are shown (see ``V1Refs``).
    v1_refs: V1Refs = "inflate"
    # (ctx, old_row | None, new_row | None) -> None: after every add, update and delete
    # (new_row None), in the write's transaction: this entity's own consequences for other
    # rows, e.g. the counters of its parents (``counters.refresher``). What other families do
    # on any entity's write is theirs to register (``domain/hooks.py``).
    after_write: Hook | None = None
    # (unit, row, stamp) -> None: before a row is deleted, in the write's transaction: a
    # refusal (``BadInput``) when it must stay, or the entity's own rows that go first (a
    # project board's phases).
    before_delete: Hook | None = None
    # Values v2's ``include_fields`` accepts for this entity.
    include_v2: tuple[str, ...] = ()
    # The status a create answers with, as each version's spec gives it.
    created_v1: int = 200
    created_v2: int = 200
    has_custom_fields: bool = False
    # v1: what a create of one of its custom fields answers, and whether a field that is
    # not there is 410 Gone (products) rather than 404.
    field_created_v1: int = 200
    field_gone_v1: bool = False
    archivable: bool = False
    id_kind: IdKind = "int"
    # The entity type whose custom field definitions this one uses (leads use deals').
    fields_of: str | None = None
    # v1: times as ISO 8601 (``2024-07-01T05:46:33.000Z``) rather than ``2024-07-01 05:46:33``.
    v1_iso_times: bool = False
    # v1: every custom field's keys, null when unset; False: only the values set.
    v1_custom_nulls: bool = True
    # A deleted row still answers a read by id (deals, persons…), or is a 404 (leads, notes).
    deleted_readable: bool = True
    # A child collection (a deal's products, a product's variations): the parent entity's
    # name and the column pointing at it; a row is found under its parent's path only.
    parent: str | None = None
    link: str | None = None

    @property
    def custom_type(self) -> str:
        """The entity type of the custom field definitions its values follow."""
        return self.fields_of or self.name

    def field_by_v1(self) -> dict[str, Field]:
        return {f.v1: f for f in self.fields if f.v1 is not None}

    def field_by_v2(self) -> dict[str, Field]:
        return {f.v2: f for f in self.fields if f.v2 is not None}
