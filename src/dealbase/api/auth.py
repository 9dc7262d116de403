"""Who is calling: the API token from the ``x-api-token`` header or ``api_token`` query."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select

from dealbase.api.errors import Unauthorized
from dealbase.store.tables import api_tokens, users

_USER_BY_TOKEN = (
    select(users)
    .join(api_tokens, api_tokens.c.user_id == users.c.id)
    .where(api_tokens.c.token == bindparam("token"), users.c.active_flag.is_(True))
)


def authenticate(conn: Connection, token: str | None) -> dict[str, Any]:
    if not token or len(token) > 128:
        raise Unauthorized()
    row = conn.execute(_USER_BY_TOKEN, {"token": token}).mappings().first()
    if row is None:
        raise Unauthorized()
    return dict(row)
