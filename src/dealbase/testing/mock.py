"""``mock_pipedrive()``: Pipedrive answered in-process by a dealbase app on a database of its own.

The app runs on an event loop of its own, driven by the thread that asks (a lock lets one
request in at a time, as a server on SQLite runs them); an async client's request is run
from a worker thread, as its own loop is busy. Handing requests to a loop in another thread
costs a GIL switch interval (5 ms) each; this costs nothing. No socket is opened.

Pipedrive's hosts (``api.pipedrive.com``, ``<company>.pipedrive.com``, ``oauth.pipedrive.com``)
serve the same paths dealbase does (``/v1/…``, ``/api/v1/…``, ``/api/v2/…``, ``/oauth/…``),
so a request keeps its path and query.

Webhooks: the app's dispatcher task is off; after each write the mock sends the due
deliveries itself, with the dispatcher's own rules (``events/dispatcher.py``), before the
write's answer is returned, so a test sees them at once. A receiver URL registered with
``receive(url, fn)`` is answered by ``fn(payload)``; each delivery is kept in ``deliveries``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import anyio.to_thread

from dealbase import demo
from dealbase.app import DealbaseApp, wired_router
from dealbase.domain.unit import Unit
from dealbase.events import outbox
from dealbase.events.dispatcher import BATCH, Sender
from dealbase.settings import Settings
from dealbase.store import repository as repo
from dealbase.store.tables import users
from dealbase.testing import database, patches
from dealbase.testing.control import CompanyControls
from dealbase.testing.patches import Answer, Sent

BASE_URL = "https://api.pipedrive.com"
CONTROL_PATH = "/_dealbase"

Receiver = Callable[[Any], Any]


def pipedrive_host(host: str) -> bool:
    return host == "pipedrive.com" or host.endswith(".pipedrive.com")


@functools.cache
def _template() -> database.Template:
    return database.template()


@functools.cache
def _settings() -> Settings:
    """The environment's settings (``DEALBASE_*``), read once per process."""
    return Settings()


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class _Loop:
    """An event loop run by whichever thread calls, one call at a time (from a thread that
    runs a loop already, a mock entered in a coroutine, by a worker thread).

    A webhook receiver may call the API while its delivery runs (to fetch the deal it was
    told of): the write it was told of has committed, and that call runs on a loop of its
    own in a worker thread, as the mock's loop is busy waiting for the receiver."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.lock = threading.Lock()
        self.running_in: int | None = None  # the thread running the loop now

    def run(self, work: Callable[..., Any], *args: Any) -> Any:
        if self.running_in == threading.get_ident():
            with ThreadPoolExecutor(1) as worker:
                return worker.submit(_run_alone, work, *args).result()
        if _loop_running():
            with ThreadPoolExecutor(1) as worker:
                return worker.submit(self.run, work, *args).result()
        with self.lock:
            self.running_in = threading.get_ident()
            try:
                if inspect.iscoroutinefunction(work):
                    return self.loop.run_until_complete(work(*args))
                return work(*args)
            finally:
                self.running_in = None

    def close(self) -> None:
        self.loop.close()


def _run_alone(work: Callable[..., Any], *args: Any) -> Any:
    return asyncio.run(work(*args)) if inspect.iscoroutinefunction(work) else work(*args)


def _url_key(url: str) -> str:
    return url.rstrip("/")


@dataclass
class Delivery:
    """A webhook delivery a registered receiver got: where, what, and what it answered."""

    url: str
    payload: Any
    status: int
    error: str | None = None


class PipedriveMock(CompanyControls):
    """What ``mock_pipedrive`` yields: the company (``company_id``, ``api_token``, ``user_id``),
    ``base_url`` for clients that take one, the ``app``, webhook ``receive`` / ``deliveries``,
    ``seed()``, ``reset()``, the control plane's features (``clock``, ``faults``,
    ``snapshots``, ``requests``: ``control.py``) and ``control(method, path, body)`` for any
    other control call (``/_dealbase/…``), all in-process. A ``reset()`` starts a new app on
    a new copy of the template: no fault rule, snapshot or journal entry is left.
    """

    base_url = BASE_URL

    def __init__(self, allow: Iterable[str] = (), settings: dict[str, Any] | None = None) -> None:
        self.allowed = {host.lower() for host in allow}
        self.overrides = dict(settings or {})
        self.receivers: dict[str, Receiver] = {}
        self.deliveries: list[Delivery] = []
        self.template = _template()
        self.company_id = self.template.company_id
        self.user_id = self.template.user_id
        self.api_token = self.template.api_token
        self.control_token = secrets.token_hex(16)
        self.app: DealbaseApp | None = None
        self._stack = contextlib.ExitStack()
        self._app_stack = contextlib.ExitStack()
        self._sender: Sender | None = None

    # -- life -------------------------------------------------------------------------------

    def start(self) -> PipedriveMock:
        try:
            self._dir = Path(tempfile.mkdtemp(prefix="dealbase-mock-"))
            self._stack.callback(shutil.rmtree, self._dir, ignore_errors=True)
            self._loop = _Loop()
            self._stack.callback(self._loop.close)
            self._open_app()
            self._stack.callback(self._close_app)
            patches.activate(self)
            self._stack.callback(patches.deactivate, self)
        except BaseException:
            self._stack.close()
            raise
        return self

    def stop(self) -> None:
        self._stack.close()

    def _open_app(self) -> None:
        settings = _settings().model_copy(
            update={
                "database_url": self.template.copy_to(self._dir / "dealbase.db"),
                "files_dir": str(self._dir / "files"),
                "control_token": self.control_token,
                "sandbox": True,  # as ``dealbase serve --sandbox``: the request journal on
                "webhooks_dispatch": False,  # the mock delivers after each write instead
                "webhooks_allow_private": True,  # receivers are Python callables, not addresses
                **self.overrides,
            }
        )
        # Every mock's company is the template's, with the same webhooks version at first:
        # the process's cache of its webhooks would be another mock's.
        outbox.forget_cached_hooks()
        app = self.app = DealbaseApp(settings, router=wired_router())
        lifespan = app.parts.lifespan_context(app)
        self._loop.run(lifespan.__aenter__)
        self._app_stack.callback(self._loop.run, lifespan.__aexit__, None, None, None)
        sender = self._sender = Sender(app.engine, settings, inline=True)
        self._app_stack.callback(self._loop.run, sender.aclose)

    def _close_app(self) -> None:
        self._app_stack.close()

    def reset(self) -> None:
        """Back to the company as it began (the same token), no delivery kept."""
        self._close_app()
        self.deliveries.clear()
        self._open_app()

    # -- the company, below HTTP ------------------------------------------------------------

    def seed(self, seed_value: int = 1, deals: int = 100) -> dict[str, int]:
        """The demo data set (``dealbase.demo.seed``), written through the write service; how
        many of each item type it made. Webhooks fire for them as for any write."""
        made = self._loop.run(self._in_unit, functools.partial(demo.seed, seed_value=seed_value, deals=deals))
        self._loop.run(self._deliver_due)
        return made

    def _in_unit(self, work: Callable[[Unit], Any]) -> Any:
        assert self.app is not None
        with self.app.engine.connect().execution_options(dealbase_write=True) as conn:
            user = repo.get(conn, users, self.company_id, self.user_id)
            done = work(Unit(conn, self.company_id, user))
            conn.commit()
        return done

    # -- the control plane (``clock``, ``faults``, ``snapshots``, ``requests``: ``control.py``)

    def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``method`` on the control plane's ``/_dealbase{path}`` with the control token:
        (status, JSON answer)."""
        headers = [("authorization", f"Bearer {self.control_token}"), ("content-type", "application/json")]
        content = b"" if body is None else json.dumps(body).encode()
        got = self.answer(Sent(method, f"{BASE_URL}{CONTROL_PATH}{path}", headers, content))
        return got.status, json.loads(got.body) if got.body else None

    # -- webhooks ---------------------------------------------------------------------------

    def receive(self, url: str, receiver: Receiver) -> str:
        """Webhook deliveries to ``url`` go to ``receiver(payload)`` (its answer: None or a
        2xx status is a success, another status or an exception a failure, retried on
        Pipedrive's schedule by the first write after each retry time). Returns ``url``, to
        subscribe with. A delivery to a URL not registered fails (``NetworkRefused``)."""
        self.receivers[_url_key(url)] = receiver
        return url

    def _receiver_answer(self, sent: Sent) -> Answer:
        payload = json.loads(sent.body)
        error = None
        try:
            said = self.receivers[_url_key(sent.url)](payload)
            status = 200 if said is None else int(said)
        except Exception as exc:  # the receiver's failure is the delivery's, kept for the test
            status, error = 500, f"{type(exc).__name__}: {exc}"
        self.deliveries.append(Delivery(sent.url, payload, status, error))
        return Answer(status, [("content-type", "text/plain")], b"")

    async def _deliver_due(self) -> None:
        """Send every delivery due now, as the dispatcher would, until none is left."""
        sender = self._sender
        assert sender is not None
        while rows := sender.claim(BATCH):
            for row in rows:
                await sender.deliver(row)

    # -- answering (patches.Router) ---------------------------------------------------------

    def serves(self, sent: Sent) -> bool:
        return pipedrive_host(sent.host) or _url_key(sent.url) in self.receivers

    def allows(self, host: str) -> bool:
        return host in self.allowed

    def answer(self, sent: Sent) -> Answer:
        if _url_key(sent.url) in self.receivers:
            return self._receiver_answer(sent)
        return self._loop.run(self._serve, sent)

    async def answer_async(self, sent: Sent) -> Answer:
        if _url_key(sent.url) in self.receivers:
            return self._receiver_answer(sent)
        return await anyio.to_thread.run_sync(self._loop.run, self._serve, sent)

    async def _serve(self, sent: Sent) -> Answer:
        got = await _asgi(self.app, sent)
        if sent.method.upper() not in ("GET", "HEAD") and self.receivers:
            await self._deliver_due()
        return got


async def _asgi(app: Any, sent: Sent) -> Answer:
    """``sent`` through the ASGI app, the answer read whole."""
    parts = urlsplit(sent.url)
    raw_path = parts.path or "/"
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in sent.headers]
    if not any(k == b"host" for k, _ in headers):
        headers.append((b"host", parts.netloc.encode("latin-1")))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": sent.method.upper(),
        "scheme": parts.scheme,
        "server": (parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
        "client": ("127.0.0.1", 0),
        "root_path": "",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": parts.query.encode("latin-1"),
        "headers": headers,
    }
    pending = [{"type": "http.request", "body": sent.body, "more_body": False}]

    async def receive() -> dict[str, Any]:
        return pending.pop() if pending else {"type": "http.disconnect"}

    status, out_headers, chunks = 500, [], []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return Answer(status, out_headers, b"".join(chunks))


class mock_pipedrive(contextlib.ContextDecorator):  # noqa: N801 - used like a function, as moto's mock_aws
    """Pipedrive answered in-process, as a context manager (``with mock_pipedrive() as pd:``)
    or a decorator (sync or async functions; the handle is ``current()`` inside). ``allow``:
    other hosts that may still be reached (any other is refused with ``NetworkRefused``);
    ``settings``: ``Settings`` fields for this mock over the environment's
    (``mock_pipedrive(rate_limits=True)``)."""

    def __init__(self, allow: Iterable[str] = (), **settings: Any) -> None:
        self.allow = tuple(allow)
        self.settings = settings
        self._mocks: list[PipedriveMock] = []

    def __enter__(self) -> PipedriveMock:
        mock = PipedriveMock(self.allow, self.settings).start()
        self._mocks.append(mock)
        return mock

    def __exit__(self, *exc: object) -> None:
        self._mocks.pop().stop()

    def __call__(self, func: Callable) -> Callable:
        if not inspect.iscoroutinefunction(func):
            return super().__call__(func)

        @functools.wraps(func)
        async def wrapped(*args: Any, **kwargs: Any) -> Any:
            with self._recreate_cm():
                return await func(*args, **kwargs)

        return wrapped


def current() -> PipedriveMock:
    """The innermost active mock (for a function decorated with ``mock_pipedrive``)."""
    active = [router for router in patches.active() if isinstance(router, PipedriveMock)]
    if not active:
        raise RuntimeError("no mock_pipedrive is active")
    return active[-1]
