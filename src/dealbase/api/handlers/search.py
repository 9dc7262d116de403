"""Search: itemSearch, itemSearch/field and the per-entity searches, v1 and v2.

Candidates come from the search index (``store/repository.py``, kept by
``domain/search_index.py``); they are matched and scored by ``domain/search.py``, and the
page is shown from the items' live rows. v2 pages by cursor, v1 by ``start``/``limit``.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import custom
from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest
from dealbase.api.operations import OPERATIONS
from dealbase.api.paging import decode_cursor, encode_cursor, v1_pagination
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import search as sx
from dealbase.domain.common import num
from dealbase.domain.products import prices_of
from dealbase.domain.registry import ENTITIES
from dealbase.store import repository as repo
from dealbase.store.tables import deals, leads, persons, projects_phases, stages

handlers = Handlers()

Row = dict[str, Any]
MAX_TERM = 500
RELATED_MAX = 100


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


# -- finding and ranking -------------------------------------------------------------------


def _columns(item_type: str, fields: list[str] | None) -> list[str]:
    wanted = [f for f in sx.FIELDS[item_type] if fields is None or f in fields]
    return list(dict.fromkeys(sx.column(item_type, f) for f in wanted))


def _key(row: Row) -> int | str:
    return row["item_uuid"] if row["item_uuid"] is not None else row["item_id"]


def ranked(
    ctx: Ctx, types: list[str], fields: list[str] | None, term: str, exact: bool, only: dict[str, list[Any]]
) -> list[tuple[float, Row, dict[str, list[str]]]]:
    """Every matching item (up to the candidates cap per group), best first."""
    columns = {t: _columns(t, fields) for t in types}
    groups: dict[tuple[str, ...], list[str]] = {}
    for t in types:
        if columns[t]:
            groups.setdefault(tuple(columns[t]), []).append(t)
    words = [sx.normalize(term)] if exact else sx.words(term)
    found: dict[tuple[str, Any], Row] = {}
    for cols, group in groups.items():
        for row in repo.search_candidates(ctx.conn, ctx.company_id, group, cols, words, only, sx.CANDIDATES):
            found[(row["item_type"], _key(row))] = row
    titled = [t for t in types if "title" in columns[t]]
    for row in repo.search_titles(ctx.conn, ctx.company_id, titled, sx.normalize(term), sx.CANDIDATES):
        allowed = only.get(row["item_type"])
        if allowed is None or _key(row) in allowed:
            found[(row["item_type"], _key(row))] = row
    out = []
    for row in found.values():
        score, matched = sx.score(row, columns[row["item_type"]], term, exact)
        if score > 0:
            out.append((score, row, matched))
    out.sort(key=lambda r: (-r[0], -r[1]["id"]))
    return out


# -- presenting ------------------------------------------------------------------------------


class _Shower:
    """Builds result items, reading each related table once per request."""

    def __init__(self, ctx: Ctx, include: set[str]) -> None:
        self.ctx = ctx
        self.include = include
        self.prices: dict[int, list[Row]] = {}

    def _org(self, org_id: int | None, address: bool = True) -> dict[str, Any] | None:
        org = self.ctx.rows(ENTITIES["organization"].table, [org_id]).get(org_id) if org_id else None
        if org is None:
            return None
        out = {"id": org["id"], "name": org["name"]}
        if address:
            out["address"] = org["address"]
        return out

    def _person(self, person_id: int | None) -> dict[str, Any] | None:
        person = self.ctx.rows(persons, [person_id]).get(person_id) if person_id else None
        return {"id": person["id"], "name": person["name"]} if person else None

    def rows(self, item_type: str, keys: list[Any]) -> dict[Any, Row]:
        entity = ENTITIES[item_type]
        found = self.ctx.rows(entity.table, keys)
        rows = {k: r for k, r in found.items() if not r.get("is_deleted")}
        self.ctx.rows(stages, [r.get("stage_id") for r in rows.values()])
        self.ctx.rows(persons, [r.get("person_id") for r in rows.values()])
        self.ctx.rows(ENTITIES["organization"].table, [r.get("org_id") for r in rows.values()])
        if item_type == "product" and "product.price" in self.include:
            self.prices.update(prices_of(self.ctx, list(rows)))
        return rows

    def item(self, item_type: str, row: Row, matched: dict[str, list[str]]) -> dict[str, Any]:
        ctx = self.ctx
        base = {"id": row["id"], "type": item_type}
        hits = {"custom_fields": matched.get("custom", []), "notes": matched.get("notes", [])}
        if item_type == "deal":
            stage = ctx.rows(stages, [row["stage_id"]]).get(row["stage_id"])
            item = {
                **base,
                "title": row["title"],
                "value": num(row["value"]),
                "currency": row["currency"],
                "status": row["status"],
                "visible_to": row["visible_to"],
                "owner": {"id": row["owner_id"]},
                "stage": {"id": stage["id"], "name": stage["name"]} if stage else None,
                "person": self._person(row["person_id"]),
                "organization": self._org(row["org_id"]),
                **hits,
                "is_archived": bool(row["is_archived"]),
            }
            if "deal.cc_email" in self.include:
                item["cc_email"] = f"{ctx.settings.company_domain}+deal{row['id']}@pipedrivemail.com"
            return item
        if item_type == "person":
            item = {
                **base,
                "name": row["name"],
                "phones": sx.contacts(row["phones"]),
                "emails": sx.contacts(row["emails"]),
                "visible_to": row["visible_to"],
                "owner": {"id": row["owner_id"]},
                "organization": self._org(row["org_id"]),
                **hits,
            }
            if "person.picture" in self.include:
                item["picture"] = {"id": row["picture_id"]} if row.get("picture_id") else None
            return item
        if item_type == "organization":
            return {
                **base,
                "name": row["name"],
                "address": row["address"],
                "visible_to": row["visible_to"],
                "owner": {"id": row["owner_id"]},
                **hits,
            }
        if item_type == "product":
            item = {
                **base,
                "name": row["name"],
                "code": row["code"],
                "visible_to": row["visible_to"],
                "owner": {"id": row["owner_id"]},
                "custom_fields": hits["custom_fields"],
            }
            if "product.price" in self.include:
                item["prices"] = [
                    {"currency": p["currency"], "price": num(p["price"])} for p in self.prices.get(row["id"], [])
                ]
            return item
        if item_type == "lead":
            value = orjson.loads(row["value"]) if row["value"] else None
            person = ctx.rows(persons, [row["person_id"]]).get(row["person_id"]) if row["person_id"] else None
            item = {
                **base,
                "title": row["title"],
                "owner": {"id": row["owner_id"]},
                "person": self._person(row["person_id"]),
                "organization": self._org(row["org_id"], address=False),
                "phones": sx.contacts(person["phones"]) if person else [],
                "emails": sx.contacts(person["emails"]) if person else [],
                **hits,
                "value": num(value["amount"]) if value else None,
                "currency": value["currency"] if value else None,
                "visible_to": row["visible_to"],
                "is_archived": bool(row["is_archived"]),
            }
            if "lead.was_seen" in self.include:
                item["was_seen"] = bool(row["was_seen"])
            return item
        if item_type == "project":
            phase = ctx.rows(projects_phases, [row["phase_id"]]).get(row["phase_id"])
            deal_ids = orjson.loads(row["deal_ids"]) if row["deal_ids"] else []
            deal = ctx.rows(deals, deal_ids[:1]).get(deal_ids[0]) if deal_ids else None
            return {
                **base,
                "title": row["title"],
                "status": row["status"],
                "owner": {"id": row["owner_id"]},
                "board_id": row["board_id"],
                "phase": {"id": phase["id"], "name": phase["name"]} if phase else None,
                "person": self._person(row["person_id"]),
                "organization": self._org(row["org_id"]),
                "deal": {"id": deal["id"], "title": deal["title"]} if deal else None,
                "deal_count": len(deal_ids),
                "end_date": row["end_date"],
                **hits,
            }
        # file
        return {
            **base,
            "name": row["name"] or row["file_name"],
            "url": f"/files/{row['id']}/download",
            "deal": {"id": row["deal_id"]} if row["deal_id"] else None,
            "person": self._person(row["person_id"]),
            "organization": self._org(row["org_id"]),
        }


def _show(ctx: Ctx, include: set[str], page: list[tuple[float, Row, dict[str, list[str]]]]) -> list[dict[str, Any]]:
    shower = _Shower(ctx, include)
    by_type: dict[str, list[Any]] = {}
    for _score, row, _m in page:
        by_type.setdefault(row["item_type"], []).append(_key(row))
    live = {t: shower.rows(t, keys) for t, keys in by_type.items()}
    out = []
    for score, row, matched in page:
        found = live[row["item_type"]].get(_key(row))
        if found is not None:
            out.append({"result_score": score, "item": shower.item(row["item_type"], found, matched)})
    return out


def _related(ctx: Ctx, include: set[str], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest deals and leads of each found person and organization, and the newest
    persons of each found organization (up to 100 of each per item)."""
    shown = {(i["item"]["type"], i["item"]["id"]) for i in items}
    wanted: list[tuple[str, Row]] = []
    for kind, column in (("person", "person_id"), ("organization", "org_id")):
        ids = [i["item"]["id"] for i in items if i["item"]["type"] == kind]
        if not ids:
            continue
        targets = [("deal", deals), ("lead", leads)] + ([("person", persons)] if kind == "organization" else [])
        for item_type, table in targets:
            rows = repo.all_rows(
                ctx.conn, table, ctx.company_id, table.c[column].in_(ids), table.c.is_deleted.is_(False)
            )
            rows.sort(key=lambda r: (r["add_time"], str(r["id"])), reverse=True)
            per_parent: dict[Any, int] = {}
            for row in rows:
                parent = row[column]
                if per_parent.get(parent, 0) >= RELATED_MAX or (item_type, row["id"]) in shown:
                    continue
                per_parent[parent] = per_parent.get(parent, 0) + 1
                shown.add((item_type, row["id"]))
                wanted.append((item_type, row))
    shower = _Shower(ctx, include)
    return [{"result_score": 0, "item": shower.item(t, row, {})} for t, row in wanted]


# -- the operations ------------------------------------------------------------------------


def _filter_ids(ctx: Ctx, item_type: str, params: dict[str, str]) -> dict[str, list[Any]]:
    """The items a search may find under the entity filters given (at most 2000, as Pipedrive)."""
    entity = ENTITIES[item_type]
    table = entity.table
    where = [table.c.is_deleted.is_(False)]
    for param, column in params.items():
        if param == "status":
            status = ctx.choice_param("status", ("open", "won", "lost"))
            if status is not None:
                where.append(table.c.status == status)
            continue
        value = ctx.int_param(param, minimum=1)
        if value is not None:
            where.append(table.c[column] == value)
    if len(where) == 1:
        return {}
    return {item_type: repo.column_values(ctx.conn, table, ctx.company_id, "id", *where)[-sx.FILTERED :]}


def search(
    ctx: Ctx,
    types: tuple[str, ...],
    fields_allowed: tuple[str, ...],
    include_allowed: tuple[str, ...],
    *,
    filters: dict[str, str] | None = None,
    item_search: bool = False,
):
    exact = bool(ctx.bool_param("exact_match", False))
    term = _term(ctx, exact)
    fields = _choices(ctx, "fields", fields_allowed)
    include = set(_choices(ctx, "include_fields", include_allowed) or ())
    wanted = list(types)
    related = False
    if item_search:
        asked = _choices(ctx, "item_types", sx.ITEM_TYPES_ACCEPTED)
        wanted = [t for t in sx.ITEM_TYPES if asked is None or t in asked]
        related = bool(ctx.bool_param("search_for_related_items", False))
    only = _filter_ids(ctx, types[0], filters) if filters else {}
    offset, limit = _window(ctx, 100 if item_search and ctx.strict else 500)
    results = ranked(ctx, wanted, fields, term, exact, only)
    page = results[offset : offset + limit]
    items = _show(ctx, include, page)
    data: dict[str, Any] = {"items": items}
    if item_search:
        data["related_items"] = _related(ctx, include, items) if related else []
    return _paged(ctx, data, offset, limit, len(results) > offset + limit)


SEARCHES = {
    # operation: (item type, fields, include_fields, entity filters: param → column)
    "search_deals": (
        "deal",
        ("custom_fields", "notes", "title"),
        ("deal.cc_email",),
        {"person_id": "person_id", "organization_id": "org_id", "status": "status"},
    ),
    "search_persons": (
        "person",
        ("custom_fields", "email", "notes", "phone", "name"),
        ("person.picture",),
        {"organization_id": "org_id"},
    ),
    "search_organization": ("organization", ("address", "custom_fields", "notes", "name"), (), {}),
    "search_products": ("product", ("code", "custom_fields", "name"), ("product.price",), {}),
    "search_projects": (
        "project",
        ("custom_fields", "notes", "title", "description"),
        (),
        {"person_id": "person_id", "organization_id": "org_id"},
    ),
    "search_leads": (
        "lead",
        ("custom_fields", "notes", "title"),
        ("lead.was_seen",),
        {"person_id": "person_id", "organization_id": "org_id"},
    ),
}

KNOWN = {(api, name) for api, _method, _path, name in OPERATIONS}

for _name, (_type, _fields, _include, _filters) in SEARCHES.items():
    for _api in ("v1", "v2"):
        if (_api, _name) not in KNOWN:  # projects are searched in v2 only
            continue
        handlers.operation(_api, _name)(
            lambda ctx, t=_type, f=_fields, i=_include, flt=_filters: search(ctx, (t,), f, i, filters=flt)
        )


def search_item(ctx: Ctx):
    """One search over every item type."""
    return search(
        ctx, sx.ITEM_TYPES, sx.ALL_FIELDS, ("deal.cc_email", "person.picture", "product.price"), item_search=True
    )


# -- itemSearch/field ----------------------------------------------------------------------

FIELD_TYPES_V1 = {
    "dealField": "deal",
    "leadField": "lead",
    "personField": "person",
    "organizationField": "organization",
    "productField": "product",
    "projectField": "project",
}
ENTITY_TYPES_V2 = ("deal", "lead", "person", "organization", "product", "project")


def _field_target(ctx: Ctx, item_type: str, key: str) -> tuple[str | None, str | None]:
    """(column, custom key) of the field ``key`` names on the item type, or a 400.
    A monetary or address custom value is matched by its ``value``."""
    entity = ENTITIES[item_type]
    for f in entity.fields:
        if f.kind == "str" and f.column and key in (f.name, f.v1, f.v2):
            return f.column, None
    found = custom.defs(ctx, entity)
    if found is not None:
        field = found.by_key.get(key)
        if field is not None and field.field_type in sx.SEARCHABLE_TYPES:
            return None, (f"{key}.value" if field.field_type in ("monetary", "address") else key)
    raise BadRequest(f"Invalid 'field' parameter: '{key}' is not a searchable field of {item_type}s")


def search_by_field(ctx: Ctx):
    """Values of one field that match the term, case-sensitively, with their items' ids."""
    if ctx.strict:
        item_type = ctx.choice_param("entity_type", ENTITY_TYPES_V2)
        key = ctx.raw("field")
        match = ctx.choice_param("match", ("exact", "beginning", "middle"), "exact")
        with_ids = True
        if item_type is None:
            raise BadRequest("Invalid 'entity_type' parameter: is required")
    else:
        kind = ctx.choice_param("field_type", tuple(FIELD_TYPES_V1))
        if kind is None:
            raise BadRequest("Invalid 'field_type' parameter: is required")
        item_type = FIELD_TYPES_V1[kind]
        key = ctx.raw("field_key")
        match = "exact" if ctx.bool_param("exact_match", False) else "middle"
        with_ids = bool(ctx.bool_param("return_item_ids", False))
    name = "field" if ctx.strict else "field_key"
    if not key:
        raise BadRequest(f"Invalid '{name}' parameter: is required")
    term = _term(ctx, match == "exact")
    offset, limit = _window(ctx, 500)
    column, custom_key = _field_target(ctx, item_type, key)
    entity = ENTITIES[item_type]
    alive = [entity.table.c.is_deleted.is_(False)]
    if with_ids:
        rows = repo.field_matches(
            ctx.conn, entity.table, ctx.company_id, column or "id", custom_key, term, match, alive, limit + 1, offset
        )
        data = [{"id": r["id"], key: _field_value(r["value"])} for r in rows[:limit]]
        return _paged(ctx, data, offset, limit, len(rows) > limit)
    rows = repo.field_matches(
        ctx.conn, entity.table, ctx.company_id, column or "id", custom_key, term, match, alive, sx.CANDIDATES, 0
    )
    values = list(dict.fromkeys(_field_value(r["value"]) for r in rows))
    page = values[offset : offset + limit]
    return _paged(ctx, [{key: v} for v in page], offset, limit, len(values) > offset + limit)


def _field_value(value: Any) -> Any:
    """A custom value as stored: JSON text on PostgreSQL for objects; numbers as numbers."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return parsed.get("value") if isinstance(parsed, dict) else value
    return value


for _api in ("v1", "v2"):
    handlers.operation(_api, "search_item")(search_item)
    handlers.operation(_api, "search_item_by_field")(search_by_field)
