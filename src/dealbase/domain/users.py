"""Users: the company's people who own and create items, and the ones an admin adds,
deactivates and gives API tokens."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

from dealbase.domain import company_clock, permissions, service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.domain.unit import Row, Unit
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import companies
from dealbase.store import repository as repo
from dealbase.store import users as repo_users
from dealbase.store.tables import users as table


def compact_one(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "email": row["email"],
        "has_pic": 1 if row["icon_url"] else 0,
        "pic_hash": None,
        "active_flag": bool(row["active_flag"]),
    }


def compact(_ctx, rows: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {row["id"]: compact_one(row) for row in rows}


USER = register(
    Entity(
        name="user",
        plural="users",
        label="User",
        table=table,
        fields=[Field("id", "int", writable=False), Field("name", "str"), Field("email", "str")],
        v1_related=compact,
    )
)


def permitted_user_ids(ctx, item: dict[str, Any], also: Iterable[int] = ()) -> list[int]:
    """Who may see an item (``permittedUsers``): every active user, or with ``visible_to`` 1
    its owner, the users in ``also`` (e.g. its followers) and the admins."""
    active = repo.all_rows(ctx.conn, table, ctx.company_id, table.c.active_flag.is_(True), order_by=[table.c.id])
    if item["visible_to"] != 1:
        return [u["id"] for u in active]
    allowed = {item["owner_id"], *also}
    return [u["id"] for u in active if u["id"] in allowed or u["is_admin"]]


# -- the users an admin adds, deactivates and gives tokens --------------------------------

NOT_ALLOWED = "You do not have permissions to do this."
# Admin rights in these apps make an admin of the company: its users and its data.
_ADMIN_APPS = ("global", "sales")
# The role ``/v1/users`` shows for a user in no role: the company's default role, which has
# no row of its own here (``domain/roles.py``); the official examples show it as 1.
DEFAULT_ROLE_ID = 1
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def new_token() -> str:
    """A new API token: 40 lowercase hex characters, like Pipedrive's."""
    return secrets.token_hex(20)


def require_admin(unit: Unit) -> None:
    """Refuse a caller who is not an admin of the company."""
    if not unit.user.get("is_admin"):
        raise NotAllowed(NOT_ALLOWED)


def read_email(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadInput("Validation failed: email: is required")
    email = value.strip()
    if len(email) > 255 or not _EMAIL.fullmatch(email):
        raise BadInput("Validation failed: email: must be an e-mail address")
    return email


def read_access(value: Any) -> list[dict[str, Any]]:
    """``access`` as given to ``POST /v1/users``: a list of ``{app, admin?,
    permission_set_id?}``, one per app (the apps that have permission sets), each set named
    one of its app's; in the form ``permissions.assign`` takes (``admin`` false and
    ``permission_set_id`` null where not given)."""
    if not isinstance(value, list) or not value:
        raise BadInput("Validation failed: access: must be a non-empty array")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        where = f"access[{i}]"
        if not isinstance(item, dict):
            raise BadInput(f"Validation failed: {where}: must be an object")
        unknown = sorted(set(item) - {"app", "admin", "permission_set_id"})
        if unknown:
            raise BadInput(f"Validation failed: {where}: unknown key {unknown[0]}")
        app = item.get("app")
        if app not in permissions.APPS:
            raise BadInput(f"Validation failed: {where}.app: must be one of {', '.join(permissions.APPS)}")
        if any(a["app"] == app for a in out):
            raise BadInput(f"Validation failed: {where}.app: {app} is given twice")
        admin = item.get("admin", False)
        if not isinstance(admin, bool):
            raise BadInput(f"Validation failed: {where}.admin: must be a boolean")
        set_id = item.get("permission_set_id")
        if set_id is not None:
            if not isinstance(set_id, str):
                raise BadInput(f"Validation failed: {where}.permission_set_id: must be a string")
            found = permissions.BY_ID.get(set_id)
            if found is None or found.app != app:
                raise BadInput(f"Validation failed: {where}.permission_set_id: no permission set {set_id} in {app}")
        elif not admin and app not in permissions.REGULAR_SET:
            # an app whose one set is its admin set (projects, campaigns, account settings):
            # giving the app gives that set
            admin = True
        out.append({"app": app, "admin": admin, "permission_set_id": set_id})
    return out


def _admin_by(access: list[dict[str, Any]]) -> bool:
    """Whether ``access`` (as ``read_access`` gives it) makes an admin of the company."""
    for item in access:
        named = permissions.BY_ID.get(item["permission_set_id"] or "")
        if item["app"] in _ADMIN_APPS and (item["admin"] or (named is not None and named.type == "admin")):
            return True
    return False


def add(
    unit: Unit,
    email: str,
    *,
    name: str | None = None,
    access: list[dict[str, Any]] | None = None,
    is_admin: bool = False,
    active: bool = True,
) -> tuple[Row, str]:
    """A new user of the company (with their create event) and their API token; the row
    and the token. ``email`` as ``read_email`` gives it; a name not given is the address,
    as Pipedrive shows an invited user until they name themselves; ``access`` as
    ``read_access`` gives it decides ``is_admin``."""
    if repo_users.by_email(unit.conn, unit.company_id, email) is not None:
        raise BadInput(f"A user with the e-mail address {email} already exists")
    if access is not None:
        is_admin = _admin_by(access)
    stamp = unit.clock()
    values = {
        "name": name or email,
        "email": email,
        "is_admin": is_admin,
        "active_flag": active,
        "default_currency": unit.user.get("default_currency") or "USD",
        "created": stamp,
        "modified": stamp,
    }
    user_id = service.insert(unit, table, values, event="user", stamp=stamp)
    for item in access or ():  # an admin holds every admin set whatever these say
        permissions.assign(unit, user_id, item["app"], permission_set_id=item["permission_set_id"], admin=item["admin"])
    token = new_token()
    repo_users.replace_api_tokens(unit.conn, unit.company_id, user_id, token, stamp)
    repo_users.bump_version(unit.conn, unit.company_id)
    if active:
        _seat_everyone(unit)
    row = repo.get(unit.conn, table, unit.company_id, user_id)
    assert row is not None
    return row, token


def set_active(unit: Unit, row: Row, active: bool) -> Row:
    """Activate or deactivate a user: a deactivated one's API token and OAuth access tokens
    stop working on the next request (their items stay theirs)."""
    if not active and row["id"] == unit.user.get("id"):
        raise BadInput("You cannot deactivate yourself")
    if bool(row["active_flag"]) == active:
        return row
    changed = {"active_flag": active, "modified": unit.clock()}
    service.change(unit, table, row, changed, event="user", stamp=changed["modified"])
    repo_users.bump_version(unit.conn, unit.company_id)
    if active:
        _seat_everyone(unit)
    return {**row, **changed}


def _seat_everyone(unit: Unit) -> None:
    """Pipedrive bills a seat more rather than refusing a user: the company's seats (and with
    them its daily token budget) rise to at least its active users."""
    if companies.seat_at_least(unit.conn, unit.company_id, repo_users.active_count(unit.conn, unit.company_id)):
        # this process's copy of the company's plan and seats; other processes' within
        # ``company_clock.TTL_SECONDS``
        company_clock.forget(unit.shared, unit.company_id)


def regenerate_token(unit: Unit, row: Row) -> str:
    """A new API token for the user; the old one stops working on the next request."""
    token = new_token()
    repo_users.replace_api_tokens(unit.conn, unit.company_id, row["id"], token, unit.clock())
    repo_users.bump_version(unit.conn, unit.company_id)
    return token
