"""Companies through the control plane: make one (empty or with the demo data, more users with
their own API tokens), list them, show one, reset one to a new company's state (tokens kept),
delete one with every row and stored file of it, its fault rules and its request journal.
The work is ``sandbox.py``'s, shared with the CLI; here: the routes, one transaction per
call, 404 for an unknown company.
"""

from __future__ import annotations

from typing import Any, TypeVar

from starlette.routing import BaseRoute

from dealbase import sandbox
from dealbase.api.errors import NotFound
from dealbase.control import faults, journal
from dealbase.control.plane import Call, Plane, in_transaction, route
from dealbase.domain import company_clock

T = TypeVar("T")


def _found(company: T | None, company_id: int) -> T:
    if company is None:
        raise NotFound(f"Unknown company: {company_id}")
    return company


async def add_company(plane: Plane, call: Call) -> tuple[int, Any]:
    spec = sandbox.read_new_company(call.body)
    return 201, await in_transaction(plane, lambda conn: sandbox.create(conn, spec, plane.app.settings))


async def get_companies(plane: Plane, _call: Call) -> tuple[int, Any]:
    return 200, await in_transaction(plane, sandbox.describe_all)


async def get_company(plane: Plane, call: Call) -> tuple[int, Any]:
    company_id = call.int_path("company_id")
    return 200, _found(await in_transaction(plane, lambda conn: sandbox.describe(conn, company_id)), company_id)


async def delete_company(plane: Plane, call: Call) -> tuple[int, Any]:
    company_id = call.int_path("company_id")
    gone = _found(await in_transaction(plane, lambda conn: sandbox.delete(conn, company_id)), company_id)
    sandbox.remove_files(plane.app.settings.files_dir, company_id)
    plane.app.authenticate.forget(gone)
    company_clock.forget(plane.app.shared, company_id)  # what the process cached of it
    faults.of(plane).remove_company(company_id)
    if (requests := journal.of(plane)) is not None:
        requests.forget(company_id)
    return 200, {"id": company_id, "deleted": True}


async def reset_company(plane: Plane, call: Call) -> tuple[int, Any]:
    company_id = call.int_path("company_id")
    seed = sandbox.read_reset(call.body)
    return 200, _found(await in_transaction(plane, lambda conn: sandbox.reset(conn, company_id, seed)), company_id)


def routes(plane: Plane) -> list[BaseRoute]:
    return [
        route(plane, "/companies", add_company, ["POST"]),
        route(plane, "/companies", get_companies, ["GET"]),
        route(plane, "/companies/{company_id}", get_company, ["GET"]),
        route(plane, "/companies/{company_id}", delete_company, ["DELETE"]),
        route(plane, "/companies/{company_id}/reset", reset_company, ["POST"]),
    ]
