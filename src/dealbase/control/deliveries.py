"""A company's webhook deliveries: ``GET …/webhooks/deliveries`` lists them, newest first,
and ``POST …/webhooks/flush`` sends every pending one now (``events/dispatcher.py: flush``,
the dispatcher's own sender), whether or not this process runs the dispatcher."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.routing import BaseRoute

from dealbase.api.errors import BadRequest
from dealbase.clock import to_v2
from dealbase.control.plane import Call, Plane, in_transaction, known_company, route
from dealbase.events import dispatcher
from dealbase.store import webhooks as store

STATUSES = (store.PENDING, store.DELIVERED, store.FAILED, store.DROPPED)
LIMIT, MAX_LIMIT = 100, 500


def routes(plane: Plane) -> list[BaseRoute]:
    return [
        route(plane, "/companies/{company_id}/webhooks/deliveries", get_deliveries, ["GET"]),
        route(plane, "/companies/{company_id}/webhooks/flush", flush_deliveries, ["POST"], body=False),
    ]


async def get_deliveries(plane: Plane, call: Call) -> tuple[int, Any]:
    """The company's deliveries, newest first: ``limit`` (1–500, 100), ``status`` (a
    comma-separated list of pending, delivered, failed, dropped)."""
    company_id = call.int_path("company_id")
    limit = call.int_query("limit", LIMIT, 1, MAX_LIMIT)
    statuses = _statuses(call.query.get("status"))

    def read(conn) -> list[dict[str, Any]]:
        known_company(conn, company_id)
        return store.deliveries(conn, company_id=company_id, statuses=statuses, limit=limit)

    return 200, [_delivery(row) for row in await in_transaction(plane, read, write=False)]


async def flush_deliveries(plane: Plane, call: Call) -> tuple[int, Any]:
    """Send every pending delivery of the company now; what each receiver answered."""
    company_id = call.int_path("company_id")
    await in_transaction(plane, lambda conn: known_company(conn, company_id), write=False)
    app = plane.app
    sent = await dispatcher.flush(app.engine, app.settings, company_id, inline=app.inline)
    return 200, [
        {
            "delivery_id": one.delivery_id,
            "url": one.url,
            "status": one.status,
            "response_status": one.response_status,
            "error": one.error,
        }
        for one in sent
    ]


def _statuses(raw: str | None) -> list[str]:
    if raw is None:
        return []
    given = [part.strip() for part in raw.split(",")]
    if not set(given) <= set(STATUSES):
        raise BadRequest(f"status must be one or more of {', '.join(STATUSES)}")
    return given


def _delivery(row: dict[str, Any]) -> dict[str, Any]:
    waiting = row["status"] == store.PENDING
    return {
        "id": row["id"],
        "webhook_id": row["webhook_id"],
        "url": row["subscription_url"],
        "event": f"{row['action']}.{row['entity']}",
        "payload": orjson.loads(row["payload"]),
        "attempts": row["attempts"],
        "status": row["status"],
        "last_response_status": row["last_http_status"],
        "last_error": row["last_error"],
        "add_time": to_v2(row["add_time"]),
        "last_attempt_time": to_v2(row["last_attempt_time"]),
        "next_attempt_time": to_v2(dispatcher.stored_time(row["next_at"])) if waiting else None,
    }
