"""Record a change event for each write, in the write's own transaction."""

from __future__ import annotations

from typing import Any

from dealbase.api.context import Ctx
from dealbase.store import repository as repo

_SKIP = {"add_time", "update_time"}


def record_create(ctx: Ctx, entity: str, row_id: int, values: dict[str, Any], stamp: str) -> None:
    changes = {k: [None, v] for k, v in values.items() if v is not None and k not in _SKIP}
    repo.record_change(ctx.conn, ctx.company_id, entity, row_id, "create", ctx.user_id, stamp, changes)


def record_update(ctx: Ctx, entity: str, old: dict[str, Any], changed: dict[str, Any], stamp: str) -> None:
    changes = {k: [old.get(k), v] for k, v in changed.items() if k not in _SKIP}
    repo.record_change(ctx.conn, ctx.company_id, entity, old["id"], "change", ctx.user_id, stamp, changes)


def record_delete(ctx: Ctx, entity: str, row: dict[str, Any], stamp: str) -> None:
    repo.record_change(
        ctx.conn, ctx.company_id, entity, row["id"], "delete", ctx.user_id, stamp, {"is_deleted": [False, True]}
    )
