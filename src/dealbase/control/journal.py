"""The request journal: ``GET /_dealbase/companies/{id}/requests?limit=&operation=&status=``.

The last requests of each company (a ring, ``collections.deque(maxlen=N)``), newest first:
time, method, path, query, operationId, status, latency, user agent, headers, the request
body and the start of the answer's body, with tokens and secrets redacted. On in sandbox
mode (``settings.sandbox``: the last 1,000) or with ``settings.journal_size`` > 0; off with
``journal_size`` 0. A request is the company's once it is authenticated: one refused before
that (a wrong token, an unknown path) has no company and is not kept.

``app.py`` hands each API request to ``Journal.record``. What it keeps is the raw facts
(the scope's headers and query, the answer's first bytes); redaction and decoding wait for
a read, so the hot path pays for a tuple and a deque append. A request body is copied
(redacted) before the handler runs, which may change it.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs

import orjson
from starlette.routing import BaseRoute

from dealbase.api.errors import ApiError, BadRequest
from dealbase.api.operation_ids import operation_id, operation_name
from dealbase.control.faults import FAULT, Dropped
from dealbase.control.plane import Call, Plane, known_company, route
from dealbase.settings import Settings

SANDBOX_SIZE = 1_000
RESPONSE_START = 2_048
DEFAULT_LIMIT = 100
MAX_LIMIT = 100_000  # more than any ring holds: every entry
REDACTED = "[redacted]"

_SECRET_HEADERS = {b"x-api-token", b"authorization", b"cookie"}
_SECRET_QUERY = {"api_token"}
_SECRET_BODY = {"api_token", "client_secret", "password", "refresh_token", "access_token", "code"}
# In an answer (its first bytes, perhaps cut short): a secret's value as JSON writes it. Not
# "code", which answers use for currency and other codes.
_SECRET_ANSWER = re.compile(rb'("(?:api_token|client_secret|password|refresh_token|access_token)"\s*:\s*)"[^"]*"?')
_TEXT_TYPES = (b"application/json", b"text/", b"application/x-www-form-urlencoded")

# What a dropped connection is kept as (no status was sent).
DROPPED = None


class Entry(NamedTuple):
    stamp: float
    method: str
    path: str
    query_string: bytes
    api: str
    name: str
    status: int | None
    latency_ms: float
    headers: tuple[tuple[bytes, bytes], ...]
    body: Any
    answer: bytes
    content_type: bytes
    fault: int | None


def size_of(settings: Settings) -> int:
    """How many requests a company's ring keeps; 0: the journal is off."""
    if settings.journal_size is not None:
        return settings.journal_size
    return SANDBOX_SIZE if settings.sandbox else 0


def redacted(value: Any) -> Any:
    """A copy of a request body with the secrets' values replaced (uploaded files named)."""
    if isinstance(value, dict):
        return {k: REDACTED if k in _SECRET_BODY else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return f"<{type(value).__name__}>"


class Journal:
    def __init__(self, size: int) -> None:
        self.size = size
        self.rings: dict[int, deque[tuple]] = {}

    async def record(self, scope: dict[str, Any], ctx: Any, answering: Awaitable[Any]) -> Any:
        """Await the request's answer and keep it in its company's ring (an error too)."""
        body = redacted(ctx.body) if ctx.body else None
        started = time.perf_counter()
        try:
            answer = await answering
        except ApiError as err:  # the API's envelope of any refusal (``app.py``)
            self._keep(scope, ctx, body, started, err.status, orjson.dumps(err.body()), b"application/json")
            raise
        except Dropped:
            self._keep(scope, ctx, body, started, DROPPED, b"", b"")
            raise
        except Exception:
            self._keep(scope, ctx, body, started, 500, b"", b"")
            raise
        status, data, _headers, content_type = answer
        self._keep(scope, ctx, body, started, status, data, content_type)
        return answer

    def _keep(
        self,
        scope: dict[str, Any],
        ctx: Any,
        body: Any,
        started: float,
        status: int | None,
        data: bytes,
        content_type: bytes,
    ) -> None:
        if not ctx.company_id:
            return
        ring = self.rings.get(ctx.company_id)
        if ring is None:
            ring = self.rings[ctx.company_id] = deque(maxlen=self.size)
        ring.append(
            (  # a plain tuple: an Entry's own constructor costs more than the rest (see entries)
                time.time(),
                scope["method"],
                scope["path"],
                scope["query_string"],
                ctx.api,
                ctx.operation,
                status,
                (time.perf_counter() - started) * 1000,
                tuple(scope["headers"]),  # a tuple of atomic values leaves the GC's tracking
                body,
                data[:RESPONSE_START],
                content_type,
                ctx.extra.get(FAULT),
            )
        )

    def forget(self, company_id: int) -> None:
        """Drop a deleted company's ring (a long sandbox session deletes a company per test)."""
        self.rings.pop(company_id, None)

    def entries(self, company_id: int) -> list[Entry]:
        """The company's kept requests, newest first."""
        return [Entry._make(kept) for kept in reversed(self.rings.get(company_id, ()))]


def shown(entry: Entry) -> dict[str, Any]:
    """A kept request as the journal answers it, secrets redacted."""
    headers = {
        name.decode("latin-1"): REDACTED if name in _SECRET_HEADERS else value.decode("latin-1")
        for name, value in entry.headers
    }
    query = {
        k: REDACTED if k in _SECRET_QUERY else (v[0] if len(v) == 1 else v)
        for k, v in parse_qs(entry.query_string.decode("latin-1"), keep_blank_values=True).items()
    }
    return {
        "time": datetime.fromtimestamp(entry.stamp, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": entry.method,
        "path": entry.path,
        "query": query,
        "operationId": operation_id(entry.api, entry.name),
        "status": entry.status,
        "latency_ms": round(entry.latency_ms, 3),
        "user_agent": headers.get("user-agent"),
        "headers": headers,
        "body": entry.body,
        "response": _answer_start(entry),
        "fault": entry.fault,
    }


def _answer_start(entry: Entry) -> str | None:
    if not entry.answer:
        return None
    kind = entry.content_type.split(b";", 1)[0].strip().lower()
    if not kind.startswith(_TEXT_TYPES) and not kind.endswith(b"+json"):
        return f"<{entry.content_type.decode('latin-1')}>"
    return _SECRET_ANSWER.sub(rb'\1"' + REDACTED.encode() + rb'"', entry.answer).decode("utf-8", "replace")


def of(plane: Plane) -> Journal | None:
    """The plane's journal, made on first use; None when the settings leave it off."""
    if "journal" not in plane.state:
        size = size_of(plane.app.settings)
        plane.state["journal"] = Journal(size) if size else None
    return plane.state["journal"]


def _filters(call: Call) -> tuple[int, str | None, int | None]:
    limit = call.int_query("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    name = None
    if "operation" in call.query:
        name = operation_name(call.query["operation"])
        if name is None:
            raise BadRequest(f"operation is not an operationId of Pipedrive's API: {call.query['operation']!r}")
    status = None
    if "status" in call.query:
        status = call.int_query("status", 0, 100, 599, "an HTTP status")
    return limit, name, status


def routes(plane: Plane) -> list[BaseRoute]:
    async def get_requests(plane: Plane, call: Call) -> tuple[int, Any]:
        """The company's last requests, newest first."""
        company_id = call.int_path("company_id")
        with plane.app.engine.connect() as conn:
            known_company(conn, company_id)
        journal = of(plane)
        if journal is None:
            raise ApiError("The request journal is off: run in sandbox mode or set DEALBASE_JOURNAL_SIZE", 409)
        limit, name, status = _filters(call)
        picked = [
            e
            for e in journal.entries(company_id)
            if (name is None or e.name == name) and (status is None or e.status == status)
        ]
        return 200, {"requests": [shown(e) for e in picked[:limit]], "size": journal.size}

    return [route(plane, "/companies/{company_id}/requests", get_requests, ["GET"])]
