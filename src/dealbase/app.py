"""The ASGI application: Starlette's routing over the server's mounted parts.

    /api/v2, /v1, /api/v1   the Pipedrive API: its own trie (``api/router.py``), no Starlette
                            Request or middleware on the way: parse path, query and body, find
                            the operation, authenticate, run the handler, answer
    /oauth                  the OAuth server, dispatched the same way
    /_dealbase              the emulator's control plane (``control/``, behind the control
                            token) and the public picture links
    /                       the web app (``web/``, mounted by ``create_app``), a client of the
                            API above through ``DealbaseApp.call_as``

Every part answers alike (``answering``): Pipedrive's error envelopes, a correlation id, a
500 that never leaks a traceback; any other path is Pipedrive's 404. One lifespan starts and
stops what the whole server shares (the webhook dispatcher, the SMTP receiver when
``DEALBASE_SMTP_PORT`` is set, the database engine).

Handlers are plain functions, wired in by ``create_app`` (``api/handlers: register``). On
SQLite they run inline on the event loop (sub-millisecond queries; measured faster and with a
tighter tail than a thread hop); on PostgreSQL they run in the thread pool so a slow query
never stalls other requests.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, NamedTuple, TypeVar
from urllib.parse import parse_qs

import anyio.to_thread
import orjson
from sqlalchemy import Connection, Engine
from starlette import routing
from starlette.types import ASGIApp, Receive, Scope, Send

from dealbase import smtp
from dealbase.api import handlers, webhook_payloads
from dealbase.api.auth import Authenticator, check_permission, check_scopes
from dealbase.api.context import Ctx
from dealbase.api.errors import (
    ApiError,
    BadRequest,
    MethodNotAllowed,
    NotFound,
    NotImplementedOperation,
    PayloadTooLarge,
    envelope,
)
from dealbase.api.rate_limits import RateLimiter
from dealbase.api.responses import Reply, new_correlation_id
from dealbase.api.router import Operation, Router
from dealbase.api.uploads import parse_multipart
from dealbase.control import faults, journal
from dealbase.control import routes as control_routes
from dealbase.control.plane import Plane
from dealbase.domain import company_clock, field_defs
from dealbase.domain.pictures import BLOB_PATH
from dealbase.errors import DomainError
from dealbase.events.dispatcher import Dispatcher
from dealbase.settings import Settings
from dealbase.store import blobs
from dealbase.store import repository as repo
from dealbase.store.db import create_db_engine, is_sqlite

log = logging.getLogger("dealbase")

_JSON = b"application/json"
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The emulator's own routes: the control plane (``control/``) and the pictures' public links.
CONTROL_PATH = "/_dealbase"


# The change events of the web app's writes keep this as their User-Agent.
WEB_USER_AGENT = "dealbase-web"
T = TypeVar("T")


class Credentials(NamedTuple):
    """What a request authenticates with: an API token (header, then query), else an
    Authorization header; the web app's in-process calls, its session's digest."""

    token: str | None = None
    authorization: str | None = None
    session: str | None = None


# What a part of the server answers: status, body, extra headers, content type.
Answer = tuple[int, bytes, list[tuple[bytes, bytes]] | None, bytes]


def answering(handle: Callable[[Scope, Receive], Awaitable[Answer]]) -> ASGIApp:
    """An ASGI app answering what ``handle`` returns, or the envelope of the error it raises."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        correlation_id = new_correlation_id()
        content_type = _JSON
        try:
            status, body, headers, content_type = await handle(scope, receive)
        except ApiError as err:
            status, body, headers = err.status, orjson.dumps(err.body()), err.headers
        except faults.Dropped:
            await faults.drop_connection(receive)
            return
        except Exception:  # a bug of ours: never leak a traceback to the client
            log.exception("unhandled error (correlation id %s)", correlation_id)
            err = ApiError("Internal server error", 500)
            status, body, headers = 500, orjson.dumps(err.body()), None
        raw_headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(body)).encode()),
            (b"x-correlation-id", correlation_id.encode()),
        ]
        if headers:
            raw_headers.extend(headers)
        await send({"type": "http.response.start", "status": status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": body})

    return app


async def _not_found(_scope: Scope, _receive: Receive) -> Answer:
    raise NotFound("Not found")


NOT_FOUND = answering(_not_found)


def _mounted_path(scope: Scope) -> str:
    """The request's path under the mount that routed it (Starlette moves the mount's prefix
    into ``root_path``)."""
    return scope["path"][len(scope.get("root_path", "")) :]


class DealbaseApp:
    """The whole server: its mounted parts, one lifespan, and how an API request runs."""

    def __init__(self, settings: Settings, engine: Engine | None = None, router: Router | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_db_engine(settings.database_url)
        self.inline = is_sqlite(str(self.engine.url))
        # every operation answers 501 until create_app registers handlers; a wired router can
        # be shared by apps made one after another in a process (dealbase.testing)
        self.router = router or Router()
        self.shared: dict[Any, Any] = {}
        self.authenticate = Authenticator(shared=self.shared)
        self.limits = RateLimiter(settings) if settings.rate_limits else None
        self.no_company = company_clock.Standing(plan=settings.plan, seats=settings.seats)
        self._conn: Connection | None = None
        self.dispatcher: Dispatcher | None = None
        self.smtp: smtp.Receiver | None = None
        v1, v2, oauth = (answering(partial(self._handle, api)) for api in ("v1", "v2", "oauth"))
        self.plane = Plane(self)
        control = routing.Router(
            [
                routing.Mount(BLOB_PATH.removeprefix(CONTROL_PATH), app=answering(self._blob_request)),
                *control_routes(self.plane),
            ],
            redirect_slashes=False,
            default=NOT_FOUND,
        )
        self.faults = faults.of(self.plane)
        self.journal = journal.of(self.plane)
        api = [routing.Mount("/api/v2", app=v2), routing.Mount("/v1", app=v1), routing.Mount("/api/v1", app=v1)]
        # The API's mounts come first: a request under one of their prefixes goes where
        # Starlette's scan would send it, so it goes there straight (the scan, a regular
        # expression and three dicts per mount tried, costs a tenth of a get-by-id).
        self._api_prefixes = tuple((mount.path + "/", mount.app) for mount in api)
        self.parts = routing.Router(
            [
                *api,
                routing.Mount("/oauth", app=oauth),
                routing.Mount(CONTROL_PATH, app=control),
                # the web app and docs: self.mount(path, app)
            ],
            redirect_slashes=False,
            default=NOT_FOUND,
            lifespan=self._lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        part = self.api_part(scope)
        await (self.parts if part is None else part)(scope, receive, send)

    def api_part(self, scope: Scope) -> ASGIApp | None:
        """The API mount Starlette would route the request to, with the ``root_path`` it would
        set; None where Starlette decides (any other path, a server under a root path, a
        line break, where a mount's pattern stops matching)."""
        path = scope.get("path", "")
        if scope["type"] != "http" or scope.get("root_path") or "\n" in path:
            return None
        for prefix, part in self._api_prefixes:
            if path.startswith(prefix):
                scope["root_path"] = prefix[:-1]
                return part
        return None

    def mount(self, path: str, app: ASGIApp) -> None:
        """Serve another ASGI app (a web app, docs) under ``path``, beside the API. An app at
        ``""`` (the web app) gets only what no other part takes, whenever it was mounted."""
        routes = self.parts.routes
        catch_all = next((i for i, r in enumerate(routes) if isinstance(r, routing.Mount) and r.path == ""), None)
        routes.insert(len(routes) if catch_all is None else catch_all, routing.Mount(path, app=app))

    @asynccontextmanager
    async def _lifespan(self, _app: Any) -> AsyncIterator[None]:
        webhook_payloads.configure(self.settings)
        if self.settings.webhooks_dispatch:
            self.dispatcher = Dispatcher(self.engine, self.settings, inline=self.inline)
            await self.dispatcher.start()
        try:
            if self.settings.smtp_port is not None:
                receiver = smtp.Receiver(self.engine, self.settings)
                receiver.start()  # a port taken fails the start, as the HTTP port does
                self.smtp = receiver
            yield
        finally:
            if self.smtp is not None:
                await anyio.to_thread.run_sync(self.smtp.stop)
                self.smtp = None
            if self.dispatcher is not None:
                await self.dispatcher.stop()
                self.dispatcher = None
            if self._conn is not None:
                self._conn.close()
            self.engine.dispose()

    async def _handle(self, api: str, scope: dict[str, Any], receive) -> Answer:
        matched = self.router.match(api, _mounted_path(scope))
        if matched is None:
            raise NotFound("Not found")
        methods, path_params = matched
        method = scope["method"]
        op: Operation | None = methods.get(method)
        if op is None:
            raise MethodNotAllowed(f"Method {method} is not allowed here")
        query_string = scope["query_string"]
        query = parse_qs(query_string.decode("latin-1"), keep_blank_values=True) if query_string else {}
        token = None
        authorization = None
        content_type = b""
        agent = None
        for name, value in scope["headers"]:
            if name == b"x-api-token":
                token = value.decode("latin-1")
            elif name == b"authorization":
                authorization = value.decode("latin-1")
            elif name == b"content-type":
                content_type = value
            elif name == b"user-agent":
                agent = value.decode("latin-1")[:255]
        if token is None:
            values = query.get("api_token")
            token = values[-1] if values else None
        body = None
        if method in _BODY_METHODS:
            body = await self._read_body(receive, api, content_type)
        ctx = Ctx(api, op.name, path_params, query, body, self.settings)
        ctx.shared = self.shared
        ctx.extra["user_agent"] = agent
        if api == "oauth":  # the OAuth server authenticates clients and users itself
            ctx.extra["headers"] = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        # While no fault rule exists, this and its twin in ``_run`` are all faults cost.
        if self.faults.rules:
            ctx.extra[faults.REQUEST_PATH] = scope["path"]
        credentials = Credentials(token, authorization)
        if self.journal is None:
            return await self._answer(ctx, op, credentials)
        return await self.journal.record(scope, ctx, self._answer(ctx, op, credentials))

    async def call_as(
        self, session: str, api: str, method: str, path: str, query: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any]:
        """An API operation run in-process as the user of a web session (the digest of its
        cookie's token): the same handler, permissions, visibility, change events, counters
        and webhooks as the HTTP request ``method path`` of that user; (status, parsed body),
        Pipedrive's error envelope for a refusal. The web app's one way to read and write."""
        matched = self.router.match(api, path)
        op = matched[0].get(method) if matched is not None else None
        if op is None:
            raise LookupError(f"no operation {method} {api} {path}")
        params = {key: [value] for key, value in (query or {}).items()}
        ctx = Ctx(api, op.name, matched[1], params, body if method in _BODY_METHODS else None, self.settings)
        ctx.shared = self.shared
        ctx.extra["user_agent"] = WEB_USER_AGENT
        if self.faults.rules:
            ctx.extra[faults.REQUEST_PATH] = path
        try:
            status, raw, _headers, _type = await self._answer(ctx, op, Credentials(session=session))
        except ApiError as refused:
            return refused.status, refused.body()
        return status, orjson.loads(raw)

    async def in_transaction(self, work: Callable[[Connection], T], write: bool) -> T:
        """``work(connection)`` in a transaction of its own (committed when ``write`` and it
        returns), on the connection an API request would have: the web app's sign-in rows."""
        if self.inline:
            return self._transact(self._inline_connection(), work, write, keep=True)

        def pooled() -> T:
            with self.engine.connect() as conn:
                return self._transact(conn, work, write, keep=False)

        return await anyio.to_thread.run_sync(pooled)

    def _transact(self, conn: Connection, work: Callable[[Connection], T], write: bool, keep: bool) -> T:
        if conn.get_execution_options().get("dealbase_write", False) != write:
            conn.execution_options(dealbase_write=write)
        try:
            result = work(conn)
        except BaseException:
            conn.rollback()
            if keep and conn.invalidated:
                self._conn = None
            raise
        if write:
            conn.commit()
        else:
            conn.rollback()
        return result

    async def _answer(self, ctx: Ctx, op: Operation, credentials: Credentials) -> Answer:
        try:
            try:
                reply = await self._call(ctx, op, credentials)
            except faults.Delayed as delayed:  # a fault rule's latency: wait, then go on
                reply = await delayed.then(partial(self._call, ctx, op, credentials))
        except (ApiError, DomainError) as caught:
            err = envelope(caught)
            if self.limits is not None and "rate_headers" in ctx.extra:
                err.headers = (err.headers or []) + ctx.extra["rate_headers"]
            raise err from None
        headers = reply.headers
        if self.limits is not None and "rate_headers" in ctx.extra:
            headers = (headers or []) + ctx.extra["rate_headers"]
        return reply.status, reply.body, headers, reply.content_type

    async def _call(self, ctx: Ctx, op: Operation, credentials: Credentials) -> Reply:
        if self.inline:
            return self._execute(ctx, op, credentials)
        return await anyio.to_thread.run_sync(self._execute, ctx, op, credentials)

    async def _read_body(self, receive, api: str, content_type: bytes) -> Any:
        chunks = []
        size = 0
        limit = self.settings.max_body_bytes
        if content_type.split(b";", 1)[0].strip().lower() == b"multipart/form-data":
            limit = self.settings.max_upload_bytes + 65_536  # the file and its form fields
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request body is larger than {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        return parse_body(raw, content_type, api)

    async def _blob_request(self, scope: Scope, _receive: Receive) -> Answer:
        """``GET /_dealbase/blobs/<company>/<key>``; other methods find nothing there."""
        if scope["method"] != "GET":
            raise NotFound("Not found")
        return self._blob(_mounted_path(scope).removeprefix("/"))

    def _blob(self, rest: str):
        """A public blob (a person's picture): its link is its only key, as on a CDN."""
        company, _, key = rest.partition("/")
        content_type = mimetypes.guess_type(key)[0] or ""
        # Only images are public (pictures); attachments are downloaded through the API.
        found = content_type.startswith("image/")
        data = blobs.read(self.settings.files_dir, company, key) if found else None
        if data is None:
            raise NotFound("Not found")
        headers = [(b"cache-control", b"public, max-age=86400"), (b"x-content-type-options", b"nosniff")]
        return 200, data, headers, content_type.encode()

    def _execute(self, ctx: Ctx, op: Operation, credentials: Credentials) -> Reply:
        if self.inline:
            return self._run_checked(self._inline_connection(), ctx, op, credentials, keep=True)
        with self.engine.connect() as conn:
            return self._run_checked(conn, ctx, op, credentials, keep=False)

    def _run_checked(self, conn: Connection, ctx: Ctx, op: Operation, credentials: Credentials, keep: bool) -> Reply:
        """``_run``, for a remembered API token's caller when the operation reads; run again,
        authenticated afresh, when the company's users changed under it (``Authenticator``)."""
        try:
            return self._run(conn, ctx, op, credentials, keep)
        except _StaleCaller:
            ctx.cache.clear()
            ctx.scratch.clear()
            return self._run(conn, ctx, op, credentials, keep, remembered=False)

    def _inline_connection(self) -> Connection:
        # Inline (SQLite) requests run one at a time on the event loop's thread, so one
        # connection serves them all: no pool checkout and return on every request.
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self.engine.connect()
        return conn

    def _run(
        self, conn: Connection, ctx: Ctx, op: Operation, credentials: Credentials, keep: bool, remembered: bool = True
    ) -> Reply:
        """One request, one transaction: committed if it writes and succeeds, else rolled back.

        ``remembered``: a read may run for the caller remembered for its API token, checked
        at the end against the users version the request read (``_StaleCaller`` when it
        moved: nothing has been answered)."""
        # How SQLite begins (store/db.py); setting an option costs more than the lookup.
        if conn.get_execution_options().get("dealbase_write", False) != op.write:
            conn.execution_options(dealbase_write=op.write)
        ctx.conn = conn
        if op.write:  # the change events it records keep who called (see repository.record_change)
            conn.info[repo.USER_AGENT] = ctx.extra.get("user_agent")
        company = self.no_company  # a public operation's (the OAuth server's)
        hit = None
        if remembered and not op.write and not op.public:
            hit = self.authenticate.remembered(credentials.token)
        try:
            if not op.public:
                # an API token (header, then query) wins over an Authorization header
                caller = hit[1] if hit is not None else self.authenticate(conn, *credentials)
                ctx.user = caller.user
                ctx.company_id = caller.user["company_id"]
                company = company_clock.attach(ctx)  # its clock, plan and seats
                ctx.extra["credential"] = caller.credential
            if self.faults.rules and faults.FAULT not in ctx.extra:
                self.faults.strike(ctx, op, company)  # raises the rule's answer, Delayed or Dropped
            if not op.public:
                if self.limits is not None:
                    self.limits.charge(ctx, op, company)
                check_scopes(caller.credential, op.api, op.method, op.path)
                check_permission(ctx, op.name)
            if op.handler is None:
                raise NotImplementedOperation(op.name)
            reply = op.handler(ctx)
        except BaseException as exc:
            conn.info.pop(repo.USER_AGENT, None)
            conn.rollback()
            if keep and conn.invalidated:
                self._conn = None
            if hit is not None and isinstance(exc, Exception) and not conn.invalidated:
                if not self._holds(conn, ctx, credentials.token, hit):
                    raise _StaleCaller() from exc
            raise
        if hit is not None and not self._holds(conn, ctx, credentials.token, hit):
            conn.rollback()
            raise _StaleCaller()
        if op.write:
            conn.info.pop(repo.USER_AGENT, None)
            conn.commit()
        else:
            conn.rollback()
        return reply

    def _holds(self, conn: Connection, ctx: Ctx, token: str | None, hit: tuple) -> bool:
        """Whether the remembered caller ``hit`` still holds, by the users version the request
        read with the fields version (or one read now)."""
        version, caller = hit
        return self.authenticate.holds(conn, token, version, caller, ctx.cache.get(field_defs.USERS_VERSION))


def parse_body(raw: bytes, content_type: bytes, api: str) -> Any:
    """JSON everywhere; v1 also takes form-encoded bodies, as Pipedrive's v1 does (the OAuth
    server only those), and file uploads come as multipart (``api/uploads.py``)."""
    kind = content_type.split(b";", 1)[0].strip().lower()
    if not raw.strip():
        return {}
    form = kind == b"application/x-www-form-urlencoded"
    if api == "oauth" and not form:
        return None  # the OAuth server takes forms only and says so in its own terms
    if kind == b"multipart/form-data":
        return parse_multipart(raw, content_type)
    if form and api in ("v1", "oauth"):
        try:
            fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise BadRequest("Malformed form body") from exc
        return {k: (v[-1] if len(v) == 1 else v) for k, v in fields.items()}
    if kind not in (b"application/json", b"") and not kind.endswith(b"+json"):
        raise BadRequest("Unsupported content type: send application/json")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("Malformed JSON in the request body") from exc
    return body


class _StaleCaller(Exception):
    """A read ran for a remembered API token whose company's users changed meanwhile."""


@functools.cache
def wired_router() -> Router:
    """The API's route table with every handler module's operations registered: built once
    per process (it costs more than the rest of an app together) and shared by the apps
    made in it (the tests', the in-process mock's); nothing changes it once built."""
    router = Router()
    handlers.register(router)
    return router


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> DealbaseApp:
    """The server, wired: the API's router with every handler module's operations, and the
    web app at ``/``."""
    from dealbase import web

    app = DealbaseApp(settings or Settings(), engine, router=wired_router())
    web.mount(app)
    return app


def app_from_environment() -> DealbaseApp:
    """The factory uvicorn calls in each worker process."""
    return create_app(Settings())
