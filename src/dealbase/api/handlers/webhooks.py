"""``/v1/webhooks``: list, create and delete webhook subscriptions (``domain/webhooks.py``).

Refusals answer as Pipedrive's do, ``{"success": false, "status": "error", "errors":
{field: [message]}}`` for values, and the webhooks API's own bodies otherwise; successes
carry ``status: "ok"`` beside ``success`` and ``data``.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.api import webhook_payloads  # noqa: F401  (registers the payload renderer)
from dealbase.api.context import Ctx
from dealbase.api.errors import ERROR_INFO, ApiError
from dealbase.api.responses import Reply
from dealbase.api.router import Handlers
from dealbase.clock import to_iso
from dealbase.domain import webhooks
from dealbase.domain.ids import INTEGER
from dealbase.errors import NotAllowed

handlers = Handlers()


class WebhookError(ApiError):
    """The webhooks API's own error bodies."""

    def __init__(self, status: int, errors: dict[str, list[str]] | None = None, **body: Any) -> None:
        super().__init__("webhook error", status)
        self.errors = errors
        self.fields = body

    def body(self) -> dict[str, Any]:
        if self.errors is not None:
            return {"success": False, "status": "error", "errors": self.errors}
        return {"success": False, **self.fields}


def present(row: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "company_id": row["company_id"],
        "owner_id": row["owner_id"],
        "user_id": row["user_id"],
        "event_action": row["event_action"],
        "event_object": row["event_object"],
        "subscription_url": row["subscription_url"],
        "version": row["version"],
        "is_active": 1 if webhooks.is_active(row, now) else 0,
        "add_time": to_iso(row["add_time"]),
        "remove_time": to_iso(row["remove_time"]),
        "type": row["type"],
        "http_auth_user": row["http_auth_user"],
        "http_auth_password": row["http_auth_password"],
        "remove_reason": row["remove_reason"],
        "last_delivery_time": to_iso(row["last_delivery_time"]),
        "last_http_status": row["last_http_status"],
        "admin_id": row["owner_id"],
        "name": row["name"],
    }


def _answer(data: Any, status: int = 200) -> Reply:
    return Reply(status, orjson.dumps({"status": "ok", "success": True, "data": data}))


def _app_id(ctx: Ctx) -> int | None:
    """The OAuth app calling, whose webhooks are its own (``type`` "application"), or None."""
    credential = ctx.extra.get("credential")
    return credential.app_id if credential is not None and credential.kind == "oauth" else None


@handlers.operation("v1", "get_webhooks")
def get_webhooks(ctx: Ctx) -> Reply:
    """The webhooks the caller sees."""
    return _answer([present(r, ctx.clock()) for r in webhooks.visible(ctx, _app_id(ctx))])


@handlers.operation("v1", "add_webhook", write=True)
def add_webhook(ctx: Ctx) -> Reply:
    """A new subscription; at most 40 per user, and 40 per app and user (422 past that)."""
    body = ctx.body if isinstance(ctx.body, dict) else {}
    try:
        values = webhooks.subscription(ctx, body, _app_id(ctx), ctx.settings.webhooks_allow_private)
        row = webhooks.subscribe(ctx, values)
    except webhooks.Invalid as err:
        raise WebhookError(400, err.errors) from err
    except webhooks.LimitReached as err:
        raise WebhookError(422, error=err.message, error_info=ERROR_INFO, data=None, additional_data=None) from err
    return _answer(present(row, ctx.clock()), 201)


@handlers.operation("v1", "delete_webhook", write=True)
def delete_webhook(ctx: Ctx) -> Reply:
    """Delete a subscription."""
    raw = ctx.path["id"]
    found = INTEGER.match(raw) is not None and len(raw) < 10
    row = webhooks.find(ctx, int(raw), _app_id(ctx)) if found else None
    if row is None:
        raise WebhookError(404, {"id": ["not found"]})
    try:
        webhooks.unsubscribe(ctx, row)
    except NotAllowed as err:
        raise WebhookError(403, message=err.message) from err
    return Reply(200, orjson.dumps({"status": "ok", "success": True}))
