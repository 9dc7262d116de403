"""List operations declared as data: which query parameters a list takes, what each means
as conditions on the entity's table, and how the list pages.

A family declares its lists on its entity (``Entity.lists``); ``api/lists.py`` serves each
declared ``Listing`` with one generic handler. The parameters are read in the order
declared, so a request with several bad ones is refused for the first of them, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import ColumnElement, false, or_, true

from dealbase.domain.entity import V1Refs
from dealbase.errors import BadInput

if TYPE_CHECKING:
    from dealbase.domain.unit import Unit

# How a parameter's text is read (``api/context.py``'s parsers; v2 strict, v1 lenient):
#   "id": a positive integer (``minimum`` otherwise); with ``ref``, the row it names (404 if none);
#   "ids": positive integers, comma-separated (at most ``maximum``);  "list": strings, likewise;
#   "bool";  "choice": one of ``choices`` (``default`` when absent);  "time": an RFC 3339
#   date-time;  "date";  "uuid";  "string": the raw text, absent when empty (the condition
#   checks its own form).
Parse = Literal["id", "ids", "list", "bool", "choice", "time", "date", "uuid", "string"]
# (value, unit) -> the conditions a given value means.
Where = Callable[[Any, "Unit"], list[ColumnElement]]
# v2: cursor over (sort_by, id);  v1: start / limit with a pagination block;
# "cursor": v1 pages over ids by cursor;  "collection": the same, with ``since`` / ``until``.
Paging = Literal["v2", "v1", "cursor", "collection"]


@dataclass(frozen=True)
class Param:
    """One query parameter of a list and the conditions its value means."""

    name: str
    parse: Parse
    where: Where
    minimum: int = 1
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    default: str | None = None
    ref: str | None = None
    # (unit) -> the conditions when the parameter is not given (``user_id``: the caller's).
    absent: Callable[[Unit], list[ColumnElement]] | None = None
    # Given, its conditions say which rows are alive (``status=deleted``) instead of the list.
    replaces_alive: bool = False


@dataclass(frozen=True)
class Listing:
    """One list operation of an entity.

    ``filter_id``: the parameters a saved filter overrides (None: not accepted). A
    ``filter_id`` is read in place of the first of them, and the others are then neither
    read nor applied. ``parent`` and ``link``: a sub-list (``/persons/{id}/deals``) of the
    rows whose ``link`` column holds the path's id, or ``link(unit, parent_row)``'s
    conditions; the parent must exist (``parent_alive``: and not be deleted), else 404.
    """

    api: str
    operation: str
    params: tuple[Param, ...] = ()
    paging: Paging = "v1"
    # Only rows not deleted (unless a ``replaces_alive`` parameter is given).
    alive: bool = True
    # True / False: only archived / not archived rows; None: either.
    archived: bool | None = None
    filter_id: tuple[str, ...] | None = None
    # v1 ``everyone``: given true, ``filter_id`` and what it overrides are not read (every
    # owner's rows).
    everyone: bool = False
    limit_max: int = 500
    refs: V1Refs | None = None
    parent: str | None = None
    link: str | Callable[[Unit, dict[str, Any]], list[ColumnElement]] | None = None
    parent_alive: bool = False
    # v2: this list's own ``sort_by`` choices, when they are not the entity's.
    sorts: tuple[str, ...] | None = None
    # v1: (unit, where, given) -> more keys of ``additional_data``, before ``pagination``;
    # ``given``: the values read of the listing's parameters, by name.
    additional: Callable[[Unit, list[ColumnElement], dict[str, Any]], dict[str, Any]] | None = None
    # Collections: only global admins may read it (403), and (row, v1 item) -> the record.
    admin_only: bool = False
    record: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None


# -- conditions ------------------------------------------------------------------------------


def equals(column: Any) -> Where:
    return lambda value, unit: [column == value]


def among(column: Any) -> Where:
    return lambda value, unit: [column.in_(value)]


def is_(column: Any) -> Where:
    return lambda value, unit: [column.is_(value)]


def archived(column: Any, value: bool) -> ColumnElement:
    return column.is_(true() if value else false())


def ignored(value: Any, unit: Unit) -> list[ColumnElement]:
    """A parameter checked and then ignored (there is nothing in the rows it could choose)."""
    return []


def by_ids(table: Any) -> Param:
    """v2 ``ids``: at most 100 ids."""
    return Param("ids", "ids", among(table.c.id), maximum=100)


def id_filters(table: Any, params: dict[str, str]) -> tuple[Param, ...]:
    """``param=id`` filters: query parameter → column."""
    return tuple(Param(name, "id", equals(table.c[column])) for name, column in params.items())


def updated(table: Any) -> tuple[Param, ...]:
    """v2 ``updated_since`` (inclusive) and ``updated_until`` (exclusive) on ``update_time``."""
    c = table.c.update_time
    return (
        Param("updated_since", "time", lambda value, unit: [c >= value]),
        Param("updated_until", "time", lambda value, unit: [c < value]),
    )


def owner(table: Any, column: str = "owner_id") -> tuple[Param, ...]:
    """v1 ``user_id`` and ``owned_by_you``: the owner."""
    c = table.c[column]
    return (
        Param("user_id", "id", equals(c)),
        Param("owned_by_you", "bool", lambda value, unit: [c == unit.user_id] if value else []),
    )


def first_char(table: Any) -> Param:
    """v1 ``first_char``: names starting with that character, in any case."""

    def where(char: str, unit: Unit) -> list[ColumnElement]:
        if len(char) != 1:
            raise BadInput("Invalid 'first_char' parameter: must be a single character")
        return [table.c.name.ilike(char.replace("%", r"\%").replace("_", r"\_") + "%", escape="\\")]

    return Param("first_char", "string", where)


def statuses(table: Any, choices: tuple[str, ...]) -> Where:
    """v2 ``status=a,b,…`` of ``choices`` ("deleted": the deleted rows; the others: live rows
    of that status); none given: every row not deleted. Replaces the list's alive condition."""
    c = table.c

    def where(wanted: list[str], unit: Unit) -> list[ColumnElement]:
        if not wanted:
            return [c.is_deleted.is_(False)]
        if any(s not in choices for s in wanted):
            raise BadInput(f"Invalid 'status' parameter: must be one or more of {', '.join(choices)}")
        live = [s for s in wanted if s != "deleted"]
        parts = [c.is_deleted.is_(False) & c.status.in_(live)] if live else []
        if "deleted" in wanted:
            parts.append(c.is_deleted.is_(True))
        return [or_(*parts)]

    return where


def flat(keys: tuple[str, ...]) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """A collection's flat record: these keys of the v1 item."""
    return lambda row, item: {k: item.get(k) for k in keys}
