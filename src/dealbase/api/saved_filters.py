"""``filter_id`` on lists: the saved filter's conditions as WHERE clauses for the listed entity."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.domain.entity import Entity
from dealbase.domain.filters import FILTER, TYPES, resolve
from dealbase.domain.registry import ENTITIES
from dealbase.store import filter_sql
from dealbase.store import repository as repo


def where(ctx: Ctx, entity: Entity, filter_id: int) -> list[ColumnElement]:
    """The clauses of a live filter of the caller's company made for ``entity``'s lists;
    404 for any other id (unknown, deleted, another company's, another type's)."""
    row = repo.get(ctx.conn, FILTER.table, ctx.company_id, filter_id)
    if row is None or row["is_deleted"] or TYPES.get(row["type"]) != entity.name:
        raise NotFound("Filter not found")
    tree = resolve(entity, row["conditions"], ctx.custom_defs, ctx.clock)
    tables = {name: e.table for name, e in ENTITIES.items()}
    return [filter_sql.where(tree, entity.table, tables, ctx.company_id, ctx.conn.dialect.name)]
