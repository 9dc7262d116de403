"""The route table against the official specs, and how much of it has real handlers.

* Every operation of the three specs (v1 current ∪ legacy, v2; ``/oauth/*`` as api
  ``oauth``) must be in ``dealbase.api.operations.OPERATIONS``, and nothing else.
* ``test_coverage_report`` writes ``coverage-report.md`` (implemented or not, per
  operation) into the pytest cache dir (``.pytest_cache/d/dealbase-coverage/``) and
  prints it; run with ``-s`` to see it.
* ``assert_unimplemented_answer_501(client)`` checks that every operation without a
  handler answers 501 with Pipedrive's envelope; ``test_unimplemented_operations_answer_501``
  runs it with the authenticated ``api`` fixture of tests/conftest.py.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.support import spec
except ImportError:  # tests/ is not a package on sys.path: pytest put tests/ itself there
    from support import spec

try:
    from dealbase.api.operations import OPERATIONS
except ImportError:  # dealbase not installed (no `pip install -e .`): use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    from dealbase.api.operations import OPERATIONS

needs_specs = pytest.mark.skipif(not spec.specs_available(), reason=spec.SKIP_REASON)

PREFIXES = {"v1": ("/v1", "/api/v1"), "v2": ("/api/v2",), "oauth": ("",)}


def _table() -> dict[tuple[str, str, str], str]:
    return {(api, method, path): name for api, method, path, name in OPERATIONS}


def _spec_operations() -> dict[tuple[str, str, str], spec.Operation]:
    return {(op.api, op.method, op.path): op for op in spec.all_operations()}


def implemented_operations() -> set[tuple[str, str]]:
    """(api, name) pairs with real handlers, from the app (a router that cannot be imported
    fails the tests that ask, as any broken import does)."""
    from dealbase.api.router import implemented_operations as from_app

    return set(from_app())


# ------------------------------------------------------------ route table vs specs


def test_route_table_is_consistent():
    keys = Counter((api, method, path) for api, method, path, _ in OPERATIONS)
    names = Counter((api, name) for api, _, _, name in OPERATIONS)
    assert [k for k, n in keys.items() if n > 1] == []
    # implemented_operations() speaks (api, name): names must be unique within an api
    assert [k for k, n in names.items() if n > 1] == []
    assert {api for api, *_ in OPERATIONS} <= set(PREFIXES)
    for api, method, path, _ in OPERATIONS:
        assert method in {"GET", "POST", "PUT", "PATCH", "DELETE"}, (api, method, path)
        assert path.startswith("/oauth/") == (api == "oauth"), (api, method, path)


@needs_specs
def test_every_spec_operation_is_in_the_route_table():
    missing = sorted(set(_spec_operations()) - set(_table()))
    assert not missing, (
        f"{len(missing)} spec operation(s) missing from dealbase.api.operations.OPERATIONS "
        "(regenerate it with tools/gen_operations.py):\n"
        + "\n".join(f"  {api} {method} {path}" for api, method, path in missing)
    )


@needs_specs
def test_route_table_has_nothing_the_specs_lack():
    extra = sorted(set(_table()) - set(_spec_operations()))
    assert not extra, "operations in OPERATIONS that no spec has:\n" + "\n".join(
        f"  {api} {method} {path}" for api, method, path in extra
    )


@needs_specs
def test_route_table_names_are_the_operation_ids():
    table = _table()
    wrong = [
        f"  {key}: table says {table[key]!r}, spec operationId {op.operation_id!r} -> {op.name!r}"
        for key, op in _spec_operations().items()
        if key in table and table[key] != op.name
    ]
    assert not wrong, "\n".join(wrong)


@needs_specs
def test_uuid_path_params_agree_with_the_specs():
    """``spec.fill_path`` must put a UUID exactly where a spec says ``format: uuid``."""
    wrong = []
    for op in spec.all_operations():
        for param in op.path_params:
            guessed = spec.param_is_uuid(op.path, param.name)
            if param.format == "uuid" and not guessed:
                wrong.append(f"  {op.method} {op.path} {{{param.name}}} is a UUID, filled with 1")
            if guessed and param.type != "string":
                wrong.append(f"  {op.method} {op.path} {{{param.name}}} is {param.type}, filled with a UUID")
    assert not wrong, "\n".join(wrong)


# ----------------------------------------------------------------- coverage report


def coverage_report(implemented: set[tuple[str, str]]) -> str:
    """Markdown: per api, every operation and whether it has a handler."""
    sources: dict[tuple[str, str, str], str] = {}
    if spec.specs_available():
        sources = {key: op.source for key, op in _spec_operations().items()}
    lines = ["# dealbase: Pipedrive API coverage", ""]
    done = {api: 0 for api in PREFIXES}
    total = Counter(api for api, *_ in OPERATIONS)
    for api, _, _, name in OPERATIONS:
        done[api] += (api, name) in implemented
    all_done, all_total = sum(done.values()), sum(total.values())
    lines.append(f"Implemented **{all_done} of {all_total}** operations ({100 * all_done / all_total:.1f}%).")
    lines.append("")
    lines += [f"- {api}: {done[api]} / {total[api]}" for api in PREFIXES]
    if sources:
        legacy = sum(1 for s in sources.values() if s == "v1-legacy")
        lines.append(f"- ({legacy} v1 operations exist only in the legacy v1 spec)")
    for api in PREFIXES:
        lines += ["", f"## {api}", "", "| done | method | path | name | spec |", "|---|---|---|---|---|"]
        for op_api, method, path, name in sorted(OPERATIONS, key=lambda o: (o[2], o[1])):
            if op_api != api:
                continue
            mark = "yes" if (api, name) in implemented else "501"
            source = sources.get((api, method, path), "")
            lines.append(f"| {mark} | {method} | `{path}` | {name} | {source} |")
    return "\n".join(lines) + "\n"


def _report_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cache = getattr(request.config, "cache", None)
    if cache is not None:
        return Path(cache.mkdir("dealbase-coverage"))
    return tmp_path_factory.mktemp("dealbase-coverage")


def test_coverage_report(request, tmp_path_factory):
    implemented = implemented_operations()
    known = {(api, name) for api, _, _, name in OPERATIONS}
    unknown = sorted(implemented - known)
    assert not unknown, f"implemented_operations() names operations the table lacks: {unknown}"

    report = coverage_report(implemented)
    path = _report_dir(request, tmp_path_factory) / "coverage-report.md"
    path.write_text(report, encoding="utf-8")
    print()  # shown with -s (or -rP)
    print(report)
    print(f"(coverage report written to {path})")


# ------------------------------------------------------------ 501 for the rest


def request_urls(api: str, method: str, path: str) -> list[str]:
    """The URLs an operation is served on, path params filled (1, or a UUID where due)."""
    filled = spec.fill_path(path)
    return [prefix + filled for prefix in PREFIXES[api]]


def assert_unimplemented_answer_501(client: Any, implemented: Iterable[tuple[str, str]] | None = None) -> list[str]:
    """Every operation without a handler must answer 501 ``{"success": false, "error": "Not implemented"}``.

    ``client`` needs ``.request(method, url)`` returning an object with ``.status_code``
    and ``.json()`` (a Starlette ``TestClient`` or an ``httpx.Client`` with a base URL
    does). v1 operations are tried on both ``/v1`` and ``/api/v1``. ``implemented``
    defaults to ``dealbase.api.router.implemented_operations()``. Works without the
    spec files. Returns the ``"METHOD url"`` strings it checked.
    """
    done = set(implemented) if implemented is not None else implemented_operations()
    checked, failures = [], []
    for api, method, path, name in OPERATIONS:
        if (api, name) in done:
            continue
        for url in request_urls(api, method, path):
            checked.append(f"{method} {url}")
            response = client.request(method, url)
            where = f"{method} {url} ({api} {name})"
            if response.status_code != 501:
                failures.append(f"{where}: status {response.status_code}, expected 501")
                continue
            try:
                body = response.json()
            except Exception as exc:  # noqa: BLE001 - any decoding failure is a failure here
                failures.append(f"{where}: 501 body is not JSON ({exc})")
                continue
            try:
                spec.validate_error_envelope(body, 501)
            except AssertionError as exc:
                failures.append(f"{where}: {exc}")
                continue
            if body.get("error") != "Not implemented":
                failures.append(f"{where}: error is {body.get('error')!r}, expected 'Not implemented'")
    if failures:
        shown = "\n".join(f"  {f}" for f in failures[:40])
        more = f"\n  ... and {len(failures) - 40} more" if len(failures) > 40 else ""
        raise AssertionError(
            f"{len(failures)} of {len(checked)} requests to unimplemented operations "
            f"did not answer 501 Not implemented:\n{shown}{more}"
        )
    return checked


def test_unimplemented_operations_answer_501(api):
    """``api`` (tests/conftest.py) is an authenticated client that also checks every
    response against the spec, so each 501 is checked against the envelope twice."""
    implemented = implemented_operations()
    if len(implemented) == len(OPERATIONS):
        pytest.skip("every operation is implemented")
    assert assert_unimplemented_answer_501(api, implemented)


def test_request_urls_fill_params():
    assert request_urls("v1", "GET", "/deals/{id}") == ["/v1/deals/1", "/api/v1/deals/1"]
    assert request_urls("v2", "GET", "/deals/{id}/products") == ["/api/v2/deals/1/products"]
    assert request_urls("v1", "GET", "/leads/{id}") == [
        f"/v1/leads/{spec.SAMPLE_UUID}",
        f"/api/v1/leads/{spec.SAMPLE_UUID}",
    ]
    assert request_urls("oauth", "POST", "/oauth/token/") == ["/oauth/token/"]
    assert request_urls("v2", "GET", "/deals/{id}/convert/status/{conversion_id}") == [
        f"/api/v2/deals/1/convert/status/{spec.SAMPLE_UUID}"
    ]


def test_501_helper_catches_wrong_answers():
    """The helper itself must fail on a 404, a 200 and a non-envelope 501."""

    class Response:
        def __init__(self, status: int, body: Any):
            self.status_code, self._body = status, body

        def json(self) -> Any:
            return self._body

    class Client:
        def __init__(self, answer: Response):
            self.answer, self.calls = answer, []

        def request(self, method: str, url: str) -> Response:
            self.calls.append((method, url))
            return self.answer

    everything_but_one = {(api, name) for api, _, _, name in OPERATIONS} - {("v2", "get_deal")}
    good = Client(Response(501, {"success": False, "error": "Not implemented", "error_info": "x"}))
    assert assert_unimplemented_answer_501(good, everything_but_one) == ["GET /api/v2/deals/1"]
    assert good.calls == [("GET", "/api/v2/deals/1")]
    for bad in (
        Response(404, {"success": False, "error": "Not found"}),
        Response(200, {"success": True, "data": None}),
        Response(501, {"detail": "Not implemented"}),
        Response(501, {"success": False, "error": "Nope"}),
    ):
        with pytest.raises(AssertionError):
            assert_unimplemented_answer_501(Client(bad), everything_but_one)
