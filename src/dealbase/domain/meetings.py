"""Meetings: a user's link to an installed video call integration
(``/v1/meetings/userProviderLinks``).

The integration makes the link's id (``user_provider_id``, a UUID) when a user installs it and
saves it with the user, the company and its Marketplace client id; saving the same id again
replaces what the link says. Deleting it ends the link.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import service
from dealbase.domain.ids import parse_uuid
from dealbase.domain.roles import integer, json_object
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import repository as repo
from dealbase.store.tables import user_provider_links as links
from dealbase.store.tables import users

Row = dict[str, Any]

EVENT = "userProviderLink"
ADDED = "The user was added successfully"
REMOVED = "The user data was successfully removed"


def link_id(value: Any) -> str:
    found = parse_uuid(value)
    if found is None:
        raise BadInput("user_provider_id must be a UUID" if value is not None else "user_provider_id is required")
    return found


def parse(unit, body: Any) -> Row:
    """A link's values from a request body; the company must be the caller's and the user
    one of its active users."""
    body = json_object(body)
    for key in ("user_provider_id", "user_id", "company_id", "marketplace_client_id"):
        if body.get(key) is None:
            raise BadInput(f"{key} is required")
    values = {"user_provider_id": link_id(body["user_provider_id"])}
    if integer(body["company_id"], "company_id") != unit.company_id:
        raise NotAllowed("company_id is not the company of the caller")
    user_id = integer(body["user_id"], "user_id")
    user = repo.get(unit.conn, users, unit.company_id, user_id)
    if user is None or not user["active_flag"]:
        raise BadInput(f"User with id {user_id} not found")
    client_id = body["marketplace_client_id"]
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 64:
        raise BadInput("marketplace_client_id must be a non-empty string of at most 64 characters")
    return {**values, "user_id": user_id, "marketplace_client_id": client_id}


def find(unit, user_provider_id: str) -> Row | None:
    return repo.first(unit.conn, links, unit.company_id, links.c.user_provider_id == user_provider_id)


def save(unit, values: Row) -> None:
    stamp = unit.clock()
    old = find(unit, values["user_provider_id"])
    if old is None:
        service.insert(unit, links, {**values, "add_time": stamp, "update_time": stamp}, event=EVENT, stamp=stamp)
        return
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        service.change(unit, links, old, {**changed, "update_time": stamp}, event=EVENT, stamp=stamp)


def delete(unit, row: Row) -> None:
    service.remove(unit, links, links.c.id == row["id"], event=EVENT, rows=[row], stamp=unit.clock())
