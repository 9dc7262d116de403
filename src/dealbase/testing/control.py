"""The control plane's features as small Python objects, for a test: a company's ``Clock``,
the ``Faults`` rules, its ``Snapshots`` and its ``Requests`` (the journal). Each is a thin
layer over ``/_dealbase/…`` calls (README, "Sandbox"), made by the mock's handle
(``mock.PipedriveMock``: in-process) and by the server fixture's company
(``server.ServerCompany``: over a socket) alike; a refusal (a 4xx) raises ``ControlRefused``
with the control plane's error envelope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

# ``(method, path under /_dealbase, JSON body or None) -> (status, JSON answer)``
ControlCall = Callable[[str, str, Any], tuple[int, Any]]


class ControlRefused(RuntimeError):
    """The control plane refused a call made for the test: ``status`` and ``answer`` (its
    error envelope, ``{"success": false, "error", "error_info", …}``)."""

    def __init__(self, method: str, path: str, status: int, answer: Any) -> None:
        super().__init__(f"{method} /_dealbase{path}: {status} {answer}")
        self.status = status
        self.answer = answer


class _Feature:
    """Calls under one control path, raising ``ControlRefused`` on a refusal."""

    def __init__(self, call: ControlCall, path: str) -> None:
        self.call = call
        self.path = path

    def _ask(self, method: str, suffix: str = "", body: Any = None) -> Any:
        path = self.path + suffix
        status, answer = self.call(method, path, body)
        if status >= 400:
            raise ControlRefused(method, path, status, answer)
        return answer


class Clock(_Feature):
    """A company's clock: ``now()``, ``set(now=, frozen=)``, ``freeze(at)``,
    ``advance(seconds)``; each answers ``{"now", "frozen"}``."""

    def __init__(self, call: ControlCall, company_id: int) -> None:
        super().__init__(call, f"/companies/{company_id}/clock")

    def now(self) -> dict[str, Any]:
        return self._ask("GET")

    def set(self, **given: Any) -> dict[str, Any]:
        """``now`` (RFC 3339, earlier or later; None for real time) and / or ``frozen``."""
        return self._ask("PUT", "", given)

    def freeze(self, at: str) -> dict[str, Any]:
        return self.set(now=at, frozen=True)

    def advance(self, seconds: int) -> dict[str, Any]:
        return self._ask("POST", "/advance", {"seconds": seconds})


class Faults(_Feature):
    """Fault rules: ``add(rule)`` (the body ``POST /_dealbase/faults`` takes, as a dict or as
    keywords) answers the rule with its ``id``; ``list()`` the rules with their ``hits``;
    ``clear(rule_id)`` removes one, ``clear()`` all.

    The rules belong to the server. With ``company_id`` (the server fixture's company, on a
    server other tests share) a rule added matches that company only unless it names one,
    and ``list`` and ``clear`` see that company's rules only."""

    def __init__(self, call: ControlCall, company_id: int | None = None) -> None:
        super().__init__(call, "/faults")
        self.company_id = company_id

    def add(self, rule: dict[str, Any] | None = None, /, **fields: Any) -> dict[str, Any]:
        body = {**(rule or {}), **fields}
        if self.company_id is not None and isinstance(body.get("match", {}), dict):
            body["match"] = {"company_id": self.company_id, **body.get("match", {})}
        return self._ask("POST", "", body)

    def list(self) -> list[dict[str, Any]]:
        rules = self._ask("GET")["faults"]
        return [r for r in rules if self._ours(r)]

    def clear(self, rule_id: int | None = None) -> int:
        """Remove the rule ``rule_id`` (a missing one is refused), or every rule; how many went."""
        if rule_id is not None:
            self._ask("DELETE", f"/{rule_id}")
            return 1
        if self.company_id is None:
            return self._ask("DELETE")["deleted"]
        ours = self.list()
        for rule in ours:
            self._ask("DELETE", f"/{rule['id']}")
        return len(ours)

    def _ours(self, rule: dict[str, Any]) -> bool:
        return self.company_id is None or rule.get("match", {}).get("company_id") == self.company_id


class Snapshots(_Feature):
    """A company's snapshots: ``save(name)``, ``list()``, ``restore(name)``, ``delete(name)``;
    a snapshot is ``{"name", "created", "size", "counts"}``."""

    def __init__(self, call: ControlCall, company_id: int) -> None:
        super().__init__(call, f"/companies/{company_id}/snapshots")

    def save(self, name: str) -> dict[str, Any]:
        return self._ask("POST", "", {"name": name})

    def list(self) -> list[dict[str, Any]]:
        return self._ask("GET")

    def restore(self, name: str) -> dict[str, Any]:
        """The company back as it was saved under ``name``; the snapshot."""
        return self._ask("POST", f"/{quote(name, safe='')}/restore")

    def delete(self, name: str) -> None:
        self._ask("DELETE", f"/{quote(name, safe='')}")


class Requests(_Feature):
    """A company's request journal: ``list(limit=, operation=, status=)``, newest first, each
    ``{"time", "method", "path", "query", "operationId", "status", "latency_ms", …}`` with
    tokens and secrets redacted."""

    def __init__(self, call: ControlCall, company_id: int) -> None:
        super().__init__(call, f"/companies/{company_id}/requests")

    def list(self, limit: int | None = None, operation: str | None = None, status: int | None = None) -> list[dict]:
        given = {"limit": limit, "operation": operation, "status": status}
        query = urlencode({k: v for k, v in given.items() if v is not None})
        return self._ask("GET", f"?{query}" if query else "")["requests"]


class CompanyControls:
    """``clock``, ``faults``, ``snapshots`` and ``requests`` of one company, for a class with
    ``control`` (a ``ControlCall``) and ``company_id``. ``shared_faults``: the server's fault
    rules are other tests' too, so ``faults`` keeps to this company's."""

    control: ControlCall
    company_id: int
    shared_faults = False

    @property
    def clock(self) -> Clock:
        return Clock(self.control, self.company_id)

    @property
    def faults(self) -> Faults:
        return Faults(self.control, self.company_id if self.shared_faults else None)

    @property
    def snapshots(self) -> Snapshots:
        return Snapshots(self.control, self.company_id)

    @property
    def requests(self) -> Requests:
        return Requests(self.control, self.company_id)
