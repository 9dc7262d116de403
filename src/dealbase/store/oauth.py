"""The OAuth 2.0 server's SQL: apps, codes, grants and access tokens.

Client ids, codes and tokens are looked up by themselves (their hash), as API tokens are:
they name their company. Everything found that way is then read and changed within that
company only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, delete, select

from dealbase.store.repository import Prepared, Row, delete_rows, first, insert_row, update_row
from dealbase.store.tables import oauth_access_tokens, oauth_apps, oauth_codes, oauth_grants, users

# The caller of an access token: the user, the token's id, its expiry, its app and scopes.
_CALLER = Prepared(
    select(
        users,
        oauth_access_tokens.c.id.label("oauth_token_id"),
        oauth_access_tokens.c.expires_at.label("oauth_expires_at"),
        oauth_grants.c.app_id.label("oauth_app_id"),
        oauth_grants.c.scopes.label("oauth_scopes"),
    )
    .select_from(oauth_access_tokens)
    .join(oauth_grants, oauth_grants.c.id == oauth_access_tokens.c.grant_id)
    .join(users, users.c.id == oauth_grants.c.user_id)
    .where(
        oauth_access_tokens.c.token_hash == bindparam("token_hash"),
        users.c.active_flag.is_(True),
    )
)


def caller(conn: Connection, token_hash: str) -> Row | None:
    """The active user of an access token, with ``oauth_token_id``, ``oauth_expires_at`` (its
    company's clock decides whether it has expired), ``oauth_app_id``, ``oauth_scopes``."""
    rows = _CALLER.rows(conn, {"token_hash": token_hash})
    return rows[0] if rows else None


def add_app(conn: Connection, company_id: int, values: dict[str, Any]) -> int:
    return insert_row(conn, oauth_apps, company_id, values)


def app_by_client_id(conn: Connection, client_id: str) -> Row | None:
    row = conn.execute(select(oauth_apps).where(oauth_apps.c.client_id == client_id)).mappings().first()
    return dict(row) if row is not None else None


def add_code(conn: Connection, company_id: int, values: dict[str, Any], now: str) -> int:
    """A new authorization code; the company's expired ones go at the same time."""
    delete_rows(conn, oauth_codes, company_id, oauth_codes.c.expires_at <= now)
    return insert_row(conn, oauth_codes, company_id, values)


def code_of_app(conn: Connection, app: Row, code_hash: str) -> Row | None:
    where = (oauth_codes.c.code_hash == code_hash, oauth_codes.c.app_id == app["id"])
    return first(conn, oauth_codes, app["company_id"], *where)


def use_code(conn: Connection, company_id: int, code_id: int) -> bool:
    """Spend a code: True for the one request that removes it, so a code works once."""
    stmt = delete(oauth_codes).where(oauth_codes.c.id == code_id, oauth_codes.c.company_id == company_id)
    return conn.execute(stmt).rowcount == 1


def add_grant(conn: Connection, company_id: int, values: dict[str, Any]) -> int:
    return insert_row(conn, oauth_grants, company_id, values)


def live_grant(conn: Connection, app: Row, refresh_hash: str, now: str) -> Row | None:
    where = (
        oauth_grants.c.refresh_hash == refresh_hash,
        oauth_grants.c.app_id == app["id"],
        oauth_grants.c.expires_at > now,
    )
    return first(conn, oauth_grants, app["company_id"], *where)


def extend_grant(conn: Connection, company_id: int, grant_id: int, expires_at: str) -> None:
    update_row(conn, oauth_grants, company_id, grant_id, {"expires_at": expires_at})


def add_access_token(conn: Connection, company_id: int, values: dict[str, Any], now: str) -> int:
    """A new access token of a grant; the grant's expired ones go at the same time."""
    expired = (oauth_access_tokens.c.grant_id == values["grant_id"], oauth_access_tokens.c.expires_at <= now)
    delete_rows(conn, oauth_access_tokens, company_id, *expired)
    return insert_row(conn, oauth_access_tokens, company_id, values)


def revoke(conn: Connection, app: Row, token_hash: str) -> Row | None:
    """Remove an access token, or a grant (the refresh token) with all its access tokens.

    Only the app's own tokens; answers the grant when one was removed (the app's uninstall).
    """
    company_id = app["company_id"]
    grants = select(oauth_grants.c.id).where(
        oauth_grants.c.app_id == app["id"], oauth_grants.c.company_id == company_id
    )
    tokens = oauth_access_tokens.c
    stmt = delete(oauth_access_tokens).where(
        tokens.token_hash == token_hash, tokens.company_id == company_id, tokens.grant_id.in_(grants)
    )
    if conn.execute(stmt).rowcount:
        return None
    grant = first(
        conn, oauth_grants, company_id, oauth_grants.c.refresh_hash == token_hash, oauth_grants.c.app_id == app["id"]
    )
    if grant is None:
        return None
    delete_rows(conn, oauth_access_tokens, company_id, tokens.grant_id == grant["id"])
    delete_rows(conn, oauth_grants, company_id, oauth_grants.c.id == grant["id"])
    return grant


def client_id_of(conn: Connection, app_id: int) -> str | None:
    """An app's client id (an app of any company: one app serves every company it is installed in)."""
    return conn.execute(select(oauth_apps.c.client_id).where(oauth_apps.c.id == app_id)).scalar_one_or_none()
