"""A search run over the declared item types (``domain/search.py: TYPES``).

Candidates come from the search index (``store/repository.py``, kept by
``domain/search_index.py``); they are matched and scored by ``domain/search_match.py``, and a
page is shown from the items' live rows, with itemSearch's related items. itemSearch/field
finds the values of one field instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import ColumnElement

from dealbase.domain import search as sx
from dealbase.domain import search_match as matching
from dealbase.domain import visibility
from dealbase.domain.field_defs import defs
from dealbase.domain.registry import ENTITIES
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import search_items

Row = dict[str, Any]
Found = tuple[float, Row, matching.Matched]


def _columns(item_type: str, fields: list[str] | None) -> list[str]:
    stype = sx.TYPES[item_type]
    return list(dict.fromkeys(stype.column(f) for f in stype.fields if fields is None or f in fields))


def _key(row: Row) -> int | str:
    return row["item_uuid"] if row["item_uuid"] is not None else row["item_id"]


@dataclass(frozen=True)
class Query:
    """One search: the term (``exact``: whole values only), the item types and ``fields``
    searched (``None``: all of each type's), the ``include_fields`` asked for, and per
    type, the only item keys it may find (``only``: the entity filters' items)."""

    term: str
    exact: bool
    types: list[str]
    fields: list[str] | None
    include: set[str]
    only: dict[str, list[Any]] = field(default_factory=dict)


def ranked(unit, query: Query) -> list[Found]:
    """Every matching item (up to the candidates cap per group), best first."""
    term, exact, only = query.term, query.exact, query.only
    columns = {t: _columns(t, query.fields) for t in query.types}
    groups: dict[tuple[str, ...], list[str]] = {}
    for t in query.types:
        if columns[t]:
            groups.setdefault(tuple(columns[t]), []).append(t)
    words = [matching.normalize(term)] if exact else matching.words(term)
    seen = _seen(unit, query.types)
    found: dict[tuple[str, Any], Row] = {}
    for cols, group in groups.items():
        for row in repo.search_candidates(unit.conn, unit.company_id, group, cols, words, only, sx.CANDIDATES, seen):
            found[(row["item_type"], _key(row))] = row
    titled = [t for t in query.types if "title" in columns[t]]
    key = matching.normalize(term)
    for row in repo.search_titles(unit.conn, unit.company_id, titled, key, sx.CANDIDATES, seen):
        allowed = only.get(row["item_type"])
        if allowed is None or _key(row) in allowed:
            found[(row["item_type"], _key(row))] = row
    out = []
    for row in found.values():
        score, matched = matching.score(row, columns[row["item_type"]], term, exact)
        if score > 0:
            out.append((score, row, matched))
    out.sort(key=lambda r: (-r[0], -r[1]["id"]))
    return out


def _seen(unit, types: list[str]) -> dict[str, ColumnElement]:
    """Per item type, the condition on its ``search_items`` rows that the user sees the item
    (none for an admin, or a type visibility does not govern)."""
    seen = {}
    for t in types:
        entity = ENTITIES[t]
        key = search_items.c.item_uuid if entity.id_kind == "uuid" else search_items.c.item_id
        cond = visibility.seen_by_id(unit, entity, key)
        if cond is not None:
            seen[t] = cond
    return seen


def filtered(unit, item_type: str, equals: dict[str, Any]) -> dict[str, list[Any]]:
    """The items of a type a search may find under the entity filters given (column →
    value; at most ``FILTERED``, the newest, as Pipedrive); no filter given: no limit."""
    if not equals:
        return {}
    ids = repo.live_ids_where(unit.conn, ENTITIES[item_type].table, unit.company_id, equals)
    return {item_type: ids[-sx.FILTERED :]}


def page(unit, query: Query, offset: int, limit: int) -> tuple[list[Row], bool]:
    """The result items of one page, and whether more follow."""
    results = ranked(unit, query)
    return show(unit, query.include, results[offset : offset + limit]), len(results) > offset + limit


def show(unit, include: set[str], found: list[Found]) -> list[Row]:
    """The found items still alive, as results."""
    shown = sx.Shown(unit, include)
    by_type: dict[str, list[Any]] = {}
    for _score, row, _matched in found:
        by_type.setdefault(row["item_type"], []).append(_key(row))
    live = {t: shown.live(t, keys) for t, keys in by_type.items()}
    out = []
    for score, row, matched in found:
        item = live[row["item_type"]].get(_key(row))
        if item is not None:
            out.append({"result_score": score, "item": shown.item(row["item_type"], item, matched)})
    return out


def related(unit, include: set[str], items: list[Row]) -> list[Row]:
    """The items each found item lists as related (``SearchType.related``: the newest deals
    and leads of a person or organization, the persons of an organization), each once, up
    to ``RELATED_MAX`` of a type per found item."""
    shown_keys = {(i["item"]["type"], i["item"]["id"]) for i in items}
    wanted: list[tuple[str, Row]] = []
    for stype in sx.TYPES.values():
        ids = [i["item"]["id"] for i in items if i["item"]["type"] == stype.name]
        if not ids:
            continue
        for item_type, column in stype.related:
            target = ENTITIES[item_type]
            rows = repo.live_rows_in(
                unit.conn, target.table, unit.company_id, column, ids, *visibility.where(unit, target)
            )
            rows.sort(key=lambda r: (r["add_time"], str(r["id"])), reverse=True)
            per_parent: dict[Any, int] = {}
            for row in rows:
                parent = row[column]
                if per_parent.get(parent, 0) >= sx.RELATED_MAX or (item_type, row["id"]) in shown_keys:
                    continue
                per_parent[parent] = per_parent.get(parent, 0) + 1
                shown_keys.add((item_type, row["id"]))
                wanted.append((item_type, row))
    shown = sx.Shown(unit, include)
    return [{"result_score": 0, "item": shown.item(t, row, {})} for t, row in wanted]


# -- itemSearch/field ----------------------------------------------------------------------


def field_target(unit, item_type: str, key: str) -> tuple[str | None, str | None]:
    """(column, custom key) of the field ``key`` names on the item type, or a refusal.
    A monetary or address custom value is matched by its ``value``."""
    entity = ENTITIES[item_type]
    for f in entity.fields:
        if f.kind == "str" and f.column and key in (f.name, f.v1, f.v2):
            return f.column, None
    found = defs(unit, entity)
    if found is not None:
        custom = found.by_key.get(key)
        if custom is not None and custom.field_type in sx.SEARCHABLE_TYPES:
            return None, (f"{key}.value" if custom.field_type in ("monetary", "address") else key)
    raise BadInput(f"Invalid 'field' parameter: '{key}' is not a searchable field of {item_type}s")


def by_field(
    unit, item_type: str, key: str, term: str, match: str, with_ids: bool, offset: int, limit: int
) -> tuple[list[Row], bool]:
    """One page of the values of a field matching the term case-sensitively (``match``:
    ``exact``, ``beginning`` or ``middle``), with their items' ids or each value once;
    and whether more follow."""
    column, custom_key = field_target(unit, item_type, key)
    entity = ENTITIES[item_type]
    table, seen = entity.table, visibility.where(unit, entity)
    conn, company_id, column = unit.conn, unit.company_id, column or "id"
    if with_ids:
        rows = repo.field_matches(conn, table, company_id, column, custom_key, term, match, limit + 1, offset, *seen)
        return [{"id": r["id"], key: _field_value(r["value"])} for r in rows[:limit]], len(rows) > limit
    rows = repo.field_matches(conn, table, company_id, column, custom_key, term, match, sx.CANDIDATES, 0, *seen)
    values = list(dict.fromkeys(_field_value(r["value"]) for r in rows))
    return [{key: v} for v in values[offset : offset + limit]], len(values) > offset + limit


def _field_value(value: Any) -> Any:
    """A custom value as stored: JSON text on PostgreSQL for objects; numbers as numbers."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            parsed = orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
        return parsed.get("value") if isinstance(parsed, dict) else value
    return value
