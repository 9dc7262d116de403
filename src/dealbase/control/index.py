"""``GET /_dealbase/``: what the control plane offers, so a developer finds it from the server."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Route

from dealbase.control.plane import Call, Plane, route


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
        return 200, {"control_plane": "/_dealbase", "routes": [{"path": p, "methods": m} for p, m in listed]}

    return [route(plane, "/", index, ["GET"])]
