"""OAuth 2.0 apps: their credentials, callbacks and scopes, and how codes and tokens are
granted, refreshed and revoked.

As Pipedrive's (``oauth.pipedrive.com``): the scopes are the app's registration (a
``scope`` parameter may narrow them), and ``base`` is always part of what an installed app
holds; a code lives five minutes and works once; a refresh token is returned unchanged by
each refresh and lives 60 days from its last use. Secrets, codes and tokens are random and
kept only as digests. Refusals carry Pipedrive's messages and the RFC 6749 error code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from sqlalchemy import Connection

from dealbase import clock
from dealbase.domain import company_clock
from dealbase.errors import BadInput
from dealbase.settings import Settings
from dealbase.store import oauth as store
from dealbase.store import webhooks as webhooks_store

BASE_SCOPE = "base"
Row = dict[str, Any]


class Refused(BadInput):
    """A request the authorization server refuses: Pipedrive's message and the RFC 6749
    ``code`` (``access_denied``: the user may not install the app; any other: a bad request)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def digest(secret: str) -> str:
    """How a secret, code or token is stored: high-entropy values need no salt."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    # URL-safe characters only: the Node SDK percent-encodes a token twice when revoking it.
    return secrets.token_urlsafe(48)


def looks_like_client_id(value: str) -> bool:
    """Client ids are short hex strings: anything else is unknown without a lookup."""
    return 0 < len(value) <= 64 and value.isascii() and value.isalnum()


def parse_scopes(values: Iterable[str]) -> list[str]:
    """Scopes given as separate values, comma- or space-separated, in order, once each."""
    out: list[str] = []
    for value in values:
        for scope in value.replace(",", " ").split():
            if scope not in out:
                out.append(scope)
    return out


def granted(app_scopes: str, requested: list[str] | None = None) -> str | None:
    """The scope string a grant holds (``base`` first); None when ``requested`` asks for more."""
    held = parse_scopes([app_scopes])
    if requested:
        if any(s not in held and s != BASE_SCOPE for s in requested):
            return None
        held = [s for s in held if s in requested]
    return ",".join([BASE_SCOPE, *(s for s in held if s != BASE_SCOPE)])


def valid_uri(uri: str | None) -> bool:
    """An absolute URI without a fragment, as a callback must be."""
    if not uri or not uri.isascii() or any(c.isspace() for c in uri):
        return False
    parts = urlsplit(uri)
    return bool(parts.scheme and parts.netloc) and not parts.fragment


def redirect_uris(app: dict) -> list[str]:
    return orjson.loads(app["redirect_uris"])


def with_params(uri: str, params: dict[str, str | None]) -> str:
    """``uri`` with ``params`` added to its query (those that are None left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def register_app(conn: Connection, company_id: int, name: str, uris: list[str], scopes: list[str]) -> tuple[str, str]:
    """A new app of the company; answers its client id and secret (the secret is not kept)."""
    client_id = secrets.token_hex(8)
    secret = secrets.token_hex(20)
    values = {
        "client_id": client_id,
        "secret_hash": digest(secret),
        "name": name,
        "redirect_uris": orjson.dumps(uris).decode(),
        "scopes": ",".join(scopes),
        "add_time": company_clock.now_of(conn, company_id),
    }
    store.add_app(conn, company_id, values)
    return client_id, secret


# -- authorization ---------------------------------------------------------------------


def authorization_request(conn: Connection, params: Mapping[str, str | None]) -> tuple[Row, str, str]:
    """The app an authorization request (``client_id``, ``redirect_uri``, ``scope``) is for,
    the scopes it would grant and its callback."""
    if not params["client_id"]:
        raise Refused("invalid_request", "Missing parameter: client_id")
    client_id = params["client_id"]
    app = store.app_by_client_id(conn, client_id) if looks_like_client_id(client_id) else None
    if app is None:
        raise Refused("invalid_client", "Invalid client: client is invalid")
    callback = checked_callback(params["redirect_uri"], redirect_uris(app))
    requested = parse_scopes([params["scope"]]) if params["scope"] else None
    scopes = granted(app["scopes"], requested)
    if scopes is None:
        raise Refused("invalid_scope", "Invalid scope: requested scope is invalid")
    return app, scopes, callback


def checked_callback(uri: str | None, registered: list[str]) -> str:
    if uri is None or not valid_uri(uri):
        raise Refused("invalid_request", "Invalid request: redirect_uri is not a valid URI")
    if uri not in registered:
        raise Refused("invalid_request", "Invalid request: redirect_uri is invalid")
    return uri


def approve(conn: Connection, settings: Settings, app: Row, user: Row, scopes: str, callback: str) -> str:
    """The user installs the app: a new authorization code for its callback."""
    if user["company_id"] != app["company_id"]:
        raise Refused("access_denied", "App cannot be installed for requested company")
    code = new_token()
    stamp = company_clock.now_of(conn, app["company_id"])
    values = {
        "app_id": app["id"],
        "user_id": user["id"],
        "code_hash": digest(code),
        "redirect_uri": callback,
        "scopes": scopes,
        "expires_at": clock.later(settings.oauth_code_seconds, stamp),
    }
    store.add_code(conn, app["company_id"], values, stamp)
    return code


# -- tokens ----------------------------------------------------------------------------


def client(conn: Connection, client_id: str | None, secret: str | None) -> Row:
    """The app whose credentials these are."""
    if not client_id or not secret:
        raise Refused("invalid_client", "Invalid client: cannot retrieve client credentials")
    app = store.app_by_client_id(conn, client_id) if looks_like_client_id(client_id) else None
    if app is None or not hmac.compare_digest(digest(secret), app["secret_hash"]):
        raise Refused("invalid_client", "Invalid client: client is invalid")
    return app


def tokens(conn: Connection, settings: Settings, app: Row, form: Mapping[str, str | None]) -> Row:
    """A code (``grant_type`` ``authorization_code``) or a refresh token (``refresh_token``)
    → ``access_token``, ``token_type``, ``refresh_token``, ``scope``, ``expires_in``."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise Refused("invalid_request", "Missing parameter: grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(conn, settings, app, form)
    if grant_type == "refresh_token":
        return _refresh(conn, settings, app, form)
    raise Refused("unsupported_grant_type", "Unsupported grant type: grant_type is invalid")


def _exchange_code(conn: Connection, settings: Settings, app: Row, form: Mapping[str, str | None]) -> Row:
    code = form.get("code")
    if not code:
        raise Refused("invalid_request", "Missing parameter: code")
    row = store.code_of_app(conn, app, digest(code))
    if row is None:
        raise Refused("invalid_grant", "Invalid grant: authorization_code is invalid")
    stamp = company_clock.now_of(conn, app["company_id"])
    if row["expires_at"] <= stamp:
        raise Refused("invalid_grant", "Invalid grant: authorization_code has expired")
    checked_callback(form.get("redirect_uri"), [row["redirect_uri"]])
    company_id = app["company_id"]
    if not store.use_code(conn, company_id, row["id"]):  # spent by a concurrent request
        raise Refused("invalid_grant", "Invalid grant: authorization_code is invalid")
    refresh = new_token()
    values = {
        "app_id": app["id"],
        "user_id": row["user_id"],
        "refresh_hash": digest(refresh),
        "scopes": row["scopes"],
        "expires_at": clock.later(settings.oauth_refresh_token_days * 86_400, stamp),
        "add_time": stamp,
    }
    grant_id = store.add_grant(conn, company_id, values)
    return _access(conn, settings, company_id, grant_id, row["scopes"], refresh, stamp)


def _refresh(conn: Connection, settings: Settings, app: Row, form: Mapping[str, str | None]) -> Row:
    refresh = form.get("refresh_token")
    if not refresh:
        raise Refused("invalid_request", "Missing parameter: refresh_token")
    stamp = company_clock.now_of(conn, app["company_id"])
    grant = store.live_grant(conn, app, digest(refresh), stamp)
    if grant is None:
        raise Refused("invalid_grant", "Invalid grant: refresh_token is invalid")
    company_id = app["company_id"]
    expires_at = clock.later(settings.oauth_refresh_token_days * 86_400, stamp)
    store.extend_grant(conn, company_id, grant["id"], expires_at)
    return _access(conn, settings, company_id, grant["id"], grant["scopes"], refresh, stamp)


def _access(
    conn: Connection, settings: Settings, company_id: int, grant_id: int, scopes: str, refresh: str, stamp: str
) -> Row:
    access = new_token()
    lifetime = settings.oauth_access_token_seconds
    values = {"grant_id": grant_id, "token_hash": digest(access), "expires_at": clock.later(lifetime, stamp)}
    store.add_access_token(conn, company_id, values, stamp)
    return {
        "access_token": access,
        "token_type": "Bearer",
        "refresh_token": refresh,
        "scope": scopes,
        "expires_in": lifetime,
    }


def revoke(conn: Connection, app: Row, token: str | None) -> None:
    """Revoke an access token, or a refresh token with its access tokens: the app's
    uninstall, when the webhooks the app made for that user go too. A token that is not (or
    no longer) valid is no refusal (RFC 7009)."""
    if not token:
        raise Refused("invalid_request", "Missing parameter: token")
    grant = store.revoke(conn, app, digest(token))
    if grant is not None:
        stamp = company_clock.now_of(conn, app["company_id"])
        webhooks_store.delete_app_webhooks(conn, app["company_id"], app["id"], grant["user_id"], stamp)
