"""Who is calling, and what they may do.

An API token (``x-api-token`` header, or the legacy ``api_token`` query parameter) carries
its user's full rights. An OAuth access token (``Authorization: Bearer``) carries the
scopes of its grant: an operation is allowed when the token holds any one of the scopes
the specs list for it (``api/operation_policy.py``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Connection

from dealbase.api.errors import GatewayError, ScopeMismatch, Unauthorized
from dealbase.api.operation_policy import POLICY
from dealbase.clock import now
from dealbase.domain import company_clock, permissions
from dealbase.domain.oauth import digest
from dealbase.store import companies, web_sessions
from dealbase.store import oauth as oauth_store
from dealbase.store import users as users_store

_MAX_CACHED = 10_000


class Credential(NamedTuple):
    """What authenticated a request; ``ctx.extra["credential"]``.

    ``("token", user id)``: an API token (one per user), full rights, ``scopes`` None.
    ``("oauth", access token id, app id, scopes)``: an OAuth access token.
    ``("session", user id)``: a web app session (``web/``), full rights like an API token.
    """

    kind: str
    id: int
    app_id: int | None = None
    scopes: frozenset[str] | None = None


class Caller(NamedTuple):
    user: dict[str, Any]
    credential: Credential


def api_token_user(conn: Connection, token: str | None) -> dict[str, Any] | None:
    """The active user of an API token, or None."""
    read = _token_read(conn, token)
    return None if read is None else read[1]


def _token_read(conn: Connection, token: str | None) -> tuple[int, dict[str, Any]] | None:
    """The company's users version and the active user of an API token, read together."""
    if not token or len(token) > 128 or "\x00" in token:  # PostgreSQL text cannot hold NUL
        return None
    user = companies.api_token_user(conn, token)
    if user is None:
        return None
    return user.pop("users_version"), user


def check_scopes(credential: Credential, api: str, method: str, path: str) -> None:
    """403 unless the credential may call the operation ``(api, method, path)``."""
    if credential.scopes is None:
        return
    allowed = POLICY.get((api, method, path), (0, ()))[1]
    if credential.scopes.isdisjoint(allowed):
        raise ScopeMismatch()


def check_permission(ctx: Any, operation: str) -> None:
    """403 unless the caller's permission sets allow the operation with its body
    (``domain/permissions.py``); for an operation no permission governs, a dict lookup."""
    if operation in permissions.ANY_GOVERNED and not ctx.user.get("is_admin"):
        wanted = permissions.needed(operation, ctx.body)
        if wanted:
            permissions.check(ctx, ctx.user, wanted)


class Authenticator:
    """Credentials → caller. API tokens are remembered per server process, each with the
    users version of its company (``companies.users_version``) when it was read.

    Every write to a company's users or API tokens bumps that version (``domain/users.py``),
    so a deactivated user, a replaced token or a changed admin flag holds on the very next
    request, in every process sharing the database. A write checks the version before it
    runs (``__call__``: one primary-key read). A read runs for the remembered caller
    (``remembered``) and is checked at its end, before anything is answered (``holds``),
    against the version its own statements read with the fields version
    (``domain/field_defs.py``), or one read then when they read none; when it moved, the
    app runs the request again, authenticated afresh. Access tokens are read on every
    request, so that expiry, revocation and deactivation hold at once too.
    """

    def __init__(self, shared: dict[Any, Any] | None = None) -> None:
        self._cache: dict[str, tuple[int, Caller]] = {}
        # the process's caches (the app's ``shared``): companies' clocks
        self.shared: dict[Any, Any] = {} if shared is None else shared

    def _company_now(self, conn: Connection, company_id: int) -> str:
        return company_clock.cached(conn, self.shared, company_id).now()

    def __call__(
        self, conn: Connection, token: str | None, authorization: str | None = None, session: str | None = None
    ) -> Caller:
        if session is not None:
            return self.session(conn, session)
        if token is None and authorization is not None:
            return self.bearer(conn, authorization)
        hit = self._cache.get(token) if token else None
        if hit is not None and users_store.version(conn, hit[1].user["company_id"]) == hit[0]:
            return hit[1]
        read = _token_read(conn, token)
        if read is None:
            if token:
                self._cache.pop(token, None)
            raise Unauthorized()
        version, user = read
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        caller = Caller(user, Credential("token", user["id"]))
        self._cache[token] = (version, caller)
        return caller

    def remembered(self, token: str | None) -> tuple[int, Caller] | None:
        """The users version and caller remembered for an API token, unchecked: the request
        must be checked with ``holds`` before it is answered."""
        return self._cache.get(token) if token else None

    def holds(self, conn: Connection, token: str, version: int, caller: Caller, seen: int | None) -> bool:
        """Whether a remembered token still answers as ``caller``: the company's users version
        the request read (``seen``; None: read it now) is the one remembered with it. When
        it is not, the token is forgotten (the request is to run again, authenticated)."""
        if seen is None:
            seen = users_store.version(conn, caller.user["company_id"])
        if seen == version:
            return True
        self._cache.pop(token, None)
        return False

    def forget(self, tokens: list[str]) -> None:
        """Stop answering these tokens from memory at once (their company was deleted)."""
        for token in tokens:
            self._cache.pop(token, None)

    def session(self, conn: Connection, digest: str) -> Caller:
        """The user of a live web session (by its cookie token's digest), read on every call
        so that a logout, an expiry or a deactivation holds at once; full rights, like an
        API token, under the same permission checks."""
        user = web_sessions.session_user(conn, digest, now())
        if user is None:
            raise Unauthorized()
        del user["csrf_token"], user["session_id"]
        return Caller(user, Credential("session", user["id"]))

    def bearer(self, conn: Connection, authorization: str) -> Caller:
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() != "bearer" or not value or " " in value:
            raise GatewayError("Invalid request: malformed authorization header", 400)
        row = oauth_store.caller(conn, digest(value)) if len(value) <= 2048 else None
        if row is not None and row.pop("oauth_expires_at") <= self._company_now(conn, row["company_id"]):
            row = None
        if row is None:
            raise Unauthorized("Invalid token: access_token is invalid")
        token_id = row.pop("oauth_token_id")
        app_id = row.pop("oauth_app_id")
        scopes = frozenset(row.pop("oauth_scopes").split(","))
        return Caller(row, Credential("oauth", token_id, app_id, scopes))
