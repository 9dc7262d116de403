"""Users of the caller's company: ``/v1/users`` (list, add, find), ``/v1/users/{id}`` (get,
activate / deactivate), ``/v1/users/me``, and the caller's ``/v1/userSettings`` and
``/v1/userConnections``."""

from __future__ import annotations

from typing import Any

from dealbase.api.context import Ctx
from dealbase.api.errors import BadRequest, NotFound
from dealbase.api.inputs import coerce
from dealbase.api.paging import V1_LIMIT
from dealbase.api.responses import ok
from dealbase.api.router import Handlers
from dealbase.domain import permissions, roles
from dealbase.domain import users as domain
from dealbase.domain.entity import Field
from dealbase.store import repository as repo
from dealbase.store import users as users_store
from dealbase.store.tables import users

handlers = Handlers()

_ACTIVE = Field("active_flag", "bool")
_NAME = Field("name", "str")
NOT_FOUND = "User not found or not accessible."


def present_user(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return present_users(ctx, [row])[0]


def present_users(ctx: Ctx, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Users as ``/v1/users`` shows them, their access and roles read once for all."""
    access = permissions.access_of(ctx, rows)
    role_ids = roles.role_ids(ctx, [r["id"] for r in rows])
    founder = _founder_id(ctx)
    return [
        {
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
            # Pipedrive's users always have one (its examples: the last login at the latest); a
            # user never changed here was last modified when made. ETL reads it as the cursor of
            # incremental user syncs (Airbyte's Pipedrive source warns on a record without it).
            "modified": row["modified"] or row["created"],
            "has_created_company": row["id"] == founder,
            "access": access[row["id"]],
            "active_flag": bool(row["active_flag"]),
            "timezone_name": row["timezone_name"],
            "timezone_offset": row["timezone_offset"],
            "role_id": role_ids.get(row["id"], domain.DEFAULT_ROLE_ID),
            "icon_url": row["icon_url"],
            "is_you": row["id"] == ctx.user_id,
            "is_deleted": not row["active_flag"],
        }
        for row in rows
    ]


def _founder_id(ctx: Ctx) -> int | None:
    """Who made the company (read once per request)."""
    if "founder_id" not in ctx.cache:
        ctx.cache["founder_id"] = users_store.founder_id(ctx.conn, ctx.company_id)
    return ctx.cache["founder_id"]


def _body(ctx: Ctx) -> dict[str, Any]:
    if not isinstance(ctx.body, dict):
        raise BadRequest("The request body must be a JSON object")
    return ctx.body


def _load(ctx: Ctx) -> dict[str, Any]:
    row = repo.get(ctx.conn, users, ctx.company_id, ctx.path_id())
    if row is None:
        raise NotFound(NOT_FOUND)
    return row


@handlers.operation("v1", "get_users")
def get_users(ctx: Ctx):
    """All users of the company."""
    rows = repo.all_rows(ctx.conn, users, ctx.company_id, order_by=[users.c.id])
    return ok(present_users(ctx, rows))


@handlers.operation("v1", "get_user")
def get_user(ctx: Ctx):
    return ok(present_user(ctx, _load(ctx)))


@handlers.operation("v1", "add_user", write=True)
def add_user(ctx: Ctx):
    """A new user with an API token of their own (admins only)."""
    domain.require_admin(ctx)
    body = _body(ctx)
    email = domain.read_email(body.get("email"))
    access = None if body.get("access") is None else domain.read_access(body["access"])
    active = True if body.get("active_flag") is None else coerce(_ACTIVE, "active_flag", body["active_flag"], False)
    # ``name`` is not in the current spec; older clients still send it
    name = None if body.get("name") in (None, "") else coerce(_NAME, "name", body["name"], False)
    row, _token = domain.add(ctx, email, name=name, access=access, active=active)
    return ok(present_user(ctx, row))


@handlers.operation("v1", "update_user", write=True)
def update_user(ctx: Ctx):
    """Activate or deactivate a user (admins only; ``active_flag`` is all the spec lets
    change)."""
    domain.require_admin(ctx)
    row = _load(ctx)
    body = _body(ctx)
    if body.get("active_flag") is None:
        raise BadRequest("Validation failed: active_flag: is required")
    active = coerce(_ACTIVE, "active_flag", body["active_flag"], False)
    return ok(present_user(ctx, domain.set_active(ctx, row, active)))


@handlers.operation("v1", "find_users_by_name")
def find_users_by_name(ctx: Ctx):
    """Users whose name or e-mail address holds ``term`` (only the address with
    ``search_by_email=1``)."""
    term = (ctx.raw("term") or "").strip()
    if not term:
        raise BadRequest("Validation failed: term: is required")
    by_email = ctx.bool_param("search_by_email", False)
    rows = users_store.find(ctx.conn, ctx.company_id, term, bool(by_email))
    return ok(present_users(ctx, rows))


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


@handlers.operation("v1", "get_user_settings")
def get_user_settings(ctx: Ctx):
    """The caller's settings, as this server behaves: it has no Marketplace team, beta app,
    phone integration or automatic close dates; uploads stay in its own store."""
    return ok(
        {
            "marketplace_team": False,
            "list_limit": V1_LIMIT,
            "beta_app": False,
            "prevent_salesphone_callto_override": False,
            "file_upload_destination": "local",
            "callto_link_syntax": "callto:[number]",
            "autofill_deal_expected_close_date": False,
            "person_duplicate_condition": "name && (org_id || email || phone)",
        }
    )


@handlers.operation("v1", "get_user_connections")
def get_user_connections(ctx: Ctx):
    """The caller's connected third-party accounts: this server connects none. The spec's
    text says an unconnected account is ``false``, its schema a string; null says the same
    and holds to the schema."""
    return ok({"google": None})
