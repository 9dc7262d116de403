"""The request journal (``/_dealbase/companies/{id}/requests``), as WireMock's request log:
each company's last requests, newest first, secrets redacted."""

from __future__ import annotations

import pytest
from factories import make_deal
from support.api import Api
from support.control import BEARER, control_client
from support.database import OTHER_TOKEN, TOKEN

from dealbase.control import journal
from dealbase.control.faults import Dropped


@pytest.fixture
def control(engine, company, files_dir, base_settings):
    with control_client(engine, files_dir, base_settings, journal_size=5) as c:
        yield c


@pytest.fixture
def api(control) -> Api:
    return Api(control, TOKEN)


def requests_of(control, company_id: int, **params) -> list[dict]:
    got = control.get(f"/_dealbase/companies/{company_id}/requests", params=params, headers=BEARER)
    assert got.status_code == 200, got.text
    assert got.json()["size"] == 5
    return got.json()["requests"]


def test_the_journal_shows_a_call_with_its_operation_status_and_redacted_token(control, company):
    got = control.get(
        "/api/v2/deals",
        params={"api_token": TOKEN, "limit": "2"},
        headers={"user-agent": "Pipedrive-SDK-Javascript-23.0.0"},
    )
    assert got.status_code == 200
    [entry] = requests_of(control, company.company_id)
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v2/deals"
    assert entry["query"] == {"api_token": "[redacted]", "limit": "2"}
    assert entry["operationId"] == "getDeals"
    assert entry["status"] == 200
    assert entry["user_agent"] == "Pipedrive-SDK-Javascript-23.0.0"
    assert entry["latency_ms"] >= 0
    assert entry["time"].endswith("Z") and entry["time"][10] == "T"
    assert entry["body"] is None
    assert entry["response"] == got.text
    assert entry["fault"] is None
    assert TOKEN not in str(entry)


def test_headers_and_body_secrets_are_redacted(control, company):
    control.post(
        "/v1/deals",
        json={"title": "Big", "password": "hunter2", "nested": [{"access_token": "abc", "code": "xyz"}]},
        headers={"x-api-token": TOKEN, "cookie": "session=1"},
    )
    control.get("/v1/deals", headers={"authorization": f"Bearer {TOKEN}", "x-api-token": TOKEN})
    listed, added = requests_of(control, company.company_id)
    assert listed["headers"]["authorization"] == "[redacted]"
    assert listed["headers"]["x-api-token"] == "[redacted]"
    assert added["operationId"] == "addDeal"
    assert added["body"] == {
        "title": "Big",
        "password": "[redacted]",
        "nested": [{"access_token": "[redacted]", "code": "[redacted]"}],
    }
    assert added["headers"]["cookie"] == "[redacted]"
    assert added["headers"]["content-type"] == "application/json"
    assert TOKEN not in str(listed) + str(added)


def test_newest_first_filtered_by_operation_and_status_and_limited(control, api, company):
    deal = make_deal(api)
    api.get(f"/api/v2/deals/{deal['id']}")
    api.get("/api/v2/deals/999999")
    api.get("/api/v2/persons")
    assert [e["operationId"] for e in requests_of(control, company.company_id)] == [
        "getPersons",
        "getDeal",
        "getDeal",
        "addDeal",
    ]
    assert [e["status"] for e in requests_of(control, company.company_id, operation="getDeal")] == [404, 200]
    assert [e["status"] for e in requests_of(control, company.company_id, operation="get_deal", status="404")] == [404]
    [missing] = requests_of(control, company.company_id, status=404)
    assert missing["path"] == "/api/v2/deals/999999"
    assert '"success":false' in missing["response"]
    assert [e["operationId"] for e in requests_of(control, company.company_id, limit=1)] == ["getPersons"]


def test_a_ring_per_company_keeps_the_last_n(control, api, other_company, company):
    other = Api(control, OTHER_TOKEN)
    for n in range(7):
        api.get("/api/v2/deals", params={"limit": str(n + 1)})
    other.get("/api/v2/persons")
    mine = requests_of(control, company.company_id)
    assert [e["query"]["limit"] for e in mine] == ["7", "6", "5", "4", "3"]
    assert [e["operationId"] for e in requests_of(control, other_company.company_id)] == ["getPersons"]


def test_a_request_without_a_company_is_not_kept(control, company):
    assert control.get("/api/v2/deals", headers={"x-api-token": "wrong"}).status_code == 401
    assert requests_of(control, company.company_id) == []


def test_a_fault_is_journaled_with_its_rule(control, api, company):
    rule = control.post(
        "/_dealbase/faults", json={"match": {"operation": "getDeals"}, "status": 429}, headers=BEARER
    ).json()
    assert api.get("/api/v2/deals").status_code == 429
    [entry] = requests_of(control, company.company_id)
    assert (entry["status"], entry["fault"]) == (429, rule["id"])
    assert '"errorCode":429' in entry["response"]


def test_a_dropped_request_is_kept_without_a_status(control, api, company):
    control.post("/_dealbase/faults", json={"match": {"operation": "addDeal"}, "drop": True}, headers=BEARER)
    with pytest.raises(Dropped):
        api.post("/api/v2/deals", json={"title": "Lost", "password": "x"})
    [entry] = requests_of(control, company.company_id)
    assert (entry["operationId"], entry["status"], entry["response"]) == ("addDeal", None, None)
    assert entry["body"] == {"title": "Lost", "password": "[redacted]"}


def test_a_long_answer_is_cut_to_its_start(control, api, company):
    for _ in range(3):
        make_deal(api)
    got = api.get("/v1/deals")
    [entry] = requests_of(control, company.company_id, operation="getDeals")
    assert len(got.content) > journal.RESPONSE_START
    assert entry["response"] == got.content[: journal.RESPONSE_START].decode()


def test_secrets_in_an_answer_are_redacted_even_cut_short():
    answer = b'{"access_token":"aaa","refresh_token":"bbb","code":"USD","password":"cut sh'
    entry = journal.Entry(
        0.0, "POST", "/oauth/token", b"", "oauth", "get_tokens", 200, 1.0, [], None, answer, b"application/json", None
    )
    shown = journal.shown(entry)
    assert shown["operationId"] == "get-tokens"
    assert (
        shown["response"]
        == '{"access_token":"[redacted]","refresh_token":"[redacted]","code":"USD","password":"[redacted]"'
    )


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"limit": "0"}, "limit must be an integer from 1 to 100000"),
        ({"limit": "-1"}, "limit must be an integer from 1 to 100000"),
        ({"limit": "x"}, "limit must be an integer from 1 to 100000"),
        ({"operation": "getDealz"}, "operation is not an operationId of Pipedrive's API: 'getDealz'"),
        ({"status": "2xx"}, "status must be an HTTP status from 100 to 599"),
    ],
)
def test_bad_filters_are_a_400(control, company, params, error):
    got = control.get(f"/_dealbase/companies/{company.company_id}/requests", params=params, headers=BEARER)
    assert got.status_code == 400
    assert got.json()["error"] == error


def test_an_unknown_company_is_a_404(control):
    got = control.get("/_dealbase/companies/987654/requests", headers=BEARER)
    assert got.status_code == 404
    assert got.json()["error"] == "Unknown company: 987654"


def test_off_outside_sandbox_mode_unless_sized(engine, company, files_dir, base_settings):
    with control_client(engine, files_dir, base_settings) as off:
        Api(off, TOKEN).get("/api/v2/deals")
        got = off.get(f"/_dealbase/companies/{company.company_id}/requests", headers=BEARER)
        assert got.status_code == 409
        assert got.json()["error"] == "The request journal is off: run in sandbox mode or set DEALBASE_JOURNAL_SIZE"
    assert journal.size_of(base_settings.model_copy(update={"sandbox": True})) == journal.SANDBOX_SIZE
    assert journal.size_of(base_settings.model_copy(update={"sandbox": True, "journal_size": 0})) == 0
