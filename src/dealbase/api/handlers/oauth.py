"""The OAuth 2.0 authorization server: consent, code exchange, refresh, revocation.

As Pipedrive's (``oauth.pipedrive.com``): the scopes are the app's registration (a
``scope`` parameter may narrow them), a code lives five minutes and works once, a refresh
token is returned unchanged by each refresh and lives 60 days from its last use. Token
requests are forms, with the client's credentials in Basic auth (or in the form); their
errors carry Pipedrive's messages, and the OAuth error code for RFC 6749 clients.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import Any

import orjson

from dealbase import clock
from dealbase.api import consent
from dealbase.api.auth import api_token_user
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, Unauthorized
from dealbase.api.responses import Reply
from dealbase.api.router import Handlers
from dealbase.domain import oauth
from dealbase.store import oauth as store
from dealbase.store import repository as repo
from dealbase.store import webhooks as webhooks_store

handlers = Handlers()

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]


class OAuthError(ApiError):
    """An OAuth server error: Pipedrive's message, and the RFC 6749 code beside it."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message, status)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"success": False, "message": self.error, "error": self.code, "error_description": self.error}


# ------------------------------------------------------------------ consent


@handlers.operation("oauth", "authorize", public=True)
def authorize(ctx: Ctx) -> Reply:
    """The consent page: the app, its scopes, and a form to allow or cancel."""
    params = {name: _value(ctx.query, name) for name in ("client_id", "redirect_uri", "state", "scope")}
    try:
        app, scopes, _callback = _checked_request(ctx, params)
    except OAuthError as err:
        return _html(consent.error_page(err.error), err.status)
    company = repo.get_company(ctx.conn, app["company_id"])
    return _html(consent.page(app, company["name"], scopes, params), 200)


@handlers.operation("oauth", "approve_authorization", write=True, public=True)
def approve_authorization(ctx: Ctx) -> Reply:
    """The consent form's answer: a redirect to the app's callback with a code, or the refusal.

    The approving user proves who they are with their API token, in ``x-api-token`` (for
    headless clients) or the form's ``api_token`` field (the consent page).
    """
    body = _form(ctx)
    params = {name: _value(body, name) for name in ("client_id", "redirect_uri", "state", "scope")}
    app, scopes, callback = _checked_request(ctx, params)
    if _value(body, "decision") in ("deny", "cancel"):
        return _redirect(oauth.with_params(callback, {"error": "user_denied", "state": params["state"]}))
    headers = ctx.extra.get("headers", {})
    token = headers.get("x-api-token") or _value(body, "api_token") or _value(ctx.query, "api_token")
    user = api_token_user(ctx.conn, token)
    if user is None:
        raise Unauthorized()
    if user["company_id"] != app["company_id"]:
        raise OAuthError("access_denied", "App cannot be installed for requested company", 403)
    code = oauth.new_token()
    stamp = clock.now()
    values = {
        "app_id": app["id"],
        "user_id": user["id"],
        "code_hash": oauth.digest(code),
        "redirect_uri": callback,
        "scopes": scopes,
        "expires_at": clock.later(ctx.settings.oauth_code_seconds, stamp),
    }
    store.add_code(ctx.conn, app["company_id"], values, stamp)
    return _redirect(oauth.with_params(callback, {"code": code, "state": params["state"]}))


def _checked_request(ctx: Ctx, params: dict[str, str | None]) -> tuple[dict[str, Any], str, str]:
    """The app of an authorization request, the scopes it would grant and its callback, or an OAuthError."""
    if not params["client_id"]:
        raise OAuthError("invalid_request", "Missing parameter: client_id")
    app = (
        store.app_by_client_id(ctx.conn, params["client_id"])
        if oauth.looks_like_client_id(params["client_id"])
        else None
    )
    if app is None:
        raise OAuthError("invalid_client", "Invalid client: client is invalid")
    callback = _check_callback(params["redirect_uri"], oauth.redirect_uris(app))
    requested = oauth.parse_scopes([params["scope"]]) if params["scope"] else None
    scopes = oauth.granted(app["scopes"], requested)
    if scopes is None:
        raise OAuthError("invalid_scope", "Invalid scope: requested scope is invalid")
    return app, scopes, callback


def _check_callback(uri: str | None, registered: list[str]) -> str:
    if uri is None or not oauth.valid_uri(uri):
        raise OAuthError("invalid_request", "Invalid request: redirect_uri is not a valid URI")
    if uri not in registered:
        raise OAuthError("invalid_request", "Invalid request: redirect_uri is invalid")
    return uri


# ------------------------------------------------------------------- tokens


@handlers.operation("oauth", "get_tokens", "refresh_tokens", write=True, public=True)
def get_tokens(ctx: Ctx) -> Reply:
    """A code or a refresh token → an access token (and the refresh token)."""
    body = _form(ctx)
    app = _client(ctx, body)
    grant_type = _value(body, "grant_type")
    if not grant_type:
        raise OAuthError("invalid_request", "Missing parameter: grant_type")
    if grant_type == "authorization_code":
        return _exchange_code(ctx, app, body)
    if grant_type == "refresh_token":
        return _refresh(ctx, app, body)
    raise OAuthError("unsupported_grant_type", "Unsupported grant type: grant_type is invalid")


def _exchange_code(ctx: Ctx, app: dict[str, Any], body: dict[str, Any]) -> Reply:
    code = _value(body, "code")
    if not code:
        raise OAuthError("invalid_request", "Missing parameter: code")
    row = store.code_of_app(ctx.conn, app, oauth.digest(code))
    if row is None:
        raise OAuthError("invalid_grant", "Invalid grant: authorization_code is invalid")
    stamp = clock.now()
    if row["expires_at"] <= stamp:
        raise OAuthError("invalid_grant", "Invalid grant: authorization_code has expired")
    _check_callback(_value(body, "redirect_uri"), [row["redirect_uri"]])
    company_id = app["company_id"]
    if not store.use_code(ctx.conn, company_id, row["id"]):  # spent by a concurrent request
        raise OAuthError("invalid_grant", "Invalid grant: authorization_code is invalid")
    refresh = oauth.new_token()
    values = {
        "app_id": app["id"],
        "user_id": row["user_id"],
        "refresh_hash": oauth.digest(refresh),
        "scopes": row["scopes"],
        "expires_at": clock.later(ctx.settings.oauth_refresh_token_days * 86_400, stamp),
        "add_time": stamp,
    }
    grant_id = store.add_grant(ctx.conn, company_id, values)
    return _tokens(ctx, company_id, grant_id, row["scopes"], refresh, stamp)


def _refresh(ctx: Ctx, app: dict[str, Any], body: dict[str, Any]) -> Reply:
    refresh = _value(body, "refresh_token")
    if not refresh:
        raise OAuthError("invalid_request", "Missing parameter: refresh_token")
    stamp = clock.now()
    grant = store.live_grant(ctx.conn, app, oauth.digest(refresh), stamp)
    if grant is None:
        raise OAuthError("invalid_grant", "Invalid grant: refresh_token is invalid")
    company_id = app["company_id"]
    expires_at = clock.later(ctx.settings.oauth_refresh_token_days * 86_400, stamp)
    store.extend_grant(ctx.conn, company_id, grant["id"], expires_at)
    return _tokens(ctx, company_id, grant["id"], grant["scopes"], refresh, stamp)


def _tokens(ctx: Ctx, company_id: int, grant_id: int, scopes: str, refresh: str, stamp: str) -> Reply:
    access = oauth.new_token()
    lifetime = ctx.settings.oauth_access_token_seconds
    values = {"grant_id": grant_id, "token_hash": oauth.digest(access), "expires_at": clock.later(lifetime, stamp)}
    store.add_access_token(ctx.conn, company_id, values, stamp)
    answer = {
        "access_token": access,
        "token_type": "Bearer",
        "refresh_token": refresh,
        "scope": scopes,
        "expires_in": lifetime,
        "api_domain": ctx.settings.base_url,
    }
    return Reply(200, orjson.dumps(answer), list(_NO_STORE))


@handlers.operation("oauth", "revoke_token", write=True, public=True)
def revoke_token(ctx: Ctx) -> Reply:
    """Revoke an access token, or a refresh token with its access tokens (the app's uninstall).

    Answers 200 for a token that is not (or no longer) valid, as RFC 7009 asks.
    """
    body = _form(ctx)
    app = _client(ctx, body)
    token = _value(body, "token")
    if not token:
        raise OAuthError("invalid_request", "Missing parameter: token")
    grant = store.revoke(ctx.conn, app, oauth.digest(token))
    if grant is not None:  # uninstalled: the webhooks the app made for that user go too
        webhooks_store.delete_app_webhooks(ctx.conn, app["company_id"], app["id"], grant["user_id"], clock.now())
    return Reply(200, orjson.dumps({"success": True}), list(_NO_STORE))


# ---------------------------------------------------------------- helpers


def _form(ctx: Ctx) -> dict[str, Any]:
    content_type = ctx.extra.get("headers", {}).get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != _FORM or ctx.body is None:
        raise OAuthError("invalid_request", f"Invalid request: content must be {_FORM}")
    return ctx.body


def _client(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """The app whose credentials came in Basic auth (or the form), else an OAuthError."""
    client_id, secret = _value(body, "client_id"), _value(body, "client_secret")
    header = ctx.extra.get("headers", {}).get("authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
    if not client_id or not secret:
        raise OAuthError("invalid_client", "Invalid client: cannot retrieve client credentials")
    app = store.app_by_client_id(ctx.conn, client_id) if oauth.looks_like_client_id(client_id) else None
    if app is None or not hmac.compare_digest(oauth.digest(secret), app["secret_hash"]):
        raise OAuthError("invalid_client", "Invalid client: client is invalid")
    return app


def _value(source: dict[str, Any], name: str) -> str | None:
    """One value of a form or query field (the last when repeated)."""
    value = source.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value if isinstance(value, str) else None


def _redirect(location: str) -> Reply:
    return Reply(302, b"", [(b"location", location.encode()), *_NO_STORE], b"text/plain")


def _html(page: str, status: int) -> Reply:
    return Reply(status, page.encode(), [(b"x-frame-options", b"DENY"), *_NO_STORE], b"text/html; charset=utf-8")
