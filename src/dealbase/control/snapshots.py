"""A company's snapshots: save the whole company under a name, list, restore, delete.

``POST /_dealbase/companies/{id}/snapshots`` ``{"name"}`` → 201 the snapshot (``name``,
``created``, ``size`` in bytes, ``counts``: rows per table and ``files``);
``GET …/snapshots`` → the list (``created`` in the company's time, as the restore's marker
change event); ``POST …/snapshots/{name}/restore`` → the company as it was,
ids, custom field keys, files, tokens and webhooks included; ``DELETE …/snapshots/{name}``.
A name taken is a 409, a missing snapshot or company a 404. What is saved and how a restore
stays one transaction: ``store/snapshots.py``.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

from sqlalchemy import Connection
from starlette.routing import BaseRoute

from dealbase.api.errors import ApiError, BadRequest, NotFound
from dealbase.control.plane import Call, Plane, in_transaction, known_company, route
from dealbase.domain import company_clock
from dealbase.store import blobs
from dealbase.store import snapshots as store

T = TypeVar("T")

# A name goes in paths: letters, digits, ".", "_" and "-" need no escaping there.
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
_NAME_RULE = "name must be 1 to 100 letters, digits, '.', '_' or '-'"


def _company(conn: Connection, call: Call) -> int:
    return known_company(conn, call.int_path("company_id"))


def _name(raw: Any) -> str:
    if not isinstance(raw, str) or _NAME.fullmatch(raw) is None:
        raise BadRequest(f"Invalid snapshot name: {_NAME_RULE}")
    return raw


def _missing(name: str) -> NotFound:
    return NotFound(f"Unknown snapshot: {name}")


async def add_snapshot(plane: Plane, call: Call) -> tuple[int, Any]:
    """Save the company's whole state under a new name."""
    call.only("name")
    name = _name(call.body.get("name"))
    files_dir = plane.app.settings.files_dir

    def work(conn: Connection) -> dict[str, Any]:
        company_id = _company(conn, call)
        if store.exists(conn, company_id, name):
            raise ApiError(f"A snapshot named {name} exists already", 409)
        return store.save(conn, company_id, name, company_clock.now_of(conn, company_id), files_dir)

    return 201, await in_transaction(plane, work)


async def get_snapshots(plane: Plane, call: Call) -> tuple[int, Any]:
    """The company's snapshots, oldest first."""
    return 200, await in_transaction(plane, lambda conn: store.listing(conn, _company(conn, call)))


async def restore_snapshot(plane: Plane, call: Call) -> tuple[int, Any]:
    """Bring the company back to the named snapshot."""
    name = call.path["name"]
    files_dir = plane.app.settings.files_dir
    company_id = call.int_path("company_id")

    def work(conn: Connection) -> store.Restored:
        known = _company(conn, call)
        done = store.restore(conn, known, name, company_clock.now_of(conn, known), files_dir)
        if done is None:
            raise _missing(name)
        return done

    restored = await in_transaction(plane, work)
    blobs.keep_only(files_dir, company_id, set(restored.files))
    return 200, restored.listed


async def delete_snapshot(plane: Plane, call: Call) -> tuple[int, Any]:
    """Delete the named snapshot (the company stays as it is)."""
    name = call.path["name"]

    def work(conn: Connection) -> None:
        if not store.remove(conn, _company(conn, call), name):
            raise _missing(name)

    await in_transaction(plane, work)
    return 200, {"name": name, "deleted": True}


def routes(plane: Plane) -> list[BaseRoute]:
    base = "/companies/{company_id}/snapshots"
    return [
        route(plane, base, add_snapshot, ["POST"]),
        route(plane, base, get_snapshots, ["GET"]),
        route(plane, base + "/{name}/restore", restore_snapshot, ["POST"], body=False),
        route(plane, base + "/{name}", delete_snapshot, ["DELETE"]),
    ]
