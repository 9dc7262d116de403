"""Where ``requests`` and httpx hand a request to the network, patched while a mock is
active: ``requests.adapters.HTTPAdapter.send``, ``HTTPTransport.handle_request`` and
``AsyncHTTPTransport.handle_async_request`` (of ``httpx2``, and of ``httpx`` when it is
installed). Each asks the innermost active mock (``Router``) for the answer; a host it does
not serve and was not allowed is refused with ``NetworkRefused``; an allowed one goes to the
network as before.
"""

from __future__ import annotations

import http
import importlib
import io
import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit


class NetworkRefused(ConnectionError):
    """A request inside ``mock_pipedrive`` to a host that is neither Pipedrive's nor allowed.

    A connection error (``OSError``), as the network's refusal would be: a webhook delivery
    to a receiver the test did not register fails like one to an unreachable address."""


@dataclass
class Sent:
    """A request as the mock sees it, whichever client sent it."""

    method: str
    url: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "").lower()


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Router(Protocol):
    def serves(self, sent: Sent) -> bool: ...

    def answer(self, sent: Sent) -> Answer: ...

    async def answer_async(self, sent: Sent) -> Answer: ...

    def allows(self, host: str) -> bool: ...


_lock = threading.Lock()
_active: list[Router] = []
_originals: list[tuple[Any, str, Any]] = []


def _current(sent: Sent) -> Router | None:
    """The innermost active mock, if it answers ``sent``; raises if nothing may."""
    router = _active[-1] if _active else None
    if router is None or not router.serves(sent):
        if router is not None and not router.allows(sent.host):
            raise NetworkRefused(
                f"dealbase.testing.mock_pipedrive refused {sent.method} {sent.url}: only Pipedrive's hosts are "
                f"answered; pass allow=[{sent.host!r}] to let it through"
            )
        return None
    return router


# -- requests -------------------------------------------------------------------------------


def _requests_send(original):
    import requests
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers
    from urllib3 import HTTPResponse

    def send(adapter, request, *args, **kwargs):
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        elif not isinstance(body, bytes):  # a generator or a file: read it whole
            body = body.read() if hasattr(body, "read") else b"".join(body)
        sent = Sent(request.method, request.url, list(request.headers.items()), body)
        router = _current(sent)
        if router is None:
            return original(adapter, request, *args, **kwargs)
        got = router.answer(sent)
        response = requests.Response()
        response.status_code = got.status
        response.headers = CaseInsensitiveDict()
        for name, value in got.headers:
            response.headers[name] = f"{response.headers[name]}, {value}" if name in response.headers else value
        response._content, response._content_consumed = got.body, True  # read whole, streamed or not
        response.encoding = get_encoding_from_headers(response.headers)
        response.reason = http.HTTPStatus(got.status).phrase
        response.url = request.url
        response.request = request
        response.connection = adapter
        # What the network's answer carries too: clients read it (requests-cache copies it).
        response.raw = HTTPResponse(
            body=io.BytesIO(got.body),
            headers=list(got.headers),
            status=got.status,
            reason=response.reason,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        return response

    return send


# -- httpx ----------------------------------------------------------------------------------


def _httpx_sent(request, body: bytes) -> Sent:
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
    return Sent(request.method, str(request.url), headers, body)


def _httpx_handle(httpx, original):
    def handle_request(transport, request):
        sent = _httpx_sent(request, request.read())
        router = _current(sent)
        if router is None:
            return original(transport, request)
        got = router.answer(sent)
        return httpx.Response(got.status, headers=got.headers, content=got.body, request=request)

    return handle_request


def _httpx_handle_async(httpx, original):
    async def handle_async_request(transport, request):
        sent = _httpx_sent(request, await request.aread())
        router = _current(sent)
        if router is None:
            return await original(transport, request)
        got = await router.answer_async(sent)
        return httpx.Response(got.status, headers=got.headers, content=got.body, request=request)

    return handle_async_request


def _targets() -> list[tuple[Any, str, Any]]:
    """(owner, attribute, replacement) for every client installed."""
    out = []
    try:
        from requests.adapters import HTTPAdapter
    except ImportError:
        pass
    else:
        out.append((HTTPAdapter, "send", _requests_send(HTTPAdapter.send)))
    for name in ("httpx2", "httpx"):
        try:
            httpx = importlib.import_module(name)
        except ImportError:
            continue
        out.append((httpx.HTTPTransport, "handle_request", _httpx_handle(httpx, httpx.HTTPTransport.handle_request)))
        out.append(
            (
                httpx.AsyncHTTPTransport,
                "handle_async_request",
                _httpx_handle_async(httpx, httpx.AsyncHTTPTransport.handle_async_request),
            )
        )
    return out


def activate(router: Router) -> None:
    """``router`` answers from now on (the clients are patched when the first one comes)."""
    with _lock:
        if not _active:
            for owner, attribute, replacement in _targets():
                _originals.append((owner, attribute, getattr(owner, attribute)))
                setattr(owner, attribute, replacement)
        _active.append(router)


def deactivate(router: Router) -> None:
    with _lock:
        _active.remove(router)
        if not _active:
            while _originals:
                owner, attribute, original = _originals.pop()
                setattr(owner, attribute, original)


def active() -> list[Router]:
    """The active mocks, innermost last."""
    return list(_active)
