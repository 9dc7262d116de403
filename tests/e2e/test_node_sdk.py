"""End to end: the official Pipedrive Node SDK against a running ``dealbase serve``.

The scenarios live next to this file (``scenario.mjs``: the pipeline, deals and
paging; ``scenario_crm.mjs``: products, activities, notes, custom fields and leads
around a deal; ``scenario_filters.mjs``: a v1 filter listing deals in v2;
``scenario_search.mjs``: deals search and itemSearch; ``scenario_oauth.mjs``: an app made with
``dealbase app create`` through the OAuth flow, the SDK calling with its access token;
``scenario_webhooks.mjs``: v2 and v1 webhook deliveries to a listener on 127.0.0.1;
``scenario_roles.mjs``: roles, their settings and pipelines, permission sets, legacy teams;
``scenario_org_relationships.mjs``: an organization relationship read from both organizations;
``scenario_channels.mjs``: a channel receiving two messages of one conversation, the
conversation and the channel deleted, a meetings user provider link saved and deleted;
``scenario_calllogs.mjs``: a call log with a recording, uploaded and downloaded the same bytes;
``scenario_users.mjs``: the admin adds a user, who calls with the token ``dealbase user token``
prints, and deactivates them;
``scenario_projects.mjs``: project templates, a project from one with its tasks in their phases,
and the company's billing add-ons;
``scenario_visibility.mjs``: a regular user the admin adds sees their own and company-visible
deals, never the admin's owner-only one (every page of v1 and v2, search, itemSearch, a saved
filter, the summary, by id), and a webhook acting for them gets nothing of it;
``support.mjs``: what they share); this test
installs its npm dependencies (once per session, from the lockfile), starts
the server the way users do, on a free port and a fresh database, waits until
it answers, runs each scenario with ``node`` and checks that it passed.
``scenario_sandbox.mjs`` (companies made through the control plane, kept apart, reset,
restored from a snapshot, and the request journal) runs against ``dealbase serve --sandbox``
from ``test_sandbox_sdk.py``, with these fixtures and ``run_scenario``.

SQLite is always exercised. When ``DEALBASE_TEST_DATABASE_URL`` is set to a
PostgreSQL URL the test runs against PostgreSQL too: it creates a throwaway
database on that server (and drops it afterwards), or uses the URL's own
database when it may not create one.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from support import npm, serve
from support.npm import tail as _tail

pytestmark = pytest.mark.e2e

E2E_DIR = Path(__file__).resolve().parent
# 40 hex characters, like a Pipedrive API token; fixed so a failed run can be replayed by hand.
API_TOKEN = "e2e0" + "5eed" * 9
READY_TIMEOUT_S = 30.0
# The servers' OAuth access-token lifetime: short, so that scenario_oauth.mjs sees one expire.
OAUTH_TOKEN_SECONDS = 4
OAUTH_CALLBACK = "http://127.0.0.1:9/oauth/callback"
SCENARIO_TIMEOUT_S = 900


# ------------------------------------------------------------------- node side


@pytest.fixture(scope="session")
def node_bin() -> str:
    node = shutil.which("node")
    npm_path = shutil.which("npm")
    if node is None or npm_path is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm_path)) if path is None)
        pytest.skip(f"{missing} not found on PATH: the Node SDK end-to-end test needs Node.js and npm")
    return node


@pytest.fixture(scope="session")
def node_modules(node_bin: str) -> Path:
    """Runs ``npm ci`` in tests/e2e once per session when the install is missing or stale."""
    return npm.install(E2E_DIR)


# ----------------------------------------------------------------- databases


def _postgres_database(base_url: str):
    """Yields a URL to a fresh database on the server of ``base_url``, or ``base_url`` itself."""
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    if not url.drivername.startswith("postgresql"):
        pytest.fail(f"DEALBASE_TEST_DATABASE_URL must be a postgresql URL, got {url.drivername!r}")
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency of dealbase
        yield base_url
        return

    name = f"dealbase_e2e_{secrets.token_hex(4)}"
    admin = url.set(drivername="postgresql", database=url.database or "postgres")
    conninfo = admin.render_as_string(hide_password=False)
    try:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        print(f"\n[e2e] cannot create a throwaway database ({exc}); using {url.database!r} as it is")
        yield base_url
        return
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:  # pragma: no cover - best effort
            print(f"\n[e2e] could not drop the throwaway database {name}: {exc}")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    from conftest import _postgres_admin_url

    base = _postgres_admin_url()
    if not base:
        pytest.skip("no PostgreSQL server answers (set DEALBASE_TEST_DATABASE_URL to a postgresql URL)")
    yield from _postgres_database(base)


# -------------------------------------------------------------------- server


@pytest.fixture
def server(database_url: str, tmp_path: Path):
    """Starts ``dealbase serve`` with the current interpreter; yields its base URL."""
    env = {
        "DEALBASE_OAUTH_ACCESS_TOKEN_SECONDS": str(OAUTH_TOKEN_SECONDS),
        # webhook deliveries to the scenario's listener on 127.0.0.1
        "DEALBASE_WEBHOOKS_ALLOW_PRIVATE": "1",
    }
    ready = serve.answers("/api/v2/deals", headers={"x-api-token": API_TOKEN})
    with serving(database_url, tmp_path, env, ready) as running:
        yield running


@contextmanager
def serving(
    database_url: str,
    workdir: Path,
    env: dict[str, str],
    ready: serve.Probe,
    args: Sequence[str] = (),
    timeout: float = READY_TIMEOUT_S,
):
    """``dealbase serve`` (with ``args``) until ``ready``; yields what ``run_scenario`` needs of it:
    ``url``, ``output()`` (the tail of its log) and ``database_url``."""
    with serve.start(database_url, workdir, API_TOKEN, env, args=args, ready=ready, timeout=timeout) as running:

        def output() -> str:
            return _tail(running.output(limit=20_000))

        yield {"url": running.url, "output": output, "database_url": database_url}


def _oauth_app(database_url: str) -> dict[str, str]:
    """Registers an app with ``dealbase app create``, as a user would; its settings for the scenario."""
    cmd = [
        sys.executable, "-m", "dealbase", "app", "create", "--name", "e2e OAuth app",
        "--redirect-uri", OAUTH_CALLBACK, "--scopes", "deals:read", "contacts:read",
        "--database-url", database_url,
    ]  # fmt: skip
    made = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if made.returncode != 0:
        pytest.fail(f"`{' '.join(cmd)}` failed ({made.returncode}):\n{made.stdout}\n{made.stderr}")
    printed = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
    return {
        "DEALBASE_OAUTH_CLIENT_ID": printed["client_id"],
        "DEALBASE_OAUTH_CLIENT_SECRET": printed["client_secret"],
        "DEALBASE_OAUTH_REDIRECT_URI": OAUTH_CALLBACK,
        "DEALBASE_OAUTH_TOKEN_SECONDS": str(OAUTH_TOKEN_SECONDS),
    }


# ---------------------------------------------------------------------- test


@pytest.mark.parametrize(
    "scenario",
    [
        "scenario.mjs",
        "scenario_crm.mjs",
        "scenario_filters.mjs",
        "scenario_search.mjs",
        "scenario_oauth.mjs",
        "scenario_webhooks.mjs",
        "scenario_roles.mjs",
        "scenario_users.mjs",
        "scenario_org_relationships.mjs",
        "scenario_channels.mjs",
        "scenario_calllogs.mjs",
        "scenario_projects.mjs",
        "scenario_visibility.mjs",
    ],
)
def test_official_node_sdk(scenario: str, node_bin: str, node_modules: Path, server) -> None:
    env = {"DEALBASE_URL": server["url"], "DEALBASE_API_TOKEN": API_TOKEN}
    if scenario == "scenario_oauth.mjs":
        env.update(_oauth_app(server["database_url"]))
    if scenario in ("scenario_users.mjs", "scenario_visibility.mjs"):  # they ask the CLI for a new user's token
        env.update(DEALBASE_PYTHON=sys.executable, DEALBASE_DATABASE_URL=server["database_url"])
    run_scenario(node_bin, scenario, env, server)


def run_scenario(node_bin: str, scenario: str, env: dict[str, str], server) -> None:
    """Runs ``node scenario`` with ``env`` added to this process's; fails the test with both
    sides' output unless it passes. ``server``: its ``database_url`` and ``output()``."""
    env = {**os.environ, **env}
    started = time.monotonic()
    try:
        result = subprocess.run(
            [node_bin, str(E2E_DIR / scenario)],
            cwd=E2E_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(
            f"node {scenario} did not finish within {SCENARIO_TIMEOUT_S} s.\n"
            f"--- scenario output ---\n{exc.stdout}\n{exc.stderr}\n"
            f"--- server output ---\n{server['output']()}"
        )
    elapsed = time.monotonic() - started
    print(f"\n[e2e] database: {server['database_url']}")
    print(result.stdout, end="")
    print(result.stderr, end="", file=sys.stderr)
    print(f"[e2e] node {scenario} took {elapsed:.1f} s")
    if result.returncode != 0:
        pytest.fail(
            f"node {scenario} exited with {result.returncode}.\n"
            f"--- scenario stdout ---\n{_tail(result.stdout)}\n"
            f"--- scenario stderr ---\n{_tail(result.stderr)}\n"
            f"--- server output (tail) ---\n{_tail(server['output'](), 8_000)}"
        )
