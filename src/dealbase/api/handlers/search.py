"""Search: itemSearch, itemSearch/field and the per-entity searches, v1 and v2.

What each item type is searched by, filtered by and shown as is declared in
``domain/search.py: TYPES``; ``domain/search_results.py`` runs the search. Here: the
parameters and the envelope. v2 pages by cursor, v1 by ``start``/``limit``.
"""

from __future__ import annotations

from typing import Any

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.operations import OPERATIONS
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import search as sx
from dealbase.domain import search_results as results

handlers = Handlers()

MAX_TERM = 500
# Each item type's own search (Pipedrive's operation names).
SEARCHES = {
    "search_deals": "deal",
    "search_persons": "person",
    "search_organization": "organization",
    "search_products": "product",
    "search_projects": "project",
    "search_leads": "lead",
}


# -- parameters ----------------------------------------------------------------------------


def _term(ctx: Ctx, exact: bool) -> str:
    term = ctx.raw("term")
    if term is None or not term.strip():
        raise BadRequest("Invalid 'term' parameter: is required")
    shortest = 1 if exact else 2
    if len(term.strip()) < shortest:
        raise BadRequest(f"Invalid 'term' parameter: must be at least {shortest} characters long")
    if len(term) > MAX_TERM:
        raise BadRequest(f"Invalid 'term' parameter: must be at most {MAX_TERM} characters long")
    return term


def _choices(ctx: Ctx, name: str, allowed: tuple[str, ...]) -> list[str] | None:
    given = ctx.list_param(name)
    if given is None:
        return None
    unknown = [g for g in given if g not in allowed]
    if unknown:
        raise BadRequest(f"Invalid '{name}' parameter: must be one or more of {', '.join(allowed)}")
    return list(dict.fromkeys(given))


def _window(ctx: Ctx, maximum: int) -> tuple[int, int]:
    """(offset, limit) from v2's cursor or v1's start."""
    limit = ctx.page_limit(100, maximum)
    if ctx.strict:
        cursor = ctx.raw("cursor")
        offset = decode_cursor(cursor, "search", "desc", int)[0] if cursor else 0
        if offset < 0:
            raise BadRequest("Invalid cursor")
        return offset, limit
    return ctx.int_param("start", 0, minimum=0), limit  # type: ignore[return-value]


def _paged(ctx: Ctx, data: Any, offset: int, limit: int, more: bool):
    if ctx.strict:
        return ok(
            data, {"next_cursor": encode_cursor("search", "desc", offset + limit, offset + limit) if more else None}
        )
    return ok(data, {"pagination": v1_pagination(offset, limit, more)})


def _entity_filters(ctx: Ctx, stype: sx.SearchType) -> dict[str, Any]:
    """Column → value of the entity filters given."""
    given = {}
    for f in stype.filters:
        value = ctx.choice_param(f.param, f.choices) if f.choices else ctx.int_param(f.param, minimum=1)
        if value is not None:
            given[f.column] = value
    return given


# -- the operations ------------------------------------------------------------------------


def search_entity(ctx: Ctx, item_type: str):
    """Items of one type matching the term."""
    stype = sx.TYPES[item_type]
    exact = bool(ctx.bool_param("exact_match", False))
    term = _term(ctx, exact)
    fields = _choices(ctx, "fields", stype.accepted_fields)
    include = set(_choices(ctx, "include_fields", stype.include) or ())
    only = results.filtered(ctx, item_type, _entity_filters(ctx, stype))
    offset, limit = _window(ctx, 500)
    query = results.Query(term, exact, [item_type], fields, include, only)
    items, more = results.page(ctx, query, offset, limit)
    return _paged(ctx, {"items": items}, offset, limit, more)


def search_item(ctx: Ctx):
    """One search over every item type."""
    exact = bool(ctx.bool_param("exact_match", False))
    term = _term(ctx, exact)
    fields = _choices(ctx, "fields", sx.ALL_FIELDS)
    include = set(_choices(ctx, "include_fields", sx.ITEM_INCLUDE) or ())
    asked = _choices(ctx, "item_types", sx.ITEM_TYPES_ACCEPTED)
    wanted = [t for t in sx.ITEM_TYPES if asked is None or t in asked]
    with_related = bool(ctx.bool_param("search_for_related_items", False))
    offset, limit = _window(ctx, 100 if ctx.strict else 500)
    items, more = results.page(ctx, results.Query(term, exact, wanted, fields, include), offset, limit)
    related = results.related(ctx, include, items) if with_related else []
    return _paged(ctx, {"items": items, "related_items": related}, offset, limit, more)


def search_item_by_field(ctx: Ctx):
    """Values of one field that match the term, case-sensitively, with their items' ids."""
    if ctx.strict:
        item_type = ctx.choice_param("entity_type", sx.FIELD_TYPES)
        key = ctx.raw("field")
        match = ctx.choice_param("match", ("exact", "beginning", "middle"), "exact")
        with_ids = True
        if item_type is None:
            raise BadRequest("Invalid 'entity_type' parameter: is required")
    else:
        kind = ctx.choice_param("field_type", tuple(f"{t}Field" for t in sx.FIELD_TYPES))
        if kind is None:
            raise BadRequest("Invalid 'field_type' parameter: is required")
        item_type = kind.removesuffix("Field")
        key = ctx.raw("field_key")
        match = "exact" if ctx.bool_param("exact_match", False) else "middle"
        with_ids = bool(ctx.bool_param("return_item_ids", False))
    if not key:
        raise BadRequest(f"Invalid '{'field' if ctx.strict else 'field_key'}' parameter: is required")
    term = _term(ctx, match == "exact")
    offset, limit = _window(ctx, 500)
    data, more = results.by_field(ctx, item_type, key, term, match, with_ids, offset, limit)
    return _paged(ctx, data, offset, limit, more)


KNOWN = {(api, name) for api, _method, _path, name in OPERATIONS}

for _name, _type in SEARCHES.items():
    for _api in ("v1", "v2"):
        if (_api, _name) in KNOWN:  # projects are searched in v2 only
            handlers.operation(_api, _name)(lambda ctx, t=_type: search_entity(ctx, t))
for _api in ("v1", "v2"):
    handlers.operation(_api, "search_item")(search_item)
    handlers.operation(_api, "search_item_by_field")(search_item_by_field)
