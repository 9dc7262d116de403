"""``/v1/webhooks``: list, create and delete webhook subscriptions.

Validation answers as Pipedrive's does, ``{"success": false, "status": "error", "errors":
{field: [message]}}``. Receivers on loopback, private or otherwise non-public addresses are
refused like unreachable URLs unless the setting ``webhooks_allow_private`` is on (local
work). Deliveries are the outbox's and the dispatcher's (``events/``).
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import orjson

from dealbase.api import webhook_payloads  # noqa: F401  (registers the payload renderer)
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError
from dealbase.api.responses import Reply
from dealbase.api.router import Handlers
from dealbase.clock import now, to_iso
from dealbase.domain.ids import INTEGER
from dealbase.events.outbox import MERGED, V1_ACTIONS, V1_OBJECTS, V2_OBJECTS
from dealbase.store import repository as repo
from dealbase.store import webhooks as store
from dealbase.store.tables import users

handlers = Handlers()

MAX_PER_USER = 40
BAD_URL = "invalid or non-reachable URL"
V2_ACTIONS = ("create", "change", "delete", "*")
OBJECTS = {
    "2.0": (*sorted(set(V2_OBJECTS.values())), "*"),
    "1.0": (*sorted(set(V2_OBJECTS.values()) | set(V1_OBJECTS.values())), "*"),
}
ACTIONS = {"2.0": V2_ACTIONS, "1.0": (*V2_ACTIONS, *V1_ACTIONS.values(), MERGED)}
# Names that always mean this machine or its network, whatever they resolve to.
_LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".localdomain")


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


def private_host(host: str) -> bool:
    """True for a receiver that is not on the public internet: loopback, private, link-local
    and reserved addresses, and the names of this machine."""
    host = host.strip("[]").lower().rstrip(".")
    if host in ("localhost",) or host.endswith(_LOCAL_NAMES):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global


def url_error(url: Any, allow_private: bool) -> str | None:
    if not isinstance(url, str) or not url.strip() or len(url) > 2048:
        return BAD_URL
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return BAD_URL
    if parts.scheme not in ("http", "https") or not host or " " in url.strip():
        return BAD_URL
    if host == "pipedrive.com" or host.endswith(".pipedrive.com"):
        return BAD_URL
    if not allow_private and private_host(host):
        return BAD_URL
    return None


def present(row: dict[str, Any]) -> dict[str, Any]:
    banned = row["banned_until"] is not None and row["banned_until"] > now()
    return {
        "id": row["id"],
        "company_id": row["company_id"],
        "owner_id": row["owner_id"],
        "user_id": row["user_id"],
        "event_action": row["event_action"],
        "event_object": row["event_object"],
        "subscription_url": row["subscription_url"],
        "version": row["version"],
        "is_active": 0 if banned or row["remove_time"] is not None else 1,
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
    """The webhooks API's envelope: ``status: "ok"`` beside ``success`` and ``data``."""
    return Reply(status, orjson.dumps({"status": "ok", "success": True, "data": data}))


def _app_id(ctx: Ctx) -> int | None:
    """The OAuth app calling, whose webhooks are its own (``type`` "application"), or None."""
    credential = ctx.extra.get("credential")
    return credential.app_id if credential is not None and credential.kind == "oauth" else None


@handlers.operation("v1", "get_webhooks")
def get_webhooks(ctx: Ctx) -> Reply:
    """The company's webhooks: all of them for an admin, a user's own otherwise; an app sees
    only those it made, and nobody else sees those."""
    owner = None if ctx.user.get("is_admin") else ctx.user_id
    rows = store.listed(ctx.conn, ctx.company_id, _app_id(ctx), owner)
    return _answer([present(r) for r in rows])


def _text(body: dict[str, Any], key: str, errors: dict[str, list[str]], limit: int = 255) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[key] = ["must be a string"]
        return None
    if len(value) > limit:
        errors[key] = [f"must be at most {limit} characters"]
    return value


def _values(ctx: Ctx) -> dict[str, Any]:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    errors: dict[str, list[str]] = {}
    version = body.get("version")
    version = "2.0" if version in (None, "") else str(version)
    if version not in ("1.0", "2.0"):
        errors["version"] = ["must be one of 1.0, 2.0"]
        version = "2.0"
    for key in ("subscription_url", "event_action", "event_object", "name"):
        if body.get(key) in (None, ""):
            errors[key] = ["is required"]
    url = body.get("subscription_url")
    if "subscription_url" not in errors:
        problem = url_error(url, ctx.settings.webhooks_allow_private)
        if problem:
            errors["subscription_url"] = [problem]
    action, obj = body.get("event_action"), body.get("event_object")
    if "event_action" not in errors and action not in ACTIONS[version]:
        errors["event_action"] = [f"must be one of {', '.join(ACTIONS[version])}"]
    if "event_object" not in errors and obj not in OBJECTS[version]:
        errors["event_object"] = [f"must be one of {', '.join(OBJECTS[version])}"]
    name = _text(body, "name", errors)
    auth_user = _text(body, "http_auth_user", errors)
    auth_password = _text(body, "http_auth_password", errors)
    user_id = body.get("user_id")
    if user_id in (None, ""):
        user_id = ctx.user_id
    else:
        if isinstance(user_id, str) and INTEGER.match(user_id):
            user_id = int(user_id)
        user = repo.get(ctx.conn, users, ctx.company_id, user_id) if type(user_id) is int else None
        if user is None or not user["active_flag"]:
            errors["user_id"] = ["user not found"]
    if errors:
        raise WebhookError(400, errors)
    return {
        "owner_id": ctx.user_id,
        "user_id": user_id,
        "name": name,
        "event_action": action,
        "event_object": obj,
        "subscription_url": url.strip(),
        "version": version,
        "type": "general" if _app_id(ctx) is None else "application",
        "app_id": _app_id(ctx),
        "http_auth_user": auth_user,
        "http_auth_password": auth_password,
    }


@handlers.operation("v1", "add_webhook", write=True)
def add_webhook(ctx: Ctx) -> Reply:
    """A new subscription; at most 40 per user, and 40 per app and user (422 past that)."""
    values = _values(ctx)
    if store.count_owned(ctx.conn, ctx.company_id, ctx.user_id, values["app_id"]) >= MAX_PER_USER:
        raise WebhookError(
            422,
            error=f"You have reached the maximum number of webhooks ({MAX_PER_USER}) per user",
            error_info="Please check developers.pipedrive.com",
            data=None,
            additional_data=None,
        )
    stamp = now()
    webhook_id = store.insert_webhook(ctx.conn, ctx.company_id, {**values, "add_time": stamp})
    return _answer(present(store.get(ctx.conn, ctx.company_id, webhook_id, values["app_id"])), 201)


@handlers.operation("v1", "delete_webhook", write=True)
def delete_webhook(ctx: Ctx) -> Reply:
    """Delete a subscription; what it still had to send is dropped."""
    raw = ctx.path["id"]
    found = INTEGER.match(raw) is not None and len(raw) < 10
    row = store.get(ctx.conn, ctx.company_id, int(raw), _app_id(ctx)) if found else None
    if row is None:
        raise WebhookError(404, {"id": ["not found"]})
    if row["owner_id"] != ctx.user_id and not ctx.user.get("is_admin"):
        raise WebhookError(403, message="Forbidden")
    store.delete_webhook(ctx.conn, ctx.company_id, row["id"], now())
    return Reply(200, orjson.dumps({"status": "ok", "success": True}))
