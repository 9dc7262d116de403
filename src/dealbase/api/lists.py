"""The list operations an entity declares (``domain/lists.py``), served by one handler each.

To give an entity a list: declare it on the entity, then bind the entity's lists in its
handler module::

    # domain/<family>.py
    lists=(Listing("v2", "get_things", (by_ids(table), *id_filters(table, {"owner_id": "owner_id"})),
                   paging="v2", filter_id=("ids", "owner_id")),)
    # api/handlers/<family>.py
    lists.bind(handlers, THING)

``bind(handlers, entity, listings=None)`` adds a handler for every ``Listing`` in
``entity.lists`` (or in ``listings``) to a module's ``Handlers`` table; ``plan(entity,
listing)`` is that handler, for a module that registers it itself. What a listing means is
worked out once, when it is bound; a request then reads the parameters in their declared
order (v2 strict, v1 lenient, through ``Ctx``, with its messages), reads ``filter_id`` in
place of the parameters it overrides, checks a sub-list's parent, and answers a page of the
listing's kind through ``resources.list_v2`` / ``list_v1`` or a cursor page.
``conditions(ctx, params)`` reads declared parameters for a list still written by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement

from dealbase.api import resources as res
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError
from dealbase.api.paging import cursor_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import visibility
from dealbase.domain.entity import Entity
from dealbase.domain.lists import Listing, Param, archived
from dealbase.domain.registry import ENTITIES

Conditions = list[ColumnElement]
# One parameter, ready to read: (name, ctx -> value or None, param).
Step = tuple[str, Callable[[Ctx], Any], Param]
# The values read of a listing's parameters, by name.
Given = dict[str, Any]


def reader(param: Param) -> Callable[[Ctx], Any]:
    """How a request's value of ``param`` is read, chosen once."""
    name = param.name
    match param.parse:
        case "id" if param.ref is not None:
            target = ENTITIES[param.ref]

            def row(ctx: Ctx) -> Any:
                value = ctx.int_param(name, minimum=param.minimum)
                return None if value is None else res.load(ctx, target, value)

            return row
        case "id":
            return lambda ctx: ctx.int_param(name, minimum=param.minimum)
        case "ids":
            return lambda ctx: ctx.ids_param(name, maximum=param.maximum)
        case "list":
            return lambda ctx: ctx.list_param(name, maximum=param.maximum)
        case "bool":
            return lambda ctx: ctx.bool_param(name)
        case "choice":
            return lambda ctx: ctx.choice_param(name, param.choices, param.default)
        case "time":
            return lambda ctx: ctx.time_param(name)
        case "date":
            return lambda ctx: ctx.date_param(name)
        case "uuid":
            return lambda ctx: ctx.uuid_param(name)
        case "string":
            return lambda ctx: ctx.raw(name) or None
    raise ValueError(f"unknown parse {param.parse!r} of {name!r}")


def plan(entity: Entity, listing: Listing) -> Callable[[Ctx], Reply]:
    """The handler of one listing, everything about it that does not depend on the request
    worked out now."""
    table = entity.table
    steps: list[Step] = [(p.name, reader(p), p) for p in listing.params]
    overridden = frozenset(listing.filter_id or ())
    # filter_id is read where the first parameter it overrides would be.
    filter_at = next((i for i, (name, _, _) in enumerate(steps) if name in overridden), None)
    alive: Conditions = [table.c.is_deleted.is_(False)] if listing.alive else []
    fixed: Conditions = [archived(table.c.is_archived, listing.archived)] if listing.archived is not None else []
    parent = ENTITIES[listing.parent] if listing.parent is not None else None
    link = table.c[listing.link] if isinstance(listing.link, str) else None
    page = pager(entity, listing)
    governed = visibility.governs(entity)

    def where_of(ctx: Ctx) -> tuple[Conditions, Given]:
        where: Conditions = []
        given: Given = {}
        if parent is not None:
            row = res.load(ctx, parent, ctx.path_id(), alive=listing.parent_alive)
            where += [link == row["id"]] if link is not None else listing.link(ctx, row)  # type: ignore[misc]
        everyone = listing.everyone and ctx.bool_param("everyone")
        saved = None
        keeps_alive = True
        for i, (name, read, param) in enumerate(steps):
            if i == filter_at and not everyone and ctx.raw("filter_id"):
                saved = res.saved_filter(ctx, entity)
                where += saved  # type: ignore[arg-type]
            if (saved is not None or everyone) and name in overridden:
                continue
            value = given[name] = read(ctx)
            if value is None:
                if param.absent is not None:
                    where += param.absent(ctx)
                continue
            where += param.where(value, ctx)
            keeps_alive = keeps_alive and not param.replaces_alive
        if governed:
            where += visibility.where(ctx, entity)
        return (where + alive + fixed if keeps_alive else where + fixed), given

    return lambda ctx: page(ctx, *where_of(ctx))


def pager(entity: Entity, listing: Listing) -> Callable[[Ctx, Conditions, Given], Reply]:
    """The page a listing answers, given its conditions (and the values of its parameters)."""
    if listing.paging == "v2":
        return lambda ctx, where, given: res.list_v2(
            ctx, entity, where, limit_max=listing.limit_max, sorts=listing.sorts
        )
    if listing.paging == "v1":
        more = listing.additional

        def v1_page(ctx: Ctx, where: Conditions, given: Given) -> Reply:
            extra = more(ctx, where, given) if more is not None else None
            return res.list_v1(ctx, entity, where, limit_max=listing.limit_max, refs=listing.refs, additional=extra)

        return v1_page
    record, since_until = listing.record, listing.paging == "collection"

    def cursor(ctx: Ctx, where: Conditions, given: Given) -> Reply:
        if listing.admin_only and not ctx.user.get("is_admin"):
            raise ApiError("Only global admins can access this endpoint", 403)
        if since_until:
            where = where + res.since_until(ctx, entity.table)
        rows, next_cursor = cursor_page(ctx, entity.table, where)
        items, _ = res.render_v1(ctx, entity, rows, refs=listing.refs)
        if record is not None:
            items = [record(row, item) for row, item in zip(rows, items)]
        return ok(items, {"next_cursor": next_cursor})

    return cursor


def conditions(ctx: Ctx, params: Sequence[Param], skip: Collection[str] = ()) -> Conditions:
    """The conditions of ``params`` in a request, for a list still written by hand; those
    named in ``skip`` (what a saved filter given stands in for) are not read."""
    where: Conditions = []
    for param in params:
        if param.name in skip:
            continue
        value = reader(param)(ctx)
        if value is not None:
            where += param.where(value, ctx)
        elif param.absent is not None:
            where += param.absent(ctx)
    return where


def bind(handlers: Handlers, entity: Entity, listings: Sequence[Listing] | None = None) -> None:
    """Handle each of the entity's declared lists (or ``listings``) in ``handlers``. A
    sub-list whose parent entity is not declared is left out (its family is not built)."""
    for listing in entity.lists if listings is None else listings:
        if listing.parent is None or listing.parent in ENTITIES:
            handlers.operation(listing.api, listing.operation)(plan(entity, listing))
