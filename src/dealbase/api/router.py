"""Routes every operation of the route table to its handler, or to a 501.

A segment trie over the table's path templates: literal segments win over parameters
(``/deals/archived`` before ``/deals/{id}``), and a path that exists with another method
answers 405.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dealbase.api.operations import OPERATIONS

Handler = Callable[..., Any]


@dataclass
class Operation:
    api: str
    method: str
    path: str
    name: str
    handler: Handler | None = None
    write: bool = False
    public: bool = False


@dataclass
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    param: tuple[str, _Node] | None = None
    methods: dict[str, Operation] = field(default_factory=dict)


# Served as Pipedrive serves them though the specs do not list them: the answer to the OAuth
# consent page and token revocation. Routes only: coverage counts the specs' operations.
EXTRA_ROUTES = (
    ("oauth", "POST", "/oauth/authorize", "approve_authorization"),
    ("oauth", "POST", "/oauth/revoke", "revoke_token"),
)

# (api, name) → (handler, write?), filled by the @operation decorator at import time.
_REGISTRY: dict[tuple[str, str], tuple[Handler, bool, bool]] = {}


def operation(api: str, *names: str, write: bool = False, public: bool = False) -> Callable[[Handler], Handler]:
    """Register ``handler`` for the named operations of ``api`` (``v1``, ``v2``, ``oauth``)."""

    def register(handler: Handler) -> Handler:
        for name in names:
            key = (api, name)
            if key in _REGISTRY:
                raise RuntimeError(f"operation {key} registered twice")
            _REGISTRY[key] = (handler, write, public)
        return handler

    return register


def implemented_operations() -> set[tuple[str, str]]:
    """(api, name) of every operation with a real handler."""
    _load_handlers()
    known = {(api, name) for api, _m, _p, name in OPERATIONS}
    return {key for key in _REGISTRY if key in known}


def _load_handlers() -> None:
    import dealbase.api.handlers  # noqa: F401  (registers the handlers)


class Router:
    def __init__(self) -> None:
        _load_handlers()
        self.roots: dict[str, _Node] = {"v1": _Node(), "v2": _Node(), "oauth": _Node()}
        for api, method, path, name in (*OPERATIONS, *EXTRA_ROUTES):
            handler, write, public = _REGISTRY.get((api, name), (None, method != "GET", False))
            self._add(Operation(api, method, path, name, handler, write, public))

    def _add(self, op: Operation) -> None:
        node = self.roots[op.api]
        for segment in op.path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                if node.param is None:
                    node.param = (segment[1:-1], _Node())
                node = node.param[1]
            else:
                node = node.literal.setdefault(segment, _Node())
        node.methods[op.method] = op

    def match(self, api: str, path: str) -> tuple[dict[str, Operation], dict[str, str]] | None:
        segments = path.strip("/").split("/")
        found = self._walk(self.roots[api], segments, 0, {})
        return found

    def _walk(self, node: _Node, segments: list[str], i: int, params: dict[str, str]):
        if i == len(segments):
            return (node.methods, params) if node.methods else None
        child = node.literal.get(segments[i])
        if child is not None:
            found = self._walk(child, segments, i + 1, params)
            if found is not None:
                return found
        if node.param is not None and segments[i]:
            name, child = node.param
            found = self._walk(child, segments, i + 1, {**params, name: segments[i]})
            if found is not None:
                return found
        return None


def split_prefix(path: str) -> tuple[str, str] | None:
    """Which API a request path is for, and the path within it."""
    if path.startswith("/api/v2/"):
        return "v2", path[7:]
    if path.startswith("/v1/"):
        return "v1", path[3:]
    if path.startswith("/api/v1/"):
        return "v1", path[7:]
    if path.startswith("/oauth/"):
        return "oauth", path
    return None
