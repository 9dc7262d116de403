"""Fault rules: ``POST|GET|DELETE /_dealbase/faults[/{id}]``.

A rule matches API requests by operation (the spec's operationId, v1 and v2 alike), method,
a glob on the request path and company, and then answers Pipedrive's error envelope for its
status (a 429 with the rate limit headers and ``retry-after``), waits ``latency_ms`` first, or
drops the connection (a 429's rate limit headers are those of the request's company: its
plan and seats). ``times`` limits how often it fires; ``probability`` picks the requests
it fires on, the same ones on every run with a ``seed`` (a ``random.Random`` per rule).

The rules live in the process (``plane.state["faults"]``). ``app.py`` asks ``Faults.strike``
after authentication, so the company is known, and before the handler and the rate limits,
so nothing is written or charged for a fault. With no rule, the API pays one check
(``faults.rules``).
"""

from __future__ import annotations

import asyncio
import random
import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from http import HTTPStatus
from typing import Any

from starlette.routing import BaseRoute

from dealbase.api.errors import ApiError, BadRequest, GatewayError, NotFound
from dealbase.api.operation_ids import operation_name
from dealbase.api.rate_limits import WINDOW_SECONDS, TooManyRequests, limits
from dealbase.control.plane import Call, Plane, in_transaction, known_company, route
from dealbase.domain.company_clock import Standing

# ``ctx.extra`` keys: the request's path (set by app.py while rules exist) and the rule that
# fired (so a request that waited is not struck again, and the journal shows it).
REQUEST_PATH = "request_path"
FAULT = "fault"

_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_MATCH_KEYS = {"operation", "method", "path", "company_id"}
_RULE_KEYS = {"match", "status", "error", "headers", "latency_ms", "drop", "probability", "seed", "times"}
MAX_LATENCY_MS = 300_000
# What an answer's header may hold (RFC 9110's token; printable ASCII, no line break).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")


class Dropped(Exception):
    """A ``drop`` rule fired: the connection is closed without an answer (``app.answering``)."""


class Delayed(Exception):
    """A rule with ``latency_ms`` fired: the request waits, then goes on or fails as the rule says."""

    def __init__(self, seconds: float, then: Exception | None) -> None:
        super().__init__(seconds)
        self.seconds = seconds
        self.fault = then

    async def then(self, go_on: Callable[[], Awaitable[Any]]) -> Any:
        await asyncio.sleep(self.seconds)
        if self.fault is not None:
            raise self.fault
        return await go_on()


class FaultAnswer(ApiError):
    """Pipedrive's error envelope for a rule's status."""

    def __init__(self, status: int, error: str | None, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(error or _default_error(status), status)
        self.headers = headers

    def body(self) -> dict[str, Any]:
        if self.status == 429:
            return {**TooManyRequests([]).body(), "error": self.error}
        if self.status == 401:  # the API gateway's own shape
            return GatewayError.body(self)
        return super().body()


def _default_error(status: int) -> str:
    if status == 429:
        return "Request over limit"
    if status == 401:
        return "unauthorized access"
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


@dataclass
class Rule:
    id: int
    given: dict[str, Any]  # the rule as posted, answered back
    operation: str | None
    method: str | None
    path: str | None
    company_id: int | None
    status: int | None
    error: str | None
    headers: list[tuple[bytes, bytes]]  # named in the rule: they win over a 429's own
    latency_ms: float
    drop: bool
    probability: float | None
    times: int | None
    random: random.Random = field(default_factory=random.Random)
    hits: int = 0

    def matches(self, name: str, method: str, path: str, company_id: int) -> bool:
        return (
            (self.operation is None or self.operation == name)
            and (self.method is None or self.method == method)
            and (self.path is None or fnmatchcase(path, self.path))
            and (self.company_id is None or self.company_id == company_id)
        )

    def view(self) -> dict[str, Any]:
        return {"id": self.id, **self.given, "hits": self.hits}


class Faults:
    """The process's fault rules, in the order they were added (the first that fires wins)."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self._next_id = 1
        # PostgreSQL requests run in threads: a firing is counted (and a probability drawn) once.
        self._lock = threading.Lock()

    def add(self, rule: Rule) -> Rule:
        """``rule`` (``parse_rule``'s) last in the list, with the next id."""
        with self._lock:
            rule.id = self._next_id
            self._next_id += 1
            self.rules = [*self.rules, rule]
        return rule

    def remove(self, rule_id: int | None = None) -> int:
        with self._lock:
            kept = [r for r in self.rules if rule_id is not None and r.id != rule_id]
            removed = len(self.rules) - len(kept)
            self.rules = kept
        return removed

    def remove_company(self, company_id: int) -> None:
        """Remove the rules matching ``company_id`` alone (the company is gone)."""
        with self._lock:
            self.rules = [r for r in self.rules if r.company_id != company_id]

    def strike(self, ctx: Any, op: Any, company: Standing) -> None:
        """Raise the fault of the first rule that fires on this request of ``company``, if one does."""
        path = ctx.extra.get(REQUEST_PATH, "")
        with self._lock:
            rule = next((r for r in self.rules if self._fires(r, op, path, ctx.company_id)), None)
            if rule is None:
                return
            rule.hits += 1
        ctx.extra[FAULT] = rule.id
        fault: Exception | None = None
        if rule.drop:
            fault = Dropped(f"fault {rule.id}")
        elif rule.status is not None:
            fault = FaultAnswer(rule.status, rule.error, answer_headers(rule, company))
        if rule.latency_ms:
            raise Delayed(rule.latency_ms / 1000, fault)
        if fault is not None:
            raise fault

    @staticmethod
    def _fires(rule: Rule, op: Any, path: str, company_id: int) -> bool:
        if rule.times is not None and rule.hits >= rule.times:
            return False
        if not rule.matches(op.name, op.method, path, company_id):
            return False
        # drawn only for the requests it matches, so a seed gives the same picks every run
        return rule.probability is None or rule.random.random() < rule.probability


def answer_headers(rule: Rule, company: Standing) -> list[tuple[bytes, bytes]]:
    """A firing rule's headers: a 429's rate limit headers under the company's plan and
    seats, less those the rule names, then the rule's own."""
    if rule.status != 429:
        return rule.headers
    named = {name for name, _value in rule.headers}
    return [h for h in rate_limit_headers(company.plan, company.seats) if h[0] not in named] + rule.headers


def rate_limit_headers(plan: str, seats: int) -> list[tuple[bytes, bytes]]:
    """The headers of Pipedrive's 429 for a full burst window, under a plan and seats."""
    budget_tokens, burst = limits(plan, seats)
    budget = str(budget_tokens).encode()
    reset = str(int(WINDOW_SECONDS)).encode()
    return [
        (b"x-ratelimit-limit", str(burst).encode()),
        (b"x-ratelimit-remaining", b"0"),
        (b"x-ratelimit-reset", reset),
        (b"x-daily-ratelimit-token-limit", budget),
        (b"x-daily-ratelimit-token-remaining", budget),
        (b"retry-after", reset),
    ]


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_rule(rule_id: int, given: dict[str, Any]) -> Rule:
    """A rule from its JSON, or a ``BadRequest`` saying what is wrong with it."""
    unknown = sorted(set(given) - _RULE_KEYS)
    if unknown:
        raise BadRequest(f"Unknown fault rule field(s): {', '.join(unknown)}")
    match = given.get("match", {})
    if not isinstance(match, dict):
        raise BadRequest("match must be an object")
    unknown = sorted(set(match) - _MATCH_KEYS)
    if unknown:
        raise BadRequest(f"Unknown match field(s): {', '.join(unknown)}")
    operation = match.get("operation")
    name = None
    if operation is not None:
        name = operation_name(operation) if isinstance(operation, str) else None
        if name is None:
            raise BadRequest(f"match.operation is not an operationId of Pipedrive's API: {operation!r}")
    method = match.get("method")
    if method is not None and (not isinstance(method, str) or method.upper() not in _METHODS):
        raise BadRequest(f"match.method must be one of {', '.join(_METHODS)}")
    path = match.get("path")
    if path is not None and (not isinstance(path, str) or not path.startswith(("/", "*"))):
        raise BadRequest("match.path must be a glob on the request path, starting with / (e.g. /api/v2/deals*)")
    company_id = match.get("company_id")
    if company_id is not None and (not _int(company_id) or company_id < 1):
        raise BadRequest("match.company_id must be a positive integer")

    status = given.get("status")
    if status is not None and (not _int(status) or not 400 <= status <= 599):
        raise BadRequest("status must be an HTTP error status, 400 to 599")
    error = given.get("error")
    if error is not None and (not isinstance(error, str) or status is None):
        raise BadRequest("error must be a string, given with a status")
    headers = given.get("headers", {})
    if (
        not isinstance(headers, dict)
        or not all(isinstance(v, str) for v in headers.values())
        or (headers and status is None)
    ):
        raise BadRequest("headers must be an object of strings, given with a status")
    for header, value in headers.items():
        if _HEADER_NAME.fullmatch(header) is None:
            raise BadRequest(f"headers: {header!r} is not an HTTP header name")
        if _HEADER_VALUE.fullmatch(value) is None:
            raise BadRequest(f"headers: the value of {header} must be printable ASCII on one line")
    latency = given.get("latency_ms", 0)
    if not _number(latency) or not 0 <= latency <= MAX_LATENCY_MS:
        raise BadRequest(f"latency_ms must be a number from 0 to {MAX_LATENCY_MS}")
    drop = given.get("drop", False)
    if not isinstance(drop, bool):
        raise BadRequest("drop must be true or false")
    if drop and status is not None:
        raise BadRequest("A rule either drops the connection or answers a status, not both")
    if status is None and not drop and not latency:
        raise BadRequest("A rule needs a status, latency_ms or drop")
    probability = given.get("probability")
    if probability is not None and (not _number(probability) or not 0 <= probability <= 1):
        raise BadRequest("probability must be a number from 0 to 1")
    seed = given.get("seed")
    if seed is not None and (not _int(seed) or probability is None):
        raise BadRequest("seed must be an integer, given with a probability")
    times = given.get("times")
    if times is not None and (not _int(times) or times < 1):
        raise BadRequest("times must be a positive integer")

    named = list({k.lower().encode("latin-1"): v.encode("latin-1") for k, v in headers.items()}.items())
    return Rule(
        id=rule_id,
        given={"match": match, **{k: v for k, v in given.items() if k != "match"}},
        operation=name,
        method=method.upper() if method else None,
        path=path,
        company_id=company_id,
        status=status,
        error=error,
        headers=named,
        latency_ms=float(latency),
        drop=drop,
        probability=probability,
        times=times,
        random=random.Random(seed),
    )


def of(plane: Plane) -> Faults:
    """The plane's fault rules (made on first use)."""
    return plane.state.setdefault("faults", Faults())


def routes(plane: Plane) -> list[BaseRoute]:
    faults = of(plane)

    async def add_fault(plane: Plane, call: Call) -> tuple[int, Any]:
        """Add a rule; 201 with it and its id (a rule for an unknown company is a 404)."""
        rule = parse_rule(0, call.body)
        if (company_id := rule.company_id) is not None:
            await in_transaction(plane, lambda conn: known_company(conn, company_id), write=False)
        return 201, faults.add(rule).view()

    async def get_faults(_plane: Plane, _call: Call) -> tuple[int, Any]:
        """Every rule, with how often each fired."""
        return 200, {"faults": [rule.view() for rule in faults.rules]}

    async def delete_faults(_plane: Plane, _call: Call) -> tuple[int, Any]:
        """Remove every rule."""
        return 200, {"deleted": faults.remove()}

    async def delete_fault(_plane: Plane, call: Call) -> tuple[int, Any]:
        """Remove one rule."""
        rule_id = call.int_path("fault_id")
        if not faults.remove(rule_id):
            raise NotFound(f"Unknown fault: {rule_id}")
        return 200, {"id": rule_id, "deleted": True}

    return [
        route(plane, "/faults", add_fault, ["POST"]),
        route(plane, "/faults", get_faults, ["GET"]),
        route(plane, "/faults", delete_faults, ["DELETE"]),
        route(plane, "/faults/{fault_id}", delete_fault, ["DELETE"]),
    ]


async def drop_connection(receive: Any) -> None:
    """Close the client's connection with no answer at all.

    ASGI has no message for this. Under uvicorn, ``receive`` is its request cycle's method,
    and the cycle holds the connection's transport: closed, and the loop let run once so the
    cycle knows it, uvicorn sends nothing more (no 500) when the app returns. Anywhere else
    (an in-process client) ``Dropped`` goes on up to the caller.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is None:
        raise Dropped("connection dropped by a fault rule")
    transport.close()
    await asyncio.sleep(0)
