"""OAuth 2.0 apps: their credentials, callbacks and scopes, and how tokens are made and kept.

Pipedrive's scopes are fixed by an app's registration, and ``base`` is always part of what
an installed app holds. Secrets, codes and tokens are random and kept only as digests.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from sqlalchemy import Connection

from dealbase import clock
from dealbase.store import oauth as store

BASE_SCOPE = "base"


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
        "add_time": clock.now(),
    }
    store.add_app(conn, company_id, values)
    return client_id, secret
