"""What every control route shares: the control token, JSON in and out, the errors.

A control endpoint is ``async def endpoint(plane, call) -> (status, payload)``; ``route``
wraps it into a Starlette route that checks ``Authorization: Bearer <control token>`` first
(a wrong or missing one is a 401 and nothing is done), reads the JSON body, runs the
endpoint and answers its payload as JSON, or the Pipedrive-style error envelope of an
``ApiError`` / ``DomainError`` it raises. Without a control token (plain ``dealbase serve``)
the control plane does not exist: every control path is a 404.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dealbase.api.context import refuse_nul
from dealbase.api.errors import ApiError, BadRequest, MethodNotAllowed, NotFound, PayloadTooLarge, envelope
from dealbase.api.responses import new_correlation_id
from dealbase.errors import DomainError
from dealbase.store import companies

if TYPE_CHECKING:
    from dealbase.app import DealbaseApp


class ControlUnauthorized(ApiError):
    status = 401


@dataclass
class Call:
    """One control request: its path parameters, query and JSON body (a dict, or {})."""

    path: dict[str, Any]
    query: dict[str, str]
    body: dict[str, Any]
    request: Request

    def only(self, *keys: str) -> None:
        """A 400 naming the first key of the body that is not one of ``keys``."""
        unknown = sorted(set(self.body) - set(keys))
        if unknown:
            takes = f"takes {', '.join(sorted(keys))}" if keys else "this call takes no body"
            raise BadRequest(f"Unknown key: {unknown[0]} ({takes})")

    def int_query(self, name: str, default: int, least: int, most: int, what: str = "an integer") -> int:
        """The query parameter ``name`` (``default`` when absent): ASCII digits for a whole
        number from ``least`` to ``most``, else a 400 saying so."""
        raw = self.query.get(name)
        if raw is None:
            return default
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18 or not least <= int(raw) <= most:
            raise BadRequest(f"{name} must be {what} from {least} to {most}")
        return int(raw)

    def int_path(self, name: str) -> int:
        raw = str(self.path[name])
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
            raise NotFound(f"Unknown {name.removesuffix('_id')}: {raw}")
        return int(raw)


@dataclass
class Plane:
    """The control plane of one server: the app it controls and what the features keep per
    process (``state``: a feature's own objects by name)."""

    app: DealbaseApp
    state: dict[str, Any] = field(default_factory=dict)

    @property
    def token(self) -> str | None:
        return self.app.settings.control_token


Endpoint = Callable[[Plane, Call], Awaitable[tuple[int, Any]]]


def _json(status: int, payload: Any) -> Response:
    # Every answer carries a correlation id, as the API's do.
    headers = {"x-correlation-id": new_correlation_id()}
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers)


def route(plane: Plane, path: str, endpoint: Endpoint, methods: list[str], *, body: bool | None = None) -> Route:
    """``endpoint`` served at ``path`` (under ``/_dealbase``) for ``methods``, behind the token.
    ``body``: whether it reads a JSON body (by default a POST or PUT does); one that does not
    refuses a body with keys."""
    takes_body = any(m in ("POST", "PUT") for m in methods) if body is None else body

    async def serve(request: Request) -> Response:
        if (refused := _unauthorized(plane, request)) is not None:
            return refused
        try:
            raw = await _read_body(request, plane.app.settings.max_body_bytes)
            body: Any = orjson.loads(raw) if raw.strip() else {}
            if not isinstance(body, dict):
                raise BadRequest("The body must be a JSON object")
            query = request.query_params
            refuse_nul(request.path_params, {k: query.getlist(k) for k in query}, body)
            call = Call(dict(request.path_params), dict(query), body, request)
            if not takes_body:
                call.only()
            status, payload = await endpoint(plane, call)
        except orjson.JSONDecodeError:
            return _json(400, BadRequest("Malformed JSON in the request body").body())
        except (ApiError, DomainError) as caught:
            err = envelope(caught)
            return _json(err.status, err.body())
        return _json(status, payload)

    return _ControlRoute(plane, path, serve, methods=methods)


async def _read_body(request: Request, limit: int) -> bytes:
    """The request's body, or a 413 once it grows past ``limit`` (as the API's)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _unauthorized(plane: Plane, request: Request) -> Response | None:
    """The answer to a request without the control token (a 404 when there is none), or None."""
    token = plane.token
    if not token:
        return _json(404, NotFound("Not found").body())
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
        return _json(401, ControlUnauthorized("Control token missing or wrong").body())
    return None


class _ControlRoute(Route):
    """A control route whose other methods are refused as the API refuses them (the token
    checked first), not with Starlette's plain-text 405."""

    def __init__(self, plane: Plane, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plane = plane

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        if self.methods and scope["method"] not in self.methods:
            request = Request(scope, receive)
            refused = _unauthorized(self.plane, request) or _json(
                405, MethodNotAllowed(f"Method {scope['method']} is not allowed here").body()
            )
            await refused(scope, receive, send)
            return
        await super().handle(scope, receive, send)


T = TypeVar("T")


async def off_loop(plane: Plane, work: Callable[[], T]) -> T:
    """``work()`` as the API runs its handlers: inline on SQLite, in a thread on PostgreSQL."""
    return work() if plane.app.inline else await anyio.to_thread.run_sync(work)


async def in_transaction(plane: Plane, work: Callable[[Any], T], *, write: bool = True) -> T:
    """``work(conn)`` in a transaction of its own, committed when it returns (a write),
    rolled back when it raises (or when it only reads)."""

    def run() -> T:
        with plane.app.engine.connect().execution_options(dealbase_write=write) as conn:
            done = work(conn)
            if write:
                conn.commit()
            return done

    return await off_loop(plane, run)


def known_company(conn: Any, company_id: int) -> int:
    """``company_id``, or a 404 naming it when no such company exists."""
    if not companies.exists(conn, company_id):
        raise NotFound(f"Unknown company: {company_id}")
    return company_id
