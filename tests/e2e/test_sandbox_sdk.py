"""End to end: the sandbox, ``dealbase serve --sandbox``, with the official Pipedrive Node SDK.

``scenario_sandbox.mjs`` makes two companies at once through the control plane
(``POST /_dealbase/companies``) and drives each with the SDK pointed at the server only by its
base path: neither sees the other's data; a reset empties one and leaves the other; a
snapshot restored after deletes brings back every id, the custom field's key and the
values; the request journal shows the SDK's ``getDeals`` with its operationId, status and
user agent, and the token redacted. The server is started the way a developer does, on a
free port and a fresh database (SQLite, and PostgreSQL as ``test_node_sdk.py`` does), with
the control token fixed here; the npm install, the databases and the scenario's run are
``test_node_sdk.py``'s.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import serve
from test_node_sdk import database_url, node_bin, node_modules, run_scenario, serving  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

CONTROL_TOKEN = "e2e-sandbox-control-" + "c0ffee" * 4
# On its first start a sandbox fills its first company with the demo data set.
READY_TIMEOUT_S = 90.0


@pytest.fixture
def sandbox_server(database_url: str, tmp_path: Path):  # noqa: F811 - the imported fixture
    ready = serve.answers("/_dealbase/", headers={"authorization": f"Bearer {CONTROL_TOKEN}"})
    env = {"DEALBASE_CONTROL_TOKEN": CONTROL_TOKEN}
    with serving(database_url, tmp_path, env, ready, args=["--sandbox"], timeout=READY_TIMEOUT_S) as running:
        yield running


def test_sandbox_companies_with_the_node_sdk(node_bin: str, node_modules: Path, sandbox_server) -> None:  # noqa: F811
    env = {"DEALBASE_URL": sandbox_server["url"], "DEALBASE_CONTROL_TOKEN": CONTROL_TOKEN}
    run_scenario(node_bin, "scenario_sandbox.mjs", env, sandbox_server)
