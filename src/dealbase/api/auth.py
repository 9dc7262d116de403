"""Who is calling: the API token from the ``x-api-token`` header or ``api_token`` query."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, bindparam, select

from dealbase.api.errors import Unauthorized
from dealbase.store.repository import Prepared
from dealbase.store.tables import api_tokens, users

_USER_BY_TOKEN = Prepared(
    select(users)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token == bindparam("token"), users.c.active_flag.is_(True))
)

TTL_SECONDS = 2.0
_MAX_CACHED = 10_000


class Authenticator:
    """Token → user, remembered for a short while per server process.

    A token's user is read at most once per ``ttl`` seconds; a removed token or user stops
    working within that time.
    """

    def __init__(self, ttl: float = TTL_SECONDS) -> None:
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}

    def __call__(self, conn: Connection, token: str | None) -> dict[str, Any]:
        if not token or len(token) > 128:
            raise Unauthorized()
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit is not None and hit[0] > now:
            return hit[1]
        rows = _USER_BY_TOKEN.rows(conn, {"token": token})
        if not rows:
            self._cache.pop(token, None)
            raise Unauthorized()
        if len(self._cache) >= _MAX_CACHED:
            self._cache.clear()
        self._cache[token] = (now + self.ttl, rows[0])
        return rows[0]
