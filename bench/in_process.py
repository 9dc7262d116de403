"""Requests through a dealbase app's ASGI interface in this process, without a server or a
socket, for benches that compare two states of one app (``token_check_cost.py``)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

TOKEN = "0123456789abcdef0123456789abcdef01234567"


async def call(app, method: str, path: str, body: bytes = b"") -> int:
    """One request through the app's ASGI interface; its status."""
    status, _ = await exchange(app, method, path, body, read=False)
    return status


async def exchange(app, method: str, path: str, body: bytes = b"", read: bool = True) -> tuple[int, bytes]:
    """One request through the app's ASGI interface; its status and (``read``) its body."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"x-api-token", TOKEN.encode()),
            (b"content-type", b"application/json"),
            (b"user-agent", b"bench"),
        ],
    }
    statuses: list[int] = []
    chunks: list[bytes] = []

    async def receive():
        return {"type": "http.request", "body": body}

    async def send(message):
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif read and message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return statuses[0], b"".join(chunks)


async def batch(app, path: str, calls: int) -> float:
    """Calls per second of ``calls`` GETs of ``path``."""
    started = time.perf_counter()
    statuses = {await call(app, "GET", path) for _ in range(calls)}
    elapsed = time.perf_counter() - started
    assert statuses == {200}, statuses
    return calls / elapsed


def fresh_app(prefix: str, database_url: str | None = None):
    """An app on a fresh SQLite database in a new temporary folder (or on ``database_url``,
    an empty database), its company made with ``TOKEN`` as the admin's API token, webhooks
    not sent."""
    from dealbase.app import create_app
    from dealbase.bootstrap import ensure_company
    from dealbase.settings import Settings
    from dealbase.store.db import create_db_engine, migrate

    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    settings = Settings(
        database_url=database_url or f"sqlite:///{workdir / 'dealbase.db'}",
        files_dir=str(workdir / "files"),
        api_token=TOKEN,
        webhooks_dispatch=False,
    )
    migrate(settings.database_url)
    ensure_company(create_db_engine(settings.database_url), settings)
    return create_app(settings)

