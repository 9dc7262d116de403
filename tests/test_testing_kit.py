"""dealbase.testing: ``mock_pipedrive`` and the ``pipedrive`` fixture, driven by two real
third-party clients that know nothing of dealbase, with the network off (``no_network``:
any socket connection fails the test).

* ``pipedrive-python-lib`` (``requests``, v1 at ``https://<company>.pipedrive.com/v1/``);
* ``pipedrive-api`` (``httpx2``, v2 at ``https://<company>.pipedrive.com/api/v2/``). It
  declares Python 3.14 and installs the same top-level package, ``pipedrive``, as the other,
  so the two cannot share an environment: it is loaded from a directory of its own
  (``pip install --target <venv>/clients/pipedrive-api --no-deps pipedrive-api``, or
  ``DEALBASE_TEST_PIPEDRIVE_API``), and its tests are skipped without it.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import socket
import sys
from pathlib import Path

import httpx2
import orjson
import pytest
import requests
from factories import OVER_LIMIT, UNAUTHORIZED
from support import spec

from dealbase.testing import ControlRefused, NetworkRefused, PipedriveMock, current, mock_pipedrive


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    def refuse(sock, address, *args):
        pytest.fail(f"a socket connection to {address!r} was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture(autouse=True)
def schema_checked(monkeypatch):
    """Every API answer a client gets through a mock is checked against the official schema."""
    serve = PipedriveMock._serve

    async def checked(mock, sent):
        got = await serve(mock, sent)
        api = spec.split_url(sent.url)
        if api is not None and api[0] != "oauth" and spec.specs_available():
            spec.validate_response(sent.method, sent.url, got.status, orjson.loads(got.body))
        return got

    monkeypatch.setattr(PipedriveMock, "_serve", checked)


# -- pipedrive-python-lib (requests) ---------------------------------------------------------


@pytest.fixture
def v1_client(pipedrive):
    from pipedrive.client import Client

    client = Client(domain="https://acme.pipedrive.com/")  # as its README says: the company's domain
    client.set_api_token(pipedrive.api_token)
    return client


def test_python_lib_deals_crud(v1_client):
    made = v1_client.deals.create_deal({"title": "Rocket sale", "value": 1200, "currency": "EUR"})
    assert made["success"] is True
    deal_id = made["data"]["id"]
    assert made["data"]["title"] == "Rocket sale" and made["data"]["value"] == 1200

    assert v1_client.deals.update_deal(deal_id, {"title": "Rocket deal"})["data"]["title"] == "Rocket deal"
    assert v1_client.deals.get_deal(deal_id)["data"]["title"] == "Rocket deal"
    assert [d["title"] for d in v1_client.deals.get_all_deals()["data"]] == ["Rocket deal"]

    assert v1_client.deals.delete_deal(deal_id) == {"success": True, "data": {"id": deal_id}}
    assert v1_client.deals.get_all_deals()["data"] is None


def test_python_lib_persons_crud_and_search(v1_client):
    from pipedrive.exceptions import NotFoundError

    made = v1_client.persons.create_person({"name": "Mia Tamm", "email": ["mia@northwind.example"]})
    person_id = made["data"]["id"]
    assert made["data"]["email"][0]["value"] == "mia@northwind.example"
    v1_client.persons.update_person(person_id, {"name": "Mia Kask"})
    assert v1_client.persons.get_person(person_id)["data"]["name"] == "Mia Kask"

    found = v1_client.persons.search_persons({"term": "Kask"})
    assert [item["item"]["id"] for item in found["data"]["items"]] == [person_id]
    found = v1_client.items.get_item_search({"term": "northwind"})
    assert [item["item"]["name"] for item in found["data"]["items"]] == ["Mia Kask"]

    v1_client.persons.delete_person(person_id)
    with pytest.raises(NotFoundError):
        v1_client.persons.get_person(987654)


def test_python_lib_webhook_reaches_a_python_callable(pipedrive, v1_client):
    got = []
    url = pipedrive.receive("https://hooks.example.com/pipedrive", got.append)
    hook = v1_client._post(
        v1_client.BASE_URL + "webhooks",
        json={"subscription_url": url, "event_action": "create", "event_object": "deal", "name": "deals", "version": "1.0"},
    )
    assert hook["data"]["subscription_url"] == url

    deal_id = v1_client.deals.create_deal({"title": "Hooked"})["data"]["id"]

    # delivered before the write answered
    assert [(p["meta"]["action"], p["meta"]["object"], p["current"]["id"]) for p in got] == [("added", "deal", deal_id)]
    assert got[0]["current"]["title"] == "Hooked"
    assert [(d.url, d.status, d.error) for d in pipedrive.deliveries] == [(url, 200, None)]


def test_a_receiver_may_call_the_api_while_it_is_told(pipedrive, v1_client):
    seen = []

    def fetch_the_deal(payload):
        seen.append(v1_client.deals.get_deal(payload["current"]["id"])["data"]["title"])

    url = pipedrive.receive("https://hooks.example.com/fetch", fetch_the_deal)
    v1_client._post(
        v1_client.BASE_URL + "webhooks",
        json={"subscription_url": url, "event_action": "added", "event_object": "deal", "name": "d", "version": "1.0"},
    )
    v1_client.deals.create_deal({"title": "Fetched"})
    assert seen == ["Fetched"]
    assert [(d.status, d.error) for d in pipedrive.deliveries] == [(200, None)]


def test_concurrent_async_requests_are_answered_one_at_a_time(pipedrive):
    headers = {"x-api-token": pipedrive.api_token}

    async def make_five():
        async with httpx2.AsyncClient(base_url="https://api.pipedrive.com") as client:
            made = [client.post("/api/v2/deals", json={"title": f"D{i}"}, headers=headers) for i in range(5)]
            return [r.json()["data"]["id"] for r in await asyncio.gather(*made)]

    assert sorted(asyncio.run(make_five())) == [1, 2, 3, 4, 5]


def test_a_delivery_to_an_unregistered_receiver_fails_and_the_write_stands(pipedrive, v1_client):
    url = pipedrive.receive("https://hooks.example.com/known", lambda _payload: None)
    for where in (url, "https://elsewhere.example.com/unknown"):
        v1_client._post(
            v1_client.BASE_URL + "webhooks",
            json={"subscription_url": where, "event_action": "*", "event_object": "deal", "name": "h"},
        )
    assert v1_client.deals.create_deal({"title": "Stands"})["success"] is True
    assert [d.url for d in pipedrive.deliveries] == [url]
    hooks = {h["subscription_url"]: h for h in v1_client.webhooks.get_hooks_subscription()["data"]}
    assert hooks[url]["last_http_status"] == 200
    assert hooks["https://elsewhere.example.com/unknown"]["last_http_status"] is None
    assert hooks["https://elsewhere.example.com/unknown"]["last_delivery_time"] is not None


def test_each_mock_delivers_to_its_own_webhooks():
    got: dict[str, list] = {"deal": [], "person": []}
    for subscribed in got:  # the same company, webhook id and version in both mocks
        with mock_pipedrive() as mock:
            url = mock.receive(f"https://hooks.example.com/{subscribed}", got[subscribed].append)
            token = {"api_token": mock.api_token}
            hook = {"subscription_url": url, "event_action": "*", "event_object": subscribed, "name": "h", "version": "1.0"}
            requests.post("https://api.pipedrive.com/v1/webhooks", params=token, json=hook)
            requests.post("https://api.pipedrive.com/v1/deals", params=token, json={"title": "D"})
            requests.post("https://api.pipedrive.com/v1/persons", params=token, json={"name": "P"})
    assert {name: [p["meta"]["object"] for p in payloads] for name, payloads in got.items()} == {
        "deal": ["deal"],
        "person": ["person"],
    }


def test_a_failing_receiver_is_a_failed_delivery_kept_for_the_test(pipedrive, v1_client):
    def broken(_payload):
        raise ValueError("no thanks")

    url = pipedrive.receive("https://hooks.example.com/broken", broken)
    v1_client._post(
        v1_client.BASE_URL + "webhooks",
        json={"subscription_url": url, "event_action": "*", "event_object": "person", "name": "people"},
    )
    v1_client.persons.create_person({"name": "Bo"})
    assert [(d.status, d.error) for d in pipedrive.deliveries] == [(500, "ValueError: no thanks")]


# -- pipedrive-api (httpx2) --------------------------------------------------------------------


def _pipedrive_api_dir() -> Path:
    return Path(os.environ.get("DEALBASE_TEST_PIPEDRIVE_API", Path(sys.prefix) / "clients" / "pipedrive-api"))


@pytest.fixture
def v2_client(pipedrive):
    where = _pipedrive_api_dir()
    if not (where / "pipedrive" / "endpoints").is_dir():
        pytest.skip(f"pipedrive-api is not installed at {where}")
    # Both clients are the package ``pipedrive``: this one is imported from its directory
    # for the test and forgotten after it.
    saved = {name: mod for name, mod in sys.modules.items() if name == "pipedrive" or name.startswith("pipedrive.")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(where))
    try:
        client = importlib.import_module("pipedrive.client").Pipedrive("acme", pipedrive.api_token)
    finally:
        sys.path.remove(str(where))
    try:
        yield client
    finally:
        client._client.close()
        for name in [n for n in sys.modules if n == "pipedrive" or n.startswith("pipedrive.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def test_pipedrive_api_deals_crud_and_search(v2_client):
    made = v2_client.deals.create({"title": "Orbit deal", "value": 500})["data"]
    assert made["title"] == "Orbit deal" and made["value"] == 500
    assert v2_client.deals.update(made["id"], {"title": "Orbit sale"})["data"]["title"] == "Orbit sale"
    assert v2_client.deals.get(made["id"])["title"] == "Orbit sale"  # it unwraps ``data`` itself
    assert [d["id"] for d in v2_client.deals.list()["data"]] == [made["id"]]

    found = v2_client.get("/v2/deals/search", params={"term": "orbit"})["data"]["items"]
    assert [item["item"]["id"] for item in found] == [made["id"]]

    assert v2_client.delete(f"/v2/deals/{made['id']}")["data"] == {"id": made["id"]}
    assert v2_client.deals.list()["data"] == []


def test_pipedrive_api_persons_crud(v2_client, pipedrive):
    got = []
    url = pipedrive.receive("https://hooks.example.com/v2", got.append)
    v2_client.post(
        "/v1/webhooks",
        json={"subscription_url": url, "event_action": "*", "event_object": "person", "name": "p", "version": "2.0"},
    )
    made = v2_client.persons.create({"name": "Ann Lee", "emails": [{"value": "ann@lee.example", "primary": True}]})
    person_id = made["data"]["id"]
    assert v2_client.persons.update(person_id, {"name": "Ann Li"})["data"]["name"] == "Ann Li"
    assert [p["name"] for p in v2_client.persons.list()["data"]] == ["Ann Li"]
    v2_client.delete(f"/v2/persons/{person_id}")
    assert v2_client.persons.list()["data"] == []
    assert [(p["meta"]["action"], p["meta"]["entity_id"]) for p in got] == [
        ("create", str(person_id)),
        ("change", str(person_id)),
        ("delete", str(person_id)),
    ]


# -- httpx2 directly: sync and async, hosts ---------------------------------------------------


def test_httpx_sync_and_async_reach_the_same_company(pipedrive):
    headers = {"x-api-token": pipedrive.api_token}
    with httpx2.Client(base_url="https://acme.pipedrive.com") as client:
        made = client.post("/api/v2/deals", json={"title": "Sync"}, headers=headers)
    assert made.status_code == 201 or made.status_code == 200
    assert made.json()["data"]["title"] == "Sync"

    async def listed():
        async with httpx2.AsyncClient(base_url="https://api.pipedrive.com") as client:
            return await client.get("/api/v2/deals", headers=headers)

    got = asyncio.run(listed())
    assert got.status_code == 200
    assert [d["title"] for d in got.json()["data"]] == ["Sync"]


def test_a_streamed_requests_answer_reads_whole(pipedrive):
    got = requests.get(
        "https://api.pipedrive.com/v1/users/me", params={"api_token": pipedrive.api_token}, stream=True
    )
    assert b"".join(got.iter_content(7)) == got.content
    assert got.json()["data"]["email"] == "admin@sandbox.test"


def test_a_wrong_token_gets_pipedrives_401(pipedrive):
    got = requests.get("https://api.pipedrive.com/v1/deals", params={"api_token": "nope"})
    assert got.status_code == 401
    assert got.json() == UNAUTHORIZED


def test_the_oauth_host_is_dealbases_oauth_server(pipedrive):
    got = requests.post(
        "https://oauth.pipedrive.com/oauth/token",
        data={"grant_type": "authorization_code", "code": "x", "redirect_uri": "https://app.example/cb"},
        auth=("no-such-client", "secret"),
    )
    assert got.status_code == 400
    assert got.json() == {
        "success": False,
        "message": "Invalid client: client is invalid",
        "error": "invalid_client",
        "error_description": "Invalid client: client is invalid",
    }


def test_other_hosts_are_refused_unless_allowed(pipedrive):
    with pytest.raises(NetworkRefused, match=r"refused GET https://example\.com/: .*allow=\['example\.com'\]"):
        requests.get("https://example.com/")
    with pytest.raises(NetworkRefused):
        httpx2.get("https://example.org/x")


def test_an_allowed_host_goes_to_the_network(monkeypatch):
    sent = []

    def network(_adapter, request, **_kwargs):
        sent.append(request.url)
        answer = requests.Response()
        answer.status_code, answer._content, answer.request = 204, b"", request
        return answer

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", network)
    with mock_pipedrive(allow=["example.com"]):
        assert requests.get("https://example.com/ok").status_code == 204
    assert sent == ["https://example.com/ok"]


def test_outside_the_mock_the_clients_are_as_before(pipedrive):
    from requests.adapters import HTTPAdapter

    patched = HTTPAdapter.send
    with mock_pipedrive():
        pass
    assert HTTPAdapter.send is patched  # the outer mock still answers
    assert requests.get("https://api.pipedrive.com/v1/users/me", params={"api_token": pipedrive.api_token}).ok


# -- the handle: seed, reset, control, the decorator ------------------------------------------


def test_seed_reset_and_the_control_plane(pipedrive):
    made = pipedrive.seed(deals=5)
    deals = requests.get("https://api.pipedrive.com/api/v2/deals", headers={"x-api-token": pipedrive.api_token})
    assert made["deals"] == 5 and len(deals.json()["data"]) == 5
    pipedrive.snapshots.save("seeded")
    pipedrive.faults.add(match={"path": "/never"}, status=500)

    pipedrive.reset()
    assert (pipedrive.snapshots.list(), pipedrive.faults.list(), pipedrive.requests.list()) == ([], [], [])
    deals = requests.get("https://api.pipedrive.com/api/v2/deals", headers={"x-api-token": pipedrive.api_token})
    assert deals.status_code == 200 and deals.json()["data"] == []

    status, index = pipedrive.control("GET", "/")
    assert status == 200 and index["control_plane"] == "/_dealbase"


def test_settings_for_one_mock():
    with mock_pipedrive(rate_limits=True) as mock:
        limited = requests.get("https://api.pipedrive.com/v1/users/me", params={"api_token": mock.api_token})
    with mock_pipedrive() as mock:
        plain = requests.get("https://api.pipedrive.com/v1/users/me", params={"api_token": mock.api_token})
    assert int(limited.headers["x-ratelimit-remaining"]) < int(limited.headers["x-ratelimit-limit"])
    assert "x-ratelimit-limit" not in plain.headers


def test_the_clock(pipedrive, v1_client):
    assert pipedrive.clock.freeze("2031-01-01T09:00:00Z") == {"now": "2031-01-01T09:00:00Z", "frozen": True}
    assert v1_client.deals.create_deal({"title": "Then"})["data"]["add_time"] == "2031-01-01 09:00:00"
    assert pipedrive.clock.advance(3 * 86400) == {"now": "2031-01-04T09:00:00Z", "frozen": True}
    assert pipedrive.clock.now()["now"] == "2031-01-04T09:00:00Z"
    with pytest.raises(ControlRefused, match="400"):
        pipedrive.clock.advance(-1)
    assert pipedrive.clock.now()["now"] == "2031-01-04T09:00:00Z"


def _titles(v1_client) -> list[tuple[int, str]]:
    return [(d["id"], d["title"]) for d in v1_client.deals.get_all_deals()["data"] or []]


def test_a_fault_rule_fires_through_the_client(pipedrive, v1_client):
    from pipedrive.exceptions import TooManyRequestsError

    kept = v1_client.deals.create_deal({"title": "Kept"})["data"]["id"]
    rule = pipedrive.faults.add({"match": {"operation": "getDeals"}, "status": 429}, times=1)
    assert rule == {"id": rule["id"], "match": {"operation": "getDeals"}, "status": 429, "times": 1, "hits": 0}

    assert v1_client.deals.get_deal(kept)["data"]["title"] == "Kept"  # another operation
    with pytest.raises(TooManyRequestsError) as limited:
        v1_client.deals.get_all_deals()
    assert limited.value.response.json() == OVER_LIMIT
    assert limited.value.response.headers["retry-after"] == "2"
    assert _titles(v1_client) == [(kept, "Kept")]  # fired once
    assert [(r["id"], r["hits"]) for r in pipedrive.faults.list()] == [(rule["id"], 1)]

    pipedrive.faults.add(match={"method": "POST"}, status=503)
    with pytest.raises(Exception, match="Service Unavailable"):
        v1_client.deals.create_deal({"title": "Never"})
    assert pipedrive.faults.clear(rule["id"]) == 1
    assert [r["match"] for r in pipedrive.faults.list()] == [{"method": "POST"}]
    assert pipedrive.faults.clear() == 1 and pipedrive.faults.list() == []
    assert _titles(v1_client) == [(kept, "Kept")]  # nothing was written for the fault


def test_a_refused_rule_raises_with_the_envelope(pipedrive):
    with pytest.raises(ControlRefused) as refused:
        pipedrive.faults.add(match={"operation": "getDeals"}, status=429, probability=1.5)
    assert (refused.value.status, refused.value.answer) == (
        400,
        {
            "success": False,
            "error": "probability must be a number from 0 to 1",
            "error_info": "Please check developers.pipedrive.com",
            "data": None,
            "additional_data": None,
        },
    )
    with pytest.raises(ControlRefused) as missing:
        pipedrive.faults.clear(7)
    assert (missing.value.status, missing.value.answer["error"]) == (404, "Unknown fault: 7")
    assert pipedrive.faults.list() == []


def test_a_snapshot_restore_through_the_client(pipedrive, v1_client):
    kept = v1_client.deals.create_deal({"title": "Kept"})["data"]["id"]
    saved = pipedrive.snapshots.save("before")
    assert (saved["name"], saved["counts"]["deals"]) == ("before", 1)

    v1_client.deals.delete_deal(kept)
    later = v1_client.deals.create_deal({"title": "Later"})["data"]["id"]
    assert _titles(v1_client) == [(later, "Later")]

    assert pipedrive.snapshots.restore("before")["name"] == "before"
    assert _titles(v1_client) == [(kept, "Kept")]  # the same id
    assert [s["name"] for s in pipedrive.snapshots.list()] == ["before"]

    pipedrive.snapshots.delete("before")
    assert pipedrive.snapshots.list() == []
    with pytest.raises(ControlRefused) as missing:
        pipedrive.snapshots.restore("before")
    assert (missing.value.status, missing.value.answer["error"]) == (404, "Unknown snapshot: before")
    assert _titles(v1_client) == [(kept, "Kept")]


def test_the_request_journal(pipedrive, v1_client):
    made = v1_client.deals.create_deal({"title": "Logged"})["data"]["id"]
    v1_client.deals.get_deal(made)
    newest = pipedrive.requests.list(limit=1)
    assert [(r["method"], r["path"], r["operationId"], r["status"]) for r in newest] == [
        ("GET", f"/v1/deals/{made}", "getDeal", 200)
    ]
    assert newest[0]["query"]["api_token"] == "[redacted]"
    added = pipedrive.requests.list(operation="addDeal", status=201)
    assert [(r["operationId"], r["body"]) for r in added] == [("addDeal", {"title": "Logged"})]
    assert pipedrive.requests.list(status=404) == []


def test_every_mock_starts_from_the_same_company():
    with mock_pipedrive() as first:
        requests.post("https://api.pipedrive.com/v1/deals", params={"api_token": first.api_token}, json={"title": "x"})
    with mock_pipedrive() as second:
        got = requests.get("https://api.pipedrive.com/v1/deals", params={"api_token": second.api_token}).json()
    assert (second.company_id, second.api_token) == (first.company_id, first.api_token)
    assert got["data"] is None


@mock_pipedrive()
def test_as_a_decorator():
    mock = current()
    assert isinstance(mock, PipedriveMock)
    assert requests.get("https://api.pipedrive.com/v1/users/me", params={"api_token": mock.api_token}).ok


def test_as_a_decorator_of_a_coroutine():
    @mock_pipedrive()
    async def work():
        async with httpx2.AsyncClient() as client:
            got = await client.get("https://api.pipedrive.com/v1/users/me", params={"api_token": current().api_token})
        return got.json()["data"]["email"]

    assert asyncio.run(work()) == "admin@sandbox.test"
    with pytest.raises(RuntimeError, match="no mock_pipedrive is active"):
        current()
