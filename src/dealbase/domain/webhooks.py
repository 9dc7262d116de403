"""Webhook subscriptions: what one may be, how many a user holds, who sees and deletes them.

Receivers on loopback, private or otherwise non-public addresses are refused like
unreachable URLs unless ``allow_private`` (the setting ``webhooks_allow_private``, for local
work). A webhook an OAuth app makes is the app's own (``app_id``): only the app sees it, and
it goes when the user uninstalls the app (``domain/oauth.py: revoke``). Deliveries are the
outbox's and the dispatcher's (``events/``); SQL in ``store/webhooks.py``.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from dealbase.domain.ids import INTEGER
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput, NotAllowed
from dealbase.events.outbox import MERGED, V1_ACTIONS, V1_OBJECTS, V2_OBJECTS
from dealbase.store import repository as repo
from dealbase.store import webhooks as store
from dealbase.store.tables import users

Row = dict[str, Any]

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


class Invalid(BadInput):
    """Values of a new subscription refused, by key: ``{key: [message]}``."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("webhook error")
        self.errors = errors


class LimitReached(NotAllowed):
    """The user (or the app for the user) holds as many webhooks as one may."""


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


def _text(given: Row, key: str, errors: dict[str, list[str]], limit: int = 255) -> str | None:
    value = given.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        errors[key] = ["must be a string"]
        return None
    if len(value) > limit:
        errors[key] = [f"must be at most {limit} characters"]
    return value


def _live_user_id(unit: Unit, user_id: Any) -> int | None:
    """The id of the live user a subscription is for, or None when there is no such user."""
    if isinstance(user_id, str) and INTEGER.match(user_id):
        user_id = int(user_id)
    user = repo.get(unit.conn, users, unit.company_id, user_id) if type(user_id) is int else None
    return user_id if user is not None and user["active_flag"] else None


def subscription(unit: Unit, given: Row, app_id: int | None, allow_private: bool) -> Row:
    """The values of a new subscription from the keys given, checked all at once (``Invalid``
    names every key refused)."""
    errors: dict[str, list[str]] = {}
    version = given.get("version")
    version = "2.0" if version in (None, "") else str(version)
    if version not in ("1.0", "2.0"):
        errors["version"] = ["must be one of 1.0, 2.0"]
        version = "2.0"
    for key in ("subscription_url", "event_action", "event_object", "name"):
        if given.get(key) in (None, ""):
            errors[key] = ["is required"]
    url = given.get("subscription_url")
    if "subscription_url" not in errors:
        problem = url_error(url, allow_private)
        if problem:
            errors["subscription_url"] = [problem]
    action, obj = given.get("event_action"), given.get("event_object")
    if "event_action" not in errors and action not in ACTIONS[version]:
        errors["event_action"] = [f"must be one of {', '.join(ACTIONS[version])}"]
    if "event_object" not in errors and obj not in OBJECTS[version]:
        errors["event_object"] = [f"must be one of {', '.join(OBJECTS[version])}"]
    name = _text(given, "name", errors)
    auth_user = _text(given, "http_auth_user", errors)
    auth_password = _text(given, "http_auth_password", errors)
    user_id = given.get("user_id")
    if user_id in (None, ""):
        user_id = unit.user_id
    else:
        user_id = _live_user_id(unit, user_id)
        if user_id is None:
            errors["user_id"] = ["user not found"]
    if errors:
        raise Invalid(errors)
    return {
        "owner_id": unit.user_id,
        "user_id": user_id,
        "name": name,
        "event_action": action,
        "event_object": obj,
        "subscription_url": url.strip(),
        "version": version,
        "type": "general" if app_id is None else "application",
        "app_id": app_id,
        "http_auth_user": auth_user,
        "http_auth_password": auth_password,
    }


def subscribe(unit: Unit, values: Row) -> Row:
    """A new subscription; at most ``MAX_PER_USER`` per user, and as many per app and user."""
    if store.count_owned(unit.conn, unit.company_id, unit.user_id, values["app_id"]) >= MAX_PER_USER:
        raise LimitReached(f"You have reached the maximum number of webhooks ({MAX_PER_USER}) per user")
    webhook_id = store.insert_webhook(unit.conn, unit.company_id, {**values, "add_time": unit.clock()})
    return store.get(unit.conn, unit.company_id, webhook_id, values["app_id"])


def visible(unit: Unit, app_id: int | None) -> list[Row]:
    """The webhooks the caller sees: all of the company's for an admin, their own otherwise;
    an app sees only those it made, and nobody else sees those."""
    owner = None if unit.user.get("is_admin") else unit.user_id
    return store.listed(unit.conn, unit.company_id, app_id, owner)


def find(unit: Unit, webhook_id: int, app_id: int | None) -> Row | None:
    return store.get(unit.conn, unit.company_id, webhook_id, app_id)


def unsubscribe(unit: Unit, row: Row) -> None:
    """Delete a subscription (its owner or an admin); what it still had to send is dropped."""
    if row["owner_id"] != unit.user_id and not unit.user.get("is_admin"):
        raise NotAllowed("Forbidden")
    store.delete_webhook(unit.conn, unit.company_id, row["id"], unit.clock())


def is_active(row: Row, now: str) -> bool:
    """Neither banned at ``now`` (the company's present: a ban is in its time) nor removed."""
    banned = row["banned_until"] is not None and row["banned_until"] > now
    return not banned and row["remove_time"] is None
