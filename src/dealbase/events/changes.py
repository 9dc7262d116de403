"""Record a change event for each write, in the write's own transaction.

``changes`` maps each changed column to ``[old, new]``; the change events feed the
changelogs, recents and webhook deliveries built on them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dealbase.store import repository as repo

_SKIP = {"add_time", "update_time"}


def _created(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [None, v] for k, v in values.items() if v is not None and k not in _SKIP}


def record_create(
    conn: Connection, company_id: int, user_id: int, entity: str, row_id: int, values: dict[str, Any], stamp: str
) -> None:
    repo.record_change(conn, company_id, entity, row_id, "create", user_id, stamp, _created(values))


def record_creates(
    conn: Connection, company_id: int, user_id: int, created: list[tuple[str, dict[str, Any]]], stamp: str
) -> None:
    """The create events of several rows, ``(entity, row)``, in one statement."""
    repo.record_changes(
        conn,
        [
            repo.Change(company_id, entity, row["id"], "create", user_id, stamp, _created(row), False)
            for entity, row in created
        ],
    )


def record_update(
    conn: Connection,
    company_id: int,
    user_id: int,
    entity: str,
    old: dict[str, Any],
    changed: dict[str, Any],
    stamp: str,
) -> None:
    changes = {k: [old.get(k), v] for k, v in changed.items() if k not in _SKIP}
    repo.record_change(conn, company_id, entity, old["id"], "change", user_id, stamp, changes)


def record_delete(
    conn: Connection, company_id: int, user_id: int, entity: str, row: dict[str, Any], stamp: str
) -> None:
    repo.record_change(conn, company_id, entity, row["id"], "delete", user_id, stamp, {"is_deleted": [False, True]})
