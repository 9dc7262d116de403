"""Users: the company's people who own and create items, and the ones an admin adds,
deactivates and gives API tokens."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from typing import Any

import orjson

from dealbase.domain import service
from dealbase.domain.entity import Entity, Field
from dealbase.domain.registry import register
from dealbase.domain.unit import Row, Unit
from dealbase.errors import BadInput, NotAllowed
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
# The apps a user's access names (``POST /v1/users``: ``access[].app``).
APPS = ("global", "sales", "campaigns", "projects", "account_settings", "partnership")
# Admin rights in these apps make an admin of the company: its users and its data.
_ADMIN_APPS = ("global", "sales")
# Until roles (issue 13's roles part) give users a role of the company's, every user is in
# the top role, as a new Pipedrive company's users are.
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
    permission_set_id?}``, one per app, in the stored form (``admin`` false and
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
        if app not in APPS:
            raise BadInput(f"Validation failed: {where}.app: must be one of {', '.join(APPS)}")
        if any(a["app"] == app for a in out):
            raise BadInput(f"Validation failed: {where}.app: {app} is given twice")
        admin = item.get("admin", False)
        if not isinstance(admin, bool):
            raise BadInput(f"Validation failed: {where}.admin: must be a boolean")
        permission_set = item.get("permission_set_id")
        if permission_set is not None and (not isinstance(permission_set, str) or not 0 < len(permission_set) <= 64):
            raise BadInput(f"Validation failed: {where}.permission_set_id: must be a string")
        out.append({"app": app, "admin": admin, "permission_set_id": permission_set})
    return out


def access_of(row: Row) -> list[dict[str, Any]]:
    """The user's access per app: as added, else what their admin flag means."""
    if row.get("access"):
        return orjson.loads(row["access"])
    return [{"app": "sales", "admin": bool(row["is_admin"]), "permission_set_id": None}]


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
        is_admin = any(a["admin"] for a in access if a["app"] in _ADMIN_APPS)
    stamp = unit.clock()
    values = {
        "name": name or email,
        "email": email,
        "is_admin": is_admin,
        "active_flag": active,
        "access": None if access is None else orjson.dumps(access).decode(),
        "default_currency": unit.user.get("default_currency") or "USD",
        "created": stamp,
        "modified": stamp,
    }
    user_id = service.insert(unit, table, values, event="user", stamp=stamp)
    token = new_token()
    repo_users.replace_api_tokens(unit.conn, unit.company_id, user_id, token, stamp)
    repo_users.bump_version(unit.conn, unit.company_id)
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
    return {**row, **changed}


def regenerate_token(unit: Unit, row: Row) -> str:
    """A new API token for the user; the old one stops working on the next request."""
    token = new_token()
    repo_users.replace_api_tokens(unit.conn, unit.company_id, row["id"], token, unit.clock())
    repo_users.bump_version(unit.conn, unit.company_id)
    return token
