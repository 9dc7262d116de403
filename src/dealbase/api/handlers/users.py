"""Users of the caller's company: ``/v1/users``, ``/v1/users/{id}``, ``/v1/users/me``."""

from __future__ import annotations

from typing import Any

from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.store import repository as repo
from dealbase.store.tables import users

handlers = Handlers()


def present_user(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "default_currency": row["default_currency"],
        "locale": row["locale"],
        "lang": row["lang"],
        "email": row["email"],
        "phone": row["phone"],
        "activated": True,
        "last_login": row["last_login"] or row["created"],
        "created": row["created"],
        "modified": row["modified"],
        "has_created_company": bool(row["is_admin"]),
        "access": [{"app": "sales", "admin": bool(row["is_admin"]), "permission_set_id": None}],
        "active_flag": bool(row["active_flag"]),
        "timezone_name": row["timezone_name"],
        "timezone_offset": row["timezone_offset"],
        "role_id": 1,
        "icon_url": row["icon_url"],
        "is_you": row["id"] == ctx.user_id,
        "is_deleted": not row["active_flag"],
    }


@handlers.operation("v1", "get_users")
def get_users(ctx: Ctx):
    """All users of the company."""
    rows = repo.all_rows(ctx.conn, users, ctx.company_id, order_by=[users.c.id])
    return ok([present_user(ctx, r) for r in rows])


@handlers.operation("v1", "get_user")
def get_user(ctx: Ctx):
    row = repo.get(ctx.conn, users, ctx.company_id, ctx.path_id())
    if row is None:
        raise NotFound("User not found or not accessible.")
    return ok(present_user(ctx, row))


@handlers.operation("v1", "get_current_user")
def get_current_user(ctx: Ctx):
    """The caller, with their company."""
    company = repo.get_company(ctx.conn, ctx.company_id)
    language, _, country = ctx.user["locale"].partition("_")
    data = present_user(ctx, ctx.user)
    data.update(
        company_id=company["id"],
        company_name=company["name"],
        company_domain=company["domain"],
        company_country=company["country"] or "US",
        company_industry=company["industry"],
        language={"language_code": language, "country_code": country or language.upper()},
    )
    return ok(data)
