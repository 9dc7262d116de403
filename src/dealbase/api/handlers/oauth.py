"""The OAuth 2.0 authorization server's HTTP side: the consent page and its answer, the token
and revocation endpoints (their forms and Basic auth). The grants themselves, and their
refusals, are ``domain/oauth.py``'s; a refusal answers with Pipedrive's message and the
OAuth error code for RFC 6749 clients.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from functools import wraps
from typing import Any

import orjson

from dealbase.api import consent
from dealbase.api.auth import api_token_user
from dealbase.api.context import Ctx
from dealbase.api.errors import ApiError, Unauthorized
from dealbase.api.responses import Reply
from dealbase.api.router import Handlers
from dealbase.domain import oauth
from dealbase.store import repository as repo

handlers = Handlers()

_FORM = "application/x-www-form-urlencoded"
_NO_STORE = [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
_REQUEST = ("client_id", "redirect_uri", "state", "scope")


class OAuthError(ApiError):
    """An OAuth server error: Pipedrive's message, and the RFC 6749 code beside it."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message, status)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"success": False, "message": self.error, "error": self.code, "error_description": self.error}


def _answering_refusals(handler: Callable[[Ctx], Reply]) -> Callable[[Ctx], Reply]:
    """The domain's refusals in the OAuth error body (a user who may not install: 403)."""

    @wraps(handler)
    def answer(ctx: Ctx) -> Reply:
        try:
            return handler(ctx)
        except oauth.Refused as err:
            raise OAuthError(err.code, err.message, 403 if err.code == "access_denied" else 400) from err

    return answer


@handlers.operation("oauth", "authorize", public=True)
def authorize(ctx: Ctx) -> Reply:
    """The consent page: the app, its scopes, and a form to allow or cancel."""
    params = {name: _value(ctx.query, name) for name in _REQUEST}
    try:
        app, scopes, _callback = oauth.authorization_request(ctx.conn, params)
    except oauth.Refused as err:
        return _html(consent.error_page(err.message), 400)
    company = repo.get_company(ctx.conn, app["company_id"])
    return _html(consent.page(app, company["name"], scopes, params), 200)


@handlers.operation("oauth", "approve_authorization", write=True, public=True)
@_answering_refusals
def approve_authorization(ctx: Ctx) -> Reply:
    """The consent form's answer: a redirect to the app's callback with a code, or the refusal.

    The approving user proves who they are with their API token, in ``x-api-token`` (for
    headless clients) or the form's ``api_token`` field (the consent page).
    """
    body = _form(ctx)
    params = {name: _value(body, name) for name in _REQUEST}
    app, scopes, callback = oauth.authorization_request(ctx.conn, params)
    if _value(body, "decision") in ("deny", "cancel"):
        return _redirect(oauth.with_params(callback, {"error": "user_denied", "state": params["state"]}))
    headers = ctx.extra.get("headers", {})
    token = headers.get("x-api-token") or _value(body, "api_token") or _value(ctx.query, "api_token")
    user = api_token_user(ctx.conn, token)
    if user is None:
        raise Unauthorized()
    code = oauth.approve(ctx.conn, ctx.settings, app, user, scopes, callback)
    return _redirect(oauth.with_params(callback, {"code": code, "state": params["state"]}))


@handlers.operation("oauth", "get_tokens", "refresh_tokens", write=True, public=True)
@_answering_refusals
def get_tokens(ctx: Ctx) -> Reply:
    """A code or a refresh token → an access token (and the refresh token)."""
    body = _form(ctx)
    app = _client(ctx, body)
    form = {name: _value(body, name) for name in ("grant_type", "code", "redirect_uri", "refresh_token")}
    answer = {**oauth.tokens(ctx.conn, ctx.settings, app, form), "api_domain": ctx.settings.base_url}
    return Reply(200, orjson.dumps(answer), list(_NO_STORE))


@handlers.operation("oauth", "revoke_token", write=True, public=True)
@_answering_refusals
def revoke_token(ctx: Ctx) -> Reply:
    """Revoke an access token, or a refresh token with its access tokens (the app's uninstall)."""
    body = _form(ctx)
    oauth.revoke(ctx.conn, _client(ctx, body), _value(body, "token"))
    return Reply(200, orjson.dumps({"success": True}), list(_NO_STORE))


def _form(ctx: Ctx) -> dict[str, Any]:
    content_type = ctx.extra.get("headers", {}).get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != _FORM or ctx.body is None:
        raise OAuthError("invalid_request", f"Invalid request: content must be {_FORM}")
    return ctx.body


def _client(ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    """The app whose credentials came in Basic auth (or the form)."""
    client_id, secret = _value(body, "client_id"), _value(body, "client_secret")
    header = ctx.extra.get("headers", {}).get("authorization", "")
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        client_id, _, secret = decoded.partition(":")
    return oauth.client(ctx.conn, client_id, secret)


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
