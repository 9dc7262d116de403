"""Fuzz dealbase with schemathesis over the three Pipedrive specs: no request may get a 5xx.

Every operation of the v1, legacy v1 and v2 specs gets up to ``--max-examples`` generated
requests per mode -- positive (what the spec allows), negative (what it does not) and, where
the path has integer ids, positive with those ids set to 1 (a row the run seeds first, so
the request reaches the handler's work instead of a 404) -- sent in-process (schemathesis'
ASGI transport) to a fresh dealbase as the admin of a new company. The only check is
schemathesis' ``not_a_server_error`` rule, status < 500, except that a 501 from an operation
the router has no handler for is expected (unbuilt by design). Schema conformance is the
suite's business (tests/conftest.py), not this tool's.

The run is seeded and bounded: ``--seconds`` is shared out among the operations still to run
(and within one among its modes), so the run ends close to it; the same seed sends the same
requests as long as no operation is cut short by its share of the time. Run::

    .venv/bin/python tools/fuzz.py --backend sqlite --max-examples 25 --seconds 170
    .venv/bin/python tools/fuzz.py --backend postgresql   # a throwaway database, dropped after

It prints each 5xx as it comes (operation, request, the server's exception), then a summary
grouped by cause with the shortest request of each; the exit status is 1 when any 5xx was
found. The specs are read from ``$DEALBASE_SPEC_DIR`` or ``../shared/spec``
(tests/support/spec.py); PostgreSQL from ``$DEALBASE_TEST_DATABASE_URL`` or the local server.
tests/test_fuzz.py runs it on each backend of the suite.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support import spec as specs  # noqa: E402

TOKEN = "f0220a1b2c3d4e5f60718293a4b5c6d7e8f90a1b"
HOST = "http://testserver"
# Where each spec's paths are served; the /oauth/* paths of the v1 specs are at the root.
BASE_PATHS = {"v1": "/v1", "v1-legacy": "/v1", "v2": "/api/v2"}

Progress = Callable[[str], None]

# What the company holds before the fuzzing starts: ids 1 and 2 of the common entities.
SEED: tuple[tuple[str, str, dict[str, Any]], ...] = (
    *[("POST", "/api/v2/persons", {"name": f"Person {n}", "emails": [{"value": f"p{n}@x.test"}]}) for n in (1, 2)],
    *[("POST", "/api/v2/organizations", {"name": f"Org {n}"}) for n in (1, 2)],
    *[
        ("POST", "/api/v2/products", {"name": f"Product {n}", "prices": [{"currency": "USD", "price": 5}]})
        for n in (1, 2)
    ],
    *[("POST", "/api/v2/deals", {"title": f"Deal {n}", "person_id": 1, "org_id": 1, "value": 10}) for n in (1, 2)],
    ("POST", "/api/v2/deals/1/products", {"product_id": 1, "item_price": 10, "quantity": 2}),
    ("POST", "/api/v2/activities", {"subject": "Call", "deal_id": 1, "person_id": 1}),
    ("POST", "/v1/notes", {"content": "a note", "deal_id": 1}),
    ("POST", "/v1/notes/1/comments", {"content": "a comment"}),
    ("POST", "/v1/leads", {"title": "Lead", "person_id": 1}),
    *[
        ("POST", f"/api/v2/{kind}Fields", {"field_name": "Extra", "field_type": "enum", "options": [{"label": "a"}]})
        for kind in ("deal", "person", "organization", "product")
    ],
    ("POST", "/api/v2/pipelines", {"name": "Second"}),
    ("POST", "/api/v2/stages", {"name": "Second", "pipeline_id": 2}),
    ("POST", "/api/v2/projects", {"title": "Project", "board_id": 1, "phase_id": 1}),
    ("POST", "/api/v2/tasks", {"title": "Task", "project_id": 1}),
    (
        "POST",
        "/v1/webhooks",
        {"name": "Hook", "subscription_url": "http://127.0.0.1:9/", "event_action": "*", "event_object": "*"},
    ),
)


@dataclass
class ServerError:
    operation: str
    request: str
    status: int
    body: str
    exception: str  # the server's exception at its innermost dealbase frame, then the frames above

    @property
    def cause(self) -> str:
        return self.exception.splitlines()[0] if self.exception else f"status {self.status}: {self.body[:200]}"


@dataclass
class Report:
    operations: int = 0
    examples: int = 0
    errors: list[ServerError] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)  # per operation and mode
    not_generated: list[str] = field(default_factory=list)
    not_reached: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def by_cause(self) -> dict[str, list[ServerError]]:
        groups: dict[str, list[ServerError]] = {}
        for error in self.errors:
            groups.setdefault(error.cause, []).append(error)
        return groups

    def summary(self) -> str:
        lines = []
        for cause, errors in self.by_cause().items():
            shortest = min(errors, key=lambda e: len(e.request))
            lines.append(f"5xx: {cause}")
            lines.append(f"   {len(errors)} request(s) in {', '.join(sorted({e.operation for e in errors}))}")
            lines.append(f"   e.g. {shortest.request}")
            lines.append(f"   -> {shortest.status} {shortest.body[:300]}")
        if self.not_generated:
            lines.append(f"modes schemathesis could not generate: {', '.join(self.not_generated)}")
        if self.not_reached:
            lines.append(f"operations not reached in time: {len(self.not_reached)}")
        slowest = ", ".join(f"{name} {secs:.1f} s" for name, secs in self.seconds.most_common(3))
        lines.append(f"slowest: {slowest}")
        lines.append("statuses: " + ", ".join(f"{s}: {n}" for s, n in sorted(self.statuses.items())))
        lines.append(
            f"operations run: {self.operations}, examples: {self.examples}, "
            f"5xx: {len(self.errors)} ({len(self.by_cause())} causes), elapsed: {self.elapsed:.0f} s"
        )
        return "\n".join(lines)


# ------------------------------------------------------------------------------ the server


@contextmanager
def throwaway_database(backend: str, workdir: Path) -> Iterator[str]:
    """A new, migrated database of ``backend``; a PostgreSQL one is dropped afterwards."""
    from dealbase.store.db import migrate
    from tests.support.database import postgres_database

    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'fuzz.db'}"
        migrate(url)
        yield url
        return
    admin = os.environ.get("DEALBASE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    with postgres_database(admin) as url:
        yield url


def _start(database_url: str, files_dir: Path, progress: Progress):
    """The app over a migrated, empty database: a company whose admin has ``TOKEN``, and SEED."""
    from schemathesis.python import asgi

    from dealbase.app import create_app
    from dealbase.bootstrap import create_company
    from dealbase.settings import Settings
    from dealbase.store.db import create_db_engine

    engine = create_db_engine(database_url)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        create_company(conn, name="Fuzz", domain="fuzz", admin_name="Fay", admin_email="fay@fuzz.test", token=TOKEN)
        conn.commit()
    # No deliveries: the fuzzer's webhooks name random receivers.
    settings = Settings(
        database_url=database_url,
        company_domain="fuzz",
        files_dir=str(files_dir),
        webhooks_dispatch=False,
        webhooks_allow_private=True,
    )
    app = create_app(settings, engine=engine)
    with asgi.get_client(app) as client:
        for method, path, body in SEED:
            response = client.request(method, path, json=body, headers={"x-api-token": TOKEN})
            if response.status_code >= 300:
                progress(f"seed {method} {path}: {response.status_code} {response.text[:300]}")
    return app


class _Exceptions(logging.Handler):
    """Keeps the last exception the app logged, to name a 5xx's cause."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            self.last = describe(record.exc_info[1])


def describe(exc: BaseException) -> str:
    """``Type: message @ file:line function`` at the innermost dealbase frame, then the callers."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/dealbase/" in f.filename]
    where = [f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames)]
    message = str(exc).splitlines()[0][:200] if str(exc) else ""
    return "\n".join([f"{type(exc).__name__}: {message} @ {where[0] if where else '?'}", *where[1:]])


def render_request(response) -> str:
    request = response.request
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = f"{request.method} {request.url.removeprefix(HOST)}"
    if body:
        text += f" body={body[:500]}{'…' if len(body) > 500 else ''}"
    return text


# ------------------------------------------------------------------------------ the run


class _OutOfTime(Exception):
    pass


def _type(parameter) -> str | None:
    return (parameter.definition.get("schema") or {}).get("type")


@dataclass
class _Target:
    """One spec operation and where, and how, it is served."""

    source: str  # key of specs.SPEC_FILES
    op: Any  # schemathesis APIOperation
    unbuilt: bool  # the router answers it 501

    @property
    def label(self) -> str:
        return f"{self.source} {self.op.method.upper()} {self.op.path}"

    @property
    def base_url(self) -> str:
        return HOST + ("" if self.op.path.startswith("/oauth/") else BASE_PATHS[self.source])

    def modes(self) -> dict[str, dict[str, Any]]:
        """Mode name → ``as_strategy`` options."""
        from schemathesis import GenerationMode

        if self.unbuilt:  # answered 501 before anything is read: one request shows it
            return {"positive": {}}
        modes: dict[str, dict[str, Any]] = {"positive": {}}
        # Negative data needs something to break: a body, or a parameter other than the security
        # header schemathesis adds and a plain string in the path (any string is one, so hypothesis
        # would spend seconds looking for a counterexample in vain).
        breakable = [
            p
            for p in self.op.iter_parameters()
            if "x-original-security-type" not in p.definition and not (p.location == "path" and _type(p) == "string")
        ]
        if breakable or self.op.body:
            modes["negative"] = {"generation_mode": GenerationMode.NEGATIVE}
        ids = {p.name: 1 for p in self.op.path_parameters if _type(p) == "integer"}
        if ids:
            modes["seeded ids"] = {"path_parameters": ids}
        return modes


def _targets(only: str | None, progress: Progress) -> list[_Target]:
    import schemathesis
    from schemathesis.core.result import Ok

    from dealbase.api.operations import OPERATIONS
    from dealbase.api.router import implemented_operations

    names = {(api, method, path): name for api, method, path, name in OPERATIONS}
    implemented = implemented_operations()
    targets = []
    for source in specs.SPEC_FILES:
        schema = schemathesis.openapi.from_path(specs.SPEC_DIR / specs.SPEC_FILES[source])
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                progress(f"operation not loadable: {result.err()}")
                continue
            op = result.ok()
            api = "oauth" if op.path.startswith("/oauth/") else source.removesuffix("-legacy")
            unbuilt = (api, names.get((api, op.method.upper(), op.path))) not in implemented
            targets.append(_Target(source, op, unbuilt))
    if only:
        targets = [t for t in targets if re.search(only, t.label)]
    # Deletions last, so that the seeded rows live through every other operation.
    return sorted(targets, key=lambda t: (t.op.method == "delete", list(specs.SPEC_FILES).index(t.source), t.op.path))


class _Fuzzer:
    def __init__(self, app, report: Report, max_examples: int, seed: int, progress: Progress) -> None:
        self.app = app
        self.report = report
        self.max_examples = max_examples
        self.seed = seed
        self.progress = progress
        self.exceptions = _Exceptions()

    def run(self, target: _Target, until: float) -> None:
        """Every mode of ``target``, each in its share of the time left before ``until``."""
        import hypothesis
        from hypothesis import HealthCheck, Phase, given

        target.op.app = self.app
        self.report.operations += 1
        modes = target.modes()
        for number, (mode, options) in enumerate(modes.items()):
            began = time.monotonic()
            deadline = began + (until - began) / (len(modes) - number)

            settings = hypothesis.settings(
                max_examples=1 if target.unbuilt else self.max_examples,
                deadline=None,
                database=None,
                phases=[Phase.generate],  # no shrinking: every 5xx is kept as it was sent
                suppress_health_check=list(HealthCheck),
                verbosity=hypothesis.Verbosity.quiet,
            )
            try:
                test = settings(
                    hypothesis.seed(self.seed)(
                        given(case=target.op.as_strategy(**options))(self.sender(target, deadline))
                    )
                )
                test()
            except _OutOfTime:
                pass
            except (hypothesis.errors.Unsatisfiable, hypothesis.errors.InvalidArgument) as exc:
                self.report.not_generated.append(f"{target.label} ({mode})")
                self.progress(f"not generated: {target.label} ({mode}): {type(exc).__name__}")
            self.report.seconds[f"{target.label} ({mode})"] += time.monotonic() - began

    def sender(self, target: _Target, deadline: float) -> Callable[[Any], None]:
        def send(case) -> None:
            self.send(target, case, deadline)

        return send

    def send(self, target: _Target, case, deadline: float) -> None:
        if time.monotonic() > deadline:
            raise _OutOfTime
        self.exceptions.last = ""
        response = case.call(base_url=target.base_url, headers={"x-api-token": TOKEN})
        self.report.examples += 1
        status = response.status_code
        self.report.statuses[status] += 1
        if status < 500 or (status == 501 and target.unbuilt):
            return
        error = ServerError(target.label, render_request(response), status, response.text[:1000], self.exceptions.last)
        self.report.errors.append(error)
        self.progress(f"5xx {target.label}: {error.request[:300]} -> {status} {error.cause}")


def fuzz(
    database_url: str,
    max_examples: int = 25,
    seconds: float = 170,
    seed: int = 0,
    only: str | None = None,
    progress: Progress = lambda _line: None,
) -> Report:
    """Fuzz a dealbase over ``database_url`` (migrated, empty) with every operation of the
    three specs (or those whose label ``only`` finds), in about ``seconds``."""
    from schemathesis.python import asgi

    started = time.monotonic()
    report = Report()
    app_log = logging.getLogger("dealbase")
    with tempfile.TemporaryDirectory(prefix="dealbase-fuzz-") as files:
        app = _start(database_url, Path(files), progress)
        fuzzer = _Fuzzer(app, report, max_examples, seed, progress)
        app_log.addHandler(fuzzer.exceptions)
        app_log.propagate = False  # the tracebacks are summarised, not printed
        # A malformed multipart header is the fuzzer's doing and answered 400: no need to hear of each.
        logging.getLogger("python_multipart").setLevel(logging.ERROR)
        try:
            targets = _targets(only, progress)
            progress(f"{len(targets)} operations loaded in {time.monotonic() - started:.0f} s")
            for index, target in enumerate(targets):
                left = seconds - (time.monotonic() - started)
                if left <= 0:
                    report.not_reached = [t.label for t in targets[index:]]
                    break
                fuzzer.run(target, time.monotonic() + left / (len(targets) - index))
                if index % 50 == 0:
                    progress(f"[{time.monotonic() - started:4.0f} s] {index}/{len(targets)} {target.label}")
        finally:
            app_log.removeHandler(fuzzer.exceptions)
            app_log.propagate = True
            asgi.shutdown_lifespans()  # the app's shutdown disposes of its engine
            app.engine.dispose()
    report.elapsed = time.monotonic() - started
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--max-examples", type=int, default=25, help="per operation and mode (default 25)")
    parser.add_argument("--seconds", type=float, default=170, help="time budget of the whole run (default 170)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", help="a regular expression: the operations whose label it finds ('v2 GET /deals')")
    parser.add_argument("-q", "--quiet", action="store_true", help="print the summary only")
    args = parser.parse_args(argv)
    if not specs.specs_available():
        print(specs.SKIP_REASON, file=sys.stderr)
        return 2
    progress = (lambda _line: None) if args.quiet else (lambda line: print(line, flush=True))
    with tempfile.TemporaryDirectory(prefix="dealbase-fuzz-db-") as workdir:
        with throwaway_database(args.backend, Path(workdir)) as url:
            report = fuzz(url, args.max_examples, args.seconds, args.seed, args.only, progress)
    print(f"== fuzz {args.backend}, seed {args.seed}, up to {args.max_examples} examples per operation and mode")
    print(report.summary())
    return 1 if report.errors else 0


if __name__ == "__main__":
    sys.exit(main())
