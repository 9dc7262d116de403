"""``GET /_dealbase/``: what the control plane offers, so a developer finds it from the server:
its routes and the rules they share (``NOTES``)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from dealbase.control.plane import Call, Plane, route

# The rules a caller needs beside the routes (README, "Sandbox", says the same at length).
NOTES = {
    "auth": "Authorization: Bearer <control token>; a wrong or missing one is a 401 and nothing is done",
    "errors": "Bad input is a 4xx in Pipedrive's error envelope (400 a bad body or query, 404 an unknown "
    "company, snapshot or fault, 405 a method the path does not serve, 409 a snapshot name taken, 413 a "
    "body too large) and changes nothing",
    "clock": "PUT …/clock sets any time from 1970 on, earlier too, frozen or not, so a scenario can run "
    "again from its start (rows keep their times, webhook retries wait for their time or a flush); "
    "POST …/clock/advance only moves forward",
}


def routes(plane: Plane) -> list[BaseRoute]:
    async def index(_plane: Plane, _call: Call) -> tuple[int, Any]:
        from dealbase.control import routes as all_routes

        listed = sorted(
            {
                (r.path, ",".join(sorted((r.methods or set()) - {"HEAD"})))
                for r in all_routes(plane)
                if isinstance(r, Route)
            }
        )
        return 200, {
            "control_plane": "/_dealbase",
            "routes": [{"path": p, "methods": m} for p, m in listed],
            "notes": NOTES,
        }

    return [route(plane, "/", index, ["GET"])]
