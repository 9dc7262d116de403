"""Fault rules (``/_dealbase/faults``): like LocalStack's chaos API and WireMock's faults, a
matched Pipedrive request answers the rule's error envelope, waits, or loses its connection;
nothing is written for a fault."""

from __future__ import annotations

import http.client
import time

import orjson
import pytest
from factories import OVER_LIMIT, UNAUTHORIZED, data, make_deal
from support import serve
from support.api import Api
from support.control import BEARER, CONTROL_TOKEN, control_client
from support.database import OTHER_TOKEN, TOKEN

from dealbase.control.faults import Dropped


@pytest.fixture
def control(engine, company, files_dir, base_settings):
    with control_client(engine, files_dir, base_settings) as c:
        yield c


@pytest.fixture
def api(control) -> Api:
    return Api(control, TOKEN)


def add_rule(control, **rule):
    got = control.post("/_dealbase/faults", json=rule, headers=BEARER)
    assert got.status_code == 201, got.text
    return got.json()


def rules(control) -> list[dict]:
    got = control.get("/_dealbase/faults", headers=BEARER)
    assert got.status_code == 200
    return got.json()["faults"]


def test_a_429_rule_answers_pipedrives_429_twice_then_the_deals(control, api):
    kept = make_deal(api, title="Kept")
    rule = add_rule(control, match={"operation": "getDeals"}, status=429, times=2)
    assert rule == {"id": rule["id"], "match": {"operation": "getDeals"}, "status": 429, "times": 2, "hits": 0}

    for _ in range(2):
        got = api.get("/api/v2/deals")
        assert got.status_code == 429
        assert got.json() == OVER_LIMIT
        assert got.headers["retry-after"] == "2"
        assert got.headers["x-ratelimit-limit"] == "20"  # the lite plan's burst
        assert got.headers["x-ratelimit-remaining"] == "0"
        assert got.headers["x-ratelimit-reset"] == "2"
        assert got.headers["x-daily-ratelimit-token-limit"] == "30000"
        assert api.get("/api/v2/persons").status_code == 200  # other operations untouched
        assert api.get(f"/api/v2/deals/{kept['id']}").status_code == 200

    got = api.get("/api/v2/deals")
    assert got.status_code == 200
    assert [d["title"] for d in data(got)] == ["Kept"]
    assert [r["hits"] for r in rules(control)] == [2]


def test_a_429_has_the_rate_limit_headers_of_the_requests_company(control, api):
    growth = control.post("/_dealbase/companies", json={"plan": "growth", "seats": 5}, headers=BEARER).json()
    add_rule(control, match={"operation": "getDeals"}, status=429, headers={"x-ratelimit-reset": "9"})
    limits = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-daily-ratelimit-token-limit")
    theirs = Api(control, growth["api_token"]).get("/api/v2/deals")
    assert theirs.status_code == 429 and theirs.json() == OVER_LIMIT
    assert [theirs.headers[h] for h in limits] == ["40", "0", "9", "300000"]  # Growth × 5 seats; reset the rule's
    mine = api.get("/api/v2/deals")
    assert mine.status_code == 429
    assert [mine.headers[h] for h in limits] == ["20", "0", "9", "30000"]  # the test's company: Lite, one seat


def test_an_operation_id_matches_its_v1_and_v2_forms(control, api):
    add_rule(control, match={"operation": "getDeals"}, status=503, times=2)
    assert api.get("/v1/deals").status_code == 503
    got = api.get("/api/v2/deals")
    assert got.status_code == 503
    assert got.json() == {
        "success": False,
        "error": "Service Unavailable",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }
    assert api.get("/v1/deals").status_code == 200


def test_a_rule_by_method_path_and_company_with_its_own_error_and_headers(control, api, other_company):
    other = Api(control, OTHER_TOKEN)
    add_rule(
        control,
        match={"method": "get", "path": "/api/v2/persons*", "company_id": other_company.company_id},
        status=500,
        error="Boom",
        headers={"x-custom": "yes"},
    )
    assert api.get("/api/v2/persons").status_code == 200  # another company
    assert api.get("/api/v2/deals").status_code == 200
    got = other.get("/api/v2/persons")
    assert got.status_code == 500
    assert got.json()["error"] == "Boom"
    assert got.headers["x-custom"] == "yes"
    assert other.post("/api/v2/persons", json={"name": "Pat"}).status_code == 200  # another method
    assert other.get("/api/v2/deals").status_code == 200  # another path


def test_nothing_is_written_for_a_fault(control, api):
    add_rule(control, match={"operation": "addDeal"}, status=500, times=1)
    got = api.post("/api/v2/deals", json={"title": "Never"})
    assert got.status_code == 500
    add_rule(control, match={"operation": "addDeal"}, drop=True, times=1)
    with pytest.raises(Dropped):
        api.post("/api/v2/deals", json={"title": "Never either"})
    assert data(api.get("/api/v2/deals")) == []
    assert data(api.post("/api/v2/deals", json={"title": "Now"}))["title"] == "Now"
    assert [r["hits"] for r in rules(control)] == [1, 1]


def test_latency_waits_then_answers(control, api):
    deal = make_deal(api)
    add_rule(control, match={"operation": "getDeal"}, latency_ms=300)
    started = time.perf_counter()
    got = api.get(f"/api/v2/deals/{deal['id']}")
    assert time.perf_counter() - started >= 0.3
    assert data(got)["id"] == deal["id"]
    started = time.perf_counter()
    assert api.get("/api/v2/deals").status_code == 200
    assert time.perf_counter() - started < 0.3


def test_latency_then_an_error(control, api):
    add_rule(control, match={"operation": "addDeal"}, latency_ms=100, status=502, times=1)
    started = time.perf_counter()
    assert api.post("/api/v2/deals", json={"title": "Late"}).status_code == 502
    assert time.perf_counter() - started >= 0.1
    assert data(api.get("/api/v2/deals")) == []


def statuses(api, n: int = 24) -> list[int]:
    return [api.get("/api/v2/deals").status_code for _ in range(n)]


def test_a_seeded_probability_picks_the_same_requests_every_time(control, api):
    rule = {"match": {"operation": "getDeals"}, "status": 503, "probability": 0.5, "seed": 42}
    add_rule(control, **rule)
    first = statuses(api)
    assert control.delete("/_dealbase/faults", headers=BEARER).json() == {"deleted": 1}
    add_rule(control, **rule)
    assert statuses(api) == first
    assert set(first) == {200, 503}
    assert rules(control)[0]["hits"] == first.count(503)


def test_rules_are_removed_one_or_all(control, api):
    one = add_rule(control, match={"operation": "getDeals"}, status=500)
    two = add_rule(control, match={"operation": "getPersons"}, status=500)
    got = control.delete(f"/_dealbase/faults/{one['id']}", headers=BEARER)
    assert got.status_code == 200 and got.json() == {"id": one["id"], "deleted": True}
    assert api.get("/api/v2/deals").status_code == 200
    assert [r["id"] for r in rules(control)] == [two["id"]]
    missing = control.delete(f"/_dealbase/faults/{one['id']}", headers=BEARER)
    assert missing.status_code == 404
    assert missing.json()["error"] == f"Unknown fault: {one['id']}"
    assert control.delete("/_dealbase/faults", headers=BEARER).json() == {"deleted": 1}
    assert rules(control) == []
    assert api.get("/api/v2/persons").status_code == 200


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ({"match": {"operation": "getDeals"}}, "A rule needs a status, latency_ms or drop"),
        (
            {"match": {"operation": "getDealz"}, "status": 500},
            "match.operation is not an operationId of Pipedrive's API: 'getDealz'",
        ),
        ({"match": {"operation": 5}, "status": 500}, "match.operation is not an operationId of Pipedrive's API: 5"),
        ({"match": {"verb": "GET"}, "status": 500}, "Unknown match field(s): verb"),
        ({"match": [], "status": 500}, "match must be an object"),
        ({"status": 500, "when": 1}, "Unknown fault rule field(s): when"),
        ({"match": {"method": "FETCH"}, "status": 500}, "match.method must be one of GET, POST, PUT, PATCH, DELETE"),
        (
            {"match": {"path": "deals"}, "status": 500},
            "match.path must be a glob on the request path, starting with / (e.g. /api/v2/deals*)",
        ),
        ({"match": {"company_id": "1"}, "status": 500}, "match.company_id must be a positive integer"),
        ({"status": 200}, "status must be an HTTP error status, 400 to 599"),
        ({"status": True}, "status must be an HTTP error status, 400 to 599"),
        ({"error": "x", "latency_ms": 5}, "error must be a string, given with a status"),
        ({"status": 500, "headers": {"a": 1}}, "headers must be an object of strings, given with a status"),
        ({"latency_ms": -1}, "latency_ms must be a number from 0 to 300000"),
        ({"drop": "yes"}, "drop must be true or false"),
        ({"drop": True, "status": 500}, "A rule either drops the connection or answers a status, not both"),
        ({"status": 500, "probability": 1.5}, "probability must be a number from 0 to 1"),
        ({"status": 500, "seed": 1}, "seed must be an integer, given with a probability"),
        ({"status": 500, "times": 0}, "times must be a positive integer"),
    ],
)
def test_a_malformed_rule_is_a_400_and_nothing_is_added(control, rule, error):
    got = control.post("/_dealbase/faults", json=rule, headers=BEARER)
    assert got.status_code == 400
    assert got.json() == {
        "success": False,
        "error": error,
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }
    assert rules(control) == []


def test_faults_need_the_control_token(control):
    assert control.post("/_dealbase/faults", json={"status": 500}).status_code == 401
    assert control.get("/_dealbase/faults", headers={"authorization": "Bearer wrong"}).status_code == 401
    assert rules(control) == []


def test_a_drop_closes_the_connection_of_a_real_server(database_url, tmp_path):
    env = {"DEALBASE_CONTROL_TOKEN": CONTROL_TOKEN}
    with serve.start(database_url, tmp_path, TOKEN, env=env) as server:
        port = int(server.url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(
            "POST",
            "/_dealbase/faults",
            body=b'{"match": {"operation": "getDeals"}, "drop": true, "times": 1}',
            headers=BEARER,
        )
        added = conn.getresponse()
        assert (added.status, orjson.loads(added.read())["drop"]) == (201, True)
        conn.request("GET", "/api/v2/deals", headers={"x-api-token": TOKEN})
        with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
            conn.getresponse()
        conn.close()
        status, _headers, _detail = serve.get(f"{server.url}/api/v2/deals", {"x-api-token": TOKEN})
        assert status == 200
        assert "Internal Server Error" not in server.output() and "Exception in ASGI" not in server.output()


def test_a_401_rule_answers_the_gateways_shape(control, api):
    add_rule(control, match={"operation": "getUsers"}, status=401, times=1)
    got = api.get("/v1/users")
    assert got.status_code == 401
    assert got.json() == UNAUTHORIZED
    assert api.get("/v1/users").status_code == 200
