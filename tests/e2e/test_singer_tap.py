"""End to end: the Singer tap for Pipedrive (``tap-pipedrive``) syncs a running server.

The tap is installed, pinned, into a throwaway virtual environment of its own
(``tests/e2e/.tap-venv``, git-ignored, made once and reused while it holds the pinned
version); the test skips, saying why, only when it cannot be installed. Version 1.2.4 is
the tap's last v1 release: it reads users, files, notes, activities, deals, persons,
organizations and products incrementally through ``/v1/recents``, walks ``/v1/deals`` for
``/v1/deals/{id}/products`` and ``/v1/deals/{id}/flow``, and lists currencies, activity
types, filters, stages, pipelines and deal fields, every request on a ``/v1`` path with
``?api_token=``.

The tap has no setting for its host: its module ``tap_pipedrive.tap`` builds each URL from
a ``BASE_URL`` constant. The test runs the tap's own ``main`` with that one constant set
to the server's ``/v1`` base (a three-line launcher, below); nothing else of the tap is
changed. The server is started like ``test_node_sdk.py`` does (same fixtures), seeded over
the API, then the tap runs discovery and a sync with every stream selected, and the
records it emits per stream are counted against what the server's own v1 lists hold (the
deal flow and deal products against what the seeding made).

The incremental part: after the first sync, one deal moves stage and a person is added;
a second sync from the state the first one wrote reads exactly those (and the items
changed in the last second the tap steps back over), through ``/v1/recents``.
"""

from __future__ import annotations

import json
import subprocess
import time
import venv
from collections import Counter
from pathlib import Path

import httpx2 as httpx
import pytest
from support.locks import exclusive
from test_node_sdk import API_TOKEN, _tail, database_url, server  # noqa: F401 - fixtures

pytestmark = pytest.mark.e2e

TAP_VERSION = "1.2.4"
E2E_DIR = Path(__file__).resolve().parent
VENV_DIR = E2E_DIR / ".tap-venv"
INSTALL_TIMEOUT_S = 900
SYNC_TIMEOUT_S = 600
START_DATE = "2000-01-01T00:00:00Z"

LAUNCHER = (
    "import sys, tap_pipedrive.tap as tap\ntap.BASE_URL = sys.argv.pop(1)\nfrom tap_pipedrive.cli import main\nmain()\n"
)


def _venv_python() -> Path:
    return VENV_DIR / "bin" / "python"


def _installed_version() -> str | None:
    python = _venv_python()
    if not python.exists():
        return None
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('tap-pipedrive'))"],
        capture_output=True,
        text=True,
    )
    return probe.stdout.strip() if probe.returncode == 0 else None


@pytest.fixture(scope="session")
def tap_python() -> Path:
    with exclusive(E2E_DIR):
        _install_tap()
    return _venv_python()


def _install_tap() -> None:
    if _installed_version() != TAP_VERSION:
        venv.create(VENV_DIR, with_pip=True, clear=True)
        try:
            result = subprocess.run(
                [str(_venv_python()), "-m", "pip", "install", "-q", f"tap-pipedrive=={TAP_VERSION}"],
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            pytest.skip(f"installing tap-pipedrive=={TAP_VERSION} did not finish in {INSTALL_TIMEOUT_S} s")
        if result.returncode != 0:
            pytest.skip(f"tap-pipedrive=={TAP_VERSION} cannot be installed here:\n{_tail(result.stderr, 2000)}")


# ------------------------------------------------------------------- seeding


def _ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def _seed(client: httpx.Client) -> dict[str, int]:
    """Makes the data; answers how many records of each stream it implies beyond the
    company's defaults (the deal flow and deal products are counted here, exactly)."""
    stages = _ok(client.get("/v1/stages"))
    orgs = [_ok(client.post("/api/v2/organizations", json={"name": f"Org {n}"})) for n in range(3)]
    persons = [
        _ok(client.post("/api/v2/persons", json={"name": f"Person {n}", "org_id": orgs[n % 3]["id"]})) for n in range(5)
    ]
    products = [_ok(client.post("/api/v2/products", json={"name": f"Product {n}", "code": f"P{n}"})) for n in range(3)]
    deals = [
        _ok(client.post("/api/v2/deals", json={"title": f"Deal {n}", "person_id": persons[n % 5]["id"]}))
        for n in range(7)
    ]
    stage_changes = 0
    for n, deal in enumerate(deals[:4]):
        for stage in stages[1 : 2 + n % 2]:
            _ok(client.patch(f"/api/v2/deals/{deal['id']}", json={"stage_id": stage["id"]}))
            stage_changes += 1
    deal_products = 0
    for n, deal in enumerate(deals[:3]):
        for product in products[: n + 1]:
            body = {"product_id": product["id"], "item_price": 10 + n, "quantity": 2}
            _ok(client.post(f"/api/v2/deals/{deal['id']}/products", json=body))
            deal_products += 1
    for n, deal in enumerate(deals[:5]):
        _ok(client.post("/v1/activities", json={"subject": f"Call {n}", "deal_id": deal["id"], "done": n % 2}))
        _ok(client.post("/v1/notes", json={"content": f"Note {n}", "deal_id": deal["id"]}))
    for n in range(2):
        upload = {"file": (f"doc{n}.txt", b"hello", "text/plain")}
        _ok(client.post("/v1/files", files=upload, data={"deal_id": str(deals[n]["id"])}))
    fields = {f["key"]: f["id"] for f in _ok(client.get("/v1/dealFields", params={"limit": 500}))}
    for stage in stages[:2]:
        condition = {"object": "deal", "field_id": str(fields["stage_id"]), "operator": "=", "value": stage["id"]}
        conditions = {"glue": "and", "conditions": [{"glue": "and", "conditions": [condition]}]}
        body = {"name": f"In {stage['name']}", "type": "deals", "conditions": conditions}
        _ok(client.post("/v1/filters", json=body))
    # A deleted deal still syncs through recents (as deleted); the deal walk skips it.
    gone = _ok(client.post("/api/v2/deals", json={"title": "Gone"}))
    _ok(client.delete(f"/api/v2/deals/{gone['id']}"))
    live_deals = len(deals)
    return {
        "dealflow": live_deals + stage_changes,  # each live deal's creation, and its stage moves
        "deal_products": deal_products,
        "deleted_deals": 1,
        "first_deal": deals[0]["id"],
        "last_deal": deals[-1]["id"],
        "spare_stage": stages[3]["id"],
    }


def _count(client: httpx.Client, path: str, **params) -> int:
    total, start = 0, 0
    while True:
        body = client.get(path, params={**params, "start": start, "limit": 500}).json()
        assert body["success"], body
        total += len(body["data"] or [])
        pagination = (body.get("additional_data") or {}).get("pagination") or {}
        if not pagination.get("more_items_in_collection"):
            return total
        start = pagination["next_start"]


def _expected(client: httpx.Client, seeded: dict[str, int]) -> dict[str, int]:
    """What the server holds, per stream, read from its plain lists."""
    deal_fields = [f for f in _ok(client.get("/v1/dealFields", params={"limit": 500})) if "parent_id" not in f]
    return {
        "currency": _count(client, "/v1/currencies"),
        "activity_types": _count(client, "/v1/activityTypes"),
        "filters": _count(client, "/v1/filters"),
        "stages": _count(client, "/v1/stages"),
        "pipelines": _count(client, "/v1/pipelines"),
        "users": _count(client, "/v1/users"),
        "files": _count(client, "/v1/files"),
        "notes": _count(client, "/v1/notes"),
        "activities": _count(client, "/v1/activities", user_id=0),
        "deals": _count(client, "/v1/deals") + seeded["deleted_deals"],
        "organizations": _count(client, "/v1/organizations"),
        "persons": _count(client, "/v1/persons"),
        "products": _count(client, "/v1/products"),
        "dealflow": seeded["dealflow"],
        "deal_products": seeded["deal_products"],
        "deal_fields": len(deal_fields),
    }


# ---------------------------------------------------------------------- test


def _run_tap(python: Path, base: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(
            [str(python), "-c", LAUNCHER, base, *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=SYNC_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"tap-pipedrive {' '.join(args)} did not finish in {SYNC_TIMEOUT_S} s:\n{exc.stderr}")


def _select(catalog: dict) -> dict:
    """Select every stream."""
    for entry in catalog["streams"]:
        for meta in entry["metadata"]:
            if meta["breadcrumb"] == []:
                meta["metadata"]["selected"] = True
    return catalog


def test_tap_pipedrive_syncs_every_stream(tap_python: Path, server, tmp_path: Path) -> None:  # noqa: F811
    base = server["url"]
    with httpx.Client(base_url=base, params={"api_token": API_TOKEN}, timeout=30) as client:
        seeded = _seed(client)
        # Two seconds on, one deal and one person change: the first sync's bookmarks for
        # deals and persons are then later than the rest of them by more than the second
        # the tap steps back, so the incremental run below must not read the rest again.
        time.sleep(2.1)
        touched_deal = seeded["last_deal"]
        _ok(client.patch(f"/api/v2/deals/{touched_deal}", json={"title": "Touched"}))
        touched_person = _ok(client.post("/api/v2/persons", json={"name": "Touched"}))["id"]
        expected = _expected(client, seeded)

    config = tmp_path / "config.json"
    config.write_text(json.dumps({"api_token": API_TOKEN, "start_date": START_DATE}))
    discovered = _run_tap(tap_python, f"{base}/v1", ["--config", str(config), "--discover"], tmp_path)
    assert discovered.returncode == 0, f"discovery failed:\n{_tail(discovered.stderr)}"
    catalog = _select(json.loads(discovered.stdout))
    streams = {entry["tap_stream_id"] for entry in catalog["streams"]}
    assert streams == set(expected), f"the tap's streams changed: {sorted(streams ^ set(expected))}"
    catalog_path = tmp_path / "catalog.json"
    catalog_path.write_text(json.dumps(catalog))

    counts, ids, _records, state = _sync(tap_python, base, config, catalog_path, tmp_path, server, None)
    print(f"\n[e2e] database: {server['database_url']}; records per stream: {dict(sorted(counts.items()))}")
    assert dict(counts) == {k: v for k, v in expected.items() if v}
    # every record once: recents list an item once however often it changed
    for stream, count in counts.items():
        assert len(ids[stream]) == count, stream

    # An incremental run from the state the first one left: a later change and a new item
    # come through recents and the deal flow; what was read before is not read again.
    time.sleep(1.1)  # the new writes fall in a later second than every bookmark
    with httpx.Client(base_url=base, params={"api_token": API_TOKEN}, timeout=30) as client:
        deal_id = seeded["first_deal"]
        _ok(client.patch(f"/api/v2/deals/{deal_id}", json={"stage_id": seeded["spare_stage"], "title": "Moved"}))
        person = _ok(client.post("/api/v2/persons", json={"name": "Late"}))
    again, again_ids, _records, _state = _sync(tap_python, base, config, catalog_path, tmp_path, server, state)
    print(f"[e2e] incremental run, records per stream: {dict(sorted(again.items()))}")
    assert again_ids["deals"] == {touched_deal, deal_id}
    assert again_ids["persons"] == {touched_person, person["id"]}
    assert again["dealflow"] == counts["dealflow"] + 1  # the new stage move (the tap re-reads 3 h back)
    assert again["deal_products"] == counts["deal_products"]


def _sync(python: Path, base: str, config: Path, catalog: Path, cwd: Path, srv: dict, state: dict | None):
    """One sync: records counted and kept per stream, and the last state it wrote."""
    args = ["--config", str(config), "--catalog", str(catalog)]
    if state is not None:
        state_path = cwd / "state.json"
        state_path.write_text(json.dumps(state))
        args += ["--state", str(state_path)]
    synced = _run_tap(python, f"{base}/v1", args, cwd)
    assert synced.returncode == 0, (
        f"sync failed:\n{_tail(synced.stderr)}\n--- server output ---\n{_tail(srv['output'](), 8000)}"
    )
    counts: Counter[str] = Counter()
    ids: dict[str, set] = {}
    records: dict[str, list] = {}
    last_state: dict = {}
    for line in synced.stdout.splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] += 1
            ids.setdefault(message["stream"], set()).add(message["record"].get("id"))
            records.setdefault(message["stream"], []).append(message["record"])
        elif message["type"] == "STATE":
            last_state = message["value"]
    return counts, ids, records, last_state
