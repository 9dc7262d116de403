"""Routes every operation of the route table to its handler, or to a 501.

The Pipedrive API's own dispatch, under Starlette's mounts (``app.py``): a segment trie over
the table's path templates, where literal segments win over parameters (``/deals/archived``
before ``/deals/{id}``), and a path that exists with another method answers 405. Handlers
come in by explicit registration: each handler module keeps a ``Handlers`` table, and the
app factory includes them all (``api/handlers/__init__.py: register``).
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


class Handlers:
    """One handler module's operations, written beside each handler
    (``@handlers.operation("v2", "get_deals")``); the app factory wires every module's
    table into the API's ``Router`` (``api/handlers/__init__.py: register``)."""

    def __init__(self) -> None:
        # (api, name) → (handler, writes?, public?)
        self.table: dict[tuple[str, str], tuple[Handler, bool, bool]] = {}

    def operation(
        self, api: str, *names: str, write: bool = False, public: bool = False
    ) -> Callable[[Handler], Handler]:
        """Handle the named operations of ``api`` (``v1``, ``v2``, ``oauth``) with the function."""

        def add(handler: Handler) -> Handler:
            for name in names:
                if (api, name) in self.table:
                    raise RuntimeError(f"operation {(api, name)} handled twice")
                self.table[(api, name)] = (handler, write, public)
            return handler

        return add

    def per_entity(
        self, apis: str | tuple[str, ...], template: str, entities: Any, handler: Handler, *, write: bool = False
    ) -> None:
        """Handle one operation per entity, named by ``template`` (``{name}`` and ``{plural}``
        filled in: ``"get_{name}_changelog"``), in each of ``apis``, with ``handler(ctx, entity)``."""
        for api in (apis,) if isinstance(apis, str) else apis:
            for entity in entities:
                name = template.format(name=entity.name, plural=entity.plural)
                self.operation(api, name, write=write)(lambda ctx, e=entity: handler(ctx, e))


def implemented_operations() -> set[tuple[str, str]]:
    """(api, name) of every operation with a real handler, as the app factory wires them."""
    from dealbase.api import handlers  # the handler modules import this module

    router = Router()
    handlers.register(router)
    known = {(api, name) for api, _m, _p, name in OPERATIONS}
    return {key for key, op in router.operations.items() if op.handler is not None and key in known}


class Router:
    """Every operation of the route table, each answering 501 until a handler is included."""

    def __init__(self) -> None:
        self.roots: dict[str, _Node] = {"v1": _Node(), "v2": _Node(), "oauth": _Node()}
        self.operations: dict[tuple[str, str], Operation] = {}
        for api, method, path, name in (*OPERATIONS, *EXTRA_ROUTES):
            op = self.operations[(api, name)] = Operation(api, method, path, name, write=method != "GET")
            self._add(op)

    def include(self, handlers: Handlers) -> None:
        """Serve the operations a handler module handles."""
        for (api, name), (handler, write, public) in handlers.table.items():
            op = self.operations.get((api, name))
            if op is None:
                raise RuntimeError(f"no operation {(api, name)} in the route table")
            if op.handler is not None:
                raise RuntimeError(f"operation {(api, name)} handled twice")
            op.handler, op.write, op.public = handler, write, public

    def _add(self, op: Operation) -> None:
        node = self.roots[op.api]
        # Keyed by the path under the API's mount; the OAuth table's paths include theirs.
        path = op.path.removeprefix("/oauth") if op.api == "oauth" else op.path
        for segment in path.strip("/").split("/"):
            if segment.startswith("{") and segment.endswith("}"):
                if node.param is None:
                    node.param = (segment[1:-1], _Node())
                node = node.param[1]
            else:
                node = node.literal.setdefault(segment, _Node())
        node.methods[op.method] = op

    def match(self, api: str, path: str) -> tuple[dict[str, Operation], dict[str, str]] | None:
        """The operations by method at ``path`` (under the API's mount), and the path's parameters."""
        segments = path.strip("/").split("/")
        params: list[tuple[str, str]] = []
        node = self._walk(self.roots[api], segments, 0, params)
        return (node.methods, dict(params)) if node is not None else None

    def _walk(self, node: _Node, segments: list[str], i: int, params: list[tuple[str, str]]) -> _Node | None:
        """The node serving ``segments[i:]`` below ``node``; ``params`` gets the path's
        parameters on the way (those of a branch that fails are taken off again)."""
        if i == len(segments):
            return node if node.methods else None
        child = node.literal.get(segments[i])
        if child is not None:
            found = self._walk(child, segments, i + 1, params)
            if found is not None:
                return found
        if node.param is not None and segments[i]:
            name, child = node.param
            params.append((name, segments[i]))
            found = self._walk(child, segments, i + 1, params)
            if found is not None:
                return found
            params.pop()
        return None

