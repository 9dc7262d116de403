"""Entity declarations: the field map and rules that the generic engine serves.

An entity declares its table, its fields (stored column, v1 key, v2 key, kind), the list
filters and sort keys it offers, and a few hooks for the rules only it has. Everything
else — parsing, validation, paging, presenting both API versions, change events — is the
engine's (``dealbase.api.resources``, ``dealbase.store.repository``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Table

Kind = Literal["int", "num", "str", "bool", "time", "date", "ids", "json", "visible_to"]


@dataclass(frozen=True)
class Field:
    """One attribute of an entity.

    ``column`` is the stored column (``None`` for values a hook computes). ``v1`` and
    ``v2`` are the keys in each version's shape (``None``: absent in that version).
    ``ref`` names the entity an id points at: it is checked on write and inflated in v1.
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
    # v2 list query parameters that filter on a column: param → column.
    filters: dict[str, str] = field(default_factory=dict)
    sort_v2: tuple[str, ...] = ("id", "update_time", "add_time")
    sort_v1: tuple[str, ...] = ("id", "add_time", "update_time")
    # (ctx, values, old_row | None) -> values: the entity's own write rules.
    rules: Hook | None = None
    # (ctx, row_id, old_row | None, stamp) -> {key: new value}: writes to the entity's own
    # child rows (a product's prices) after its row is written, in the same transaction;
    # what it answers joins the change event.
    after_write: Hook | None = None
    # (ctx, rows) -> None: extra computed keys on v1 objects, in place.
    v1_extra: Hook | None = None
    # (ctx, rows) -> None: extra computed keys on v2 objects, in place.
    v2_extra: Hook | None = None
    # Compact shape used in v1 ``related_objects`` and in inflated references.
    v1_related: Hook | None = None
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

    def field_by_v1(self) -> dict[str, Field]:
        return {f.v1: f for f in self.fields if f.v1 is not None}

    def field_by_v2(self) -> dict[str, Field]:
        return {f.v2: f for f in self.fields if f.v2 is not None}
