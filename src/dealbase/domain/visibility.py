"""Who sees which items: the one place the rule lives (semantics.md §5.4).

An admin sees everything: no condition, nothing read. Anyone else sees an item they own,
one they follow, and one whose ``visible_to`` lets them: on plans without visibility groups
``1`` is the owner only and ``3`` the entire company; with groups (``roles.visibility_values``
offers 1, 3, 5, 7) ``1`` is the owner only, ``3`` the owner's visibility group (the owner's
role), ``5`` that group and its sub-groups (roles under it) and ``7`` the entire company.
The default role (a user with no role) is a group of its own with none under it.

What this module hands on is plain data (``conditions.Sight``); ``store/visibility.py`` makes
it the condition of the statement that reads the rows, so pages, counts and sums only ever
see visible rows. An entity is governed when it is named in ``GOVERNED``.

A role may hide pipelines from its users (``roles.hidden_pipeline_ids``): to a user who is
not an admin those pipelines, their stages and their deals are missing, whatever else holds.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement

from dealbase.conditions import Sight
from dealbase.domain import company_clock, roles
from dealbase.domain.entity import Entity
from dealbase.domain.followers import FOLLOWED
from dealbase.domain.registry import ENTITIES
from dealbase.domain.unit import Unit
from dealbase.store import visibility as sql

# The entities whose reads follow visibility: every one with an owner and ``visible_to``.
GOVERNED = frozenset({"deal", "person", "organization", "product", "lead"})
# A user who sees fewer than this many of an entity's rows gets the sparse condition (their
# ids gathered from the indexes): below it gathering them costs less than walking the table
# to fill a page (about 100 × rows ÷ seen row tests), above it more.
SPARSE_BELOW = 2_000
# How long a process keeps what it counted (seconds): the count only picks the statement's
# shape, both shapes give the same rows, so an old count costs time, never correctness.
SPARSE_KEPT = 30.0
# The entities read only within the pipelines the user's role shows: entity → its pipeline column.
IN_PIPELINES = {"pipeline": "id", "stage": "pipeline_id"}
# The entities seen through the governed items they link: one is seen when every deal, lead,
# person and organization it names is (Pipedrive: "the visibility of notes and activities
# depends on whether you can access all linked items"; files, attached the same way, alike).
THROUGH_LINKS = frozenset({"activity", "note", "file"})


def governs(entity: Entity) -> bool:
    """Whether reads of ``entity``'s rows depend on who reads them."""
    return entity.name in GOVERNED or entity.name in IN_PIPELINES or entity.name in THROUGH_LINKS


def sees_all(unit: Any) -> bool:
    return bool(unit.user.get("is_admin")) or "id" not in unit.user


def sight(unit: Any, entity: Entity, count: bool = True) -> Sight | None:
    """What the unit's user sees of ``entity``'s items; None: everything (an admin, an
    entity visibility does not govern, a unit acting for no user). ``count``: whether a
    read of many rows follows, so a sparse sight is worth counting (not for one item)."""
    if entity.name not in GOVERNED or sees_all(unit):
        return None
    key = ("sight", entity.name, count)
    found = unit.cache.get(key)
    if found is None:
        found = _sight(unit, entity.name)
        found = unit.cache[key] = _sparse(unit, entity, found) if count else found
    return found


def _sparse(unit: Any, entity: Entity, seen: Sight) -> Sight:
    """``seen``, marked sparse when its user sees fewer than ``SPARSE_BELOW`` rows (counted
    at most every ``SPARSE_KEPT`` seconds per process)."""
    counts = unit.shared.setdefault("sight_counts", {})
    key = (unit.company_id, seen)
    now = time.monotonic()
    kept = counts.get(key)
    if kept is None or kept[0] < now:
        if len(counts) >= 10_000:
            counts.clear()
        count = sql.seen_count(unit.conn, entity.table, unit.company_id, seen, SPARSE_BELOW)
        kept = counts[key] = (now + SPARSE_KEPT, count < SPARSE_BELOW)
    return dataclasses.replace(seen, sparse=True) if kept[1] else seen


def _sight(unit: Any, item_type: str) -> Sight:
    plan = company_clock.standing(unit.conn, unit.shared, unit.company_id).plan
    values = roles.visibility_values(plan)
    user_id, followed = unit.user["id"], item_type in FOLLOWED
    hidden = hidden_pipelines(unit) if item_type == "deal" else ()
    if len(values) < 4:
        return Sight(user_id, item_type, everyone=(3,), followed=followed, hidden_pipelines=hidden)
    up = _roles_up(unit)
    return Sight(user_id, item_type, (7,), followed, groups=True, role_ids=up, hidden_pipelines=hidden)


def hidden_pipelines(unit: Any) -> tuple[int, ...]:
    """The pipelines the unit's user's role hides (none: an admin, no role, none hidden)."""
    if sees_all(unit):
        return ()
    key = ("hidden_pipelines", unit.user["id"])
    if key not in unit.cache:
        live = _roles_up(unit)  # a deleted role hides nothing: its user is in the default role
        unit.cache[key] = sql.hidden_pipelines(unit.conn, unit.company_id, unit.user["id"]) if live else ()
    return unit.cache[key]


def _roles_up(unit: Any) -> tuple[int, ...]:
    """The user's live role and every live role above it, nearest first (empty: the default
    role); read once per unit."""
    key = ("roles_up", unit.user["id"])
    if key not in unit.cache:
        parents, current = sql.live_roles(unit.conn, unit.company_id, unit.user["id"])
        chain: list[int] = []
        while current is not None and current in parents and current not in chain:
            chain.append(current)
            current = parents[current]
        unit.cache[key] = tuple(chain)
    return unit.cache[key]


def where(unit: Any, entity: Entity, count: bool = True) -> list[ColumnElement]:
    """The conditions a read of ``entity``'s rows adds for the unit's user (none for an
    admin); ``count`` as for ``sight``."""
    if entity.name in IN_PIPELINES:
        hidden = hidden_pipelines(unit)
        return [sql.outside(entity.table.c[IN_PIPELINES[entity.name]], hidden)] if hidden else []
    if entity.name in THROUGH_LINKS:
        return _links_seen(unit, entity, count)
    seen = sight(unit, entity, count)
    return [] if seen is None else [sql.condition(entity.table, unit.company_id, seen)]


def _links_seen(unit: Any, entity: Entity, count: bool) -> list[ColumnElement]:
    """Each governed item ``entity``'s rows link (a reference column) is none or one the
    unit's user sees (nothing for an admin)."""
    if sees_all(unit):
        return []
    out = []
    for f in entity.fields:
        target = ENTITIES.get(f.ref) if f.ref in GOVERNED else None
        if target is None or f.column is None or f.kind not in ("int", "str"):
            continue
        seen = sight(unit, target, count)
        if seen is not None:
            out.append(sql.none_or_seen(entity.table.c[f.column], target.table, unit.company_id, seen))
    return out


def seen_by_id(unit: Any, entity: Entity, item_id: ColumnElement) -> ColumnElement | None:
    """A condition that ``item_id`` (a column of another table) names one of ``entity``'s
    rows the user sees; None: every row is."""
    seen = sight(unit, entity)
    return None if seen is None else sql.correlated(entity.table, unit.company_id, seen, item_id)


def viewers(conn: Any, company_id: int, entity: Entity, item_id: Any, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` (users who are not admins) see ``entity``'s item ``item_id`` as
    its row stands now, in one statement (an entity visibility does not govern: all of them).
    What it reads of each user (their role, the plan) it reads once for them all."""
    wanted = list(dict.fromkeys(user_ids))
    if not governs(entity):
        return set(wanted)
    shared: dict[Any, Any] = {}  # the plan's standing read once for every user, and only here
    seeing, conditions = set(), {}
    for user_id in wanted:
        found = where(Unit(conn, company_id, {"id": user_id, "is_admin": False}, shared=shared), entity, count=False)
        if found:
            conditions[user_id] = found
        else:
            seeing.add(user_id)
    return seeing | sql.seers(conn, entity.table, company_id, item_id, conditions)


def unseen(unit: Any, entity: Entity, ids: Iterable[Any]) -> set[Any]:
    """Those of ``ids`` (``entity``'s items another item points at) the unit's user may not
    see: none for an admin or an entity visibility does not govern, without a query."""
    wanted = [i for i in dict.fromkeys(ids) if i is not None]
    conditions = where(unit, entity) if wanted and governs(entity) else []
    if not conditions:
        return set()
    return set(wanted) - sql.seen_among(unit.conn, entity.table, unit.company_id, wanted, conditions)
