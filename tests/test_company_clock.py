"""A company's clock (issue 12): set, frozen and advanced through the control plane, it is the
time of everything the API does for that company, and of nothing for any other.

Pipedrive's sandbox has no clock of its own; this follows Stripe's test clocks."""

from __future__ import annotations

import time

import pytest
from factories import data, make_deal, refused
from starlette.testclient import TestClient
from support.api import Api
from support.database import OTHER_TOKEN, TOKEN
from test_control_plane import CONTROL_TOKEN, bearer, control  # noqa: F401 (the control plane's client)
from test_filters import cond, field_id, make_filter, tree
from test_oauth import INVALID_TOKEN_401, code_for, exchange, make_app, oauth_error, tokens_for  # noqa: F401
from test_oauth import bearer as oauth_bearer

from dealbase.app import create_app
from dealbase.domain import company_clock

BEARER = bearer()
NEW_YEAR = "2031-01-01T09:00:00Z"
BAD_NOW = "now must be an RFC 3339 time (2031-01-01T09:00:00Z) from 1970 on, or null"
BAD_SECONDS = "seconds must be a positive integer (at most 3162240000)"


@pytest.fixture
def client(control):
    """The API and the control plane on one server (``api`` calls through it)."""
    return control


@pytest.fixture
def clock(client, company):
    """The control plane's clock of the test's company: ``clock(method, suffix="", json=...)``."""

    def call(method: str, suffix: str = "", company_id: int | None = None, **kw):
        cid = company.company_id if company_id is None else company_id
        return client.request(method, f"/_dealbase/companies/{cid}/clock{suffix}", headers=BEARER, **kw)

    return call


def test_a_company_starts_in_real_time(clock):
    got = clock("GET")
    assert got.status_code == 200
    body = got.json()
    assert body["frozen"] is False
    assert body["now"].endswith("Z") and body["now"][:2] == "20"


def test_a_deal_made_with_the_clock_frozen_has_that_time_in_v1_and_v2(clock, api):
    got = clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    assert got.status_code == 200
    assert got.json() == {"now": NEW_YEAR, "frozen": True}
    assert clock("GET").json() == {"now": NEW_YEAR, "frozen": True}
    deal = make_deal(api, title="New year")
    assert deal["add_time"] == NEW_YEAR and deal["update_time"] == NEW_YEAR
    classic = data(api.get(f"/v1/deals/{deal['id']}"))
    assert classic["add_time"] == "2031-01-01 09:00:00"
    assert classic["update_time"] == "2031-01-01 09:00:00"
    won = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"}))
    assert won["won_time"] == NEW_YEAR and won["close_time"] == NEW_YEAR
    changes = data(api.get(f"/v1/deals/{deal['id']}/flow"))
    assert {item["data"]["log_time"] for item in changes if item["object"] == "dealChange"} == {"2031-01-01 09:00:00"}


def test_webhook_payloads_carry_the_companys_time(clock, client, api, company):
    for version in ("1.0", "2.0"):
        hook = {"subscription_url": f"https://example.com/{version}", "event_action": "*", "event_object": "deal"}
        made = api.post("/v1/webhooks", json={**hook, "name": version, "version": version})
        assert made.status_code == 201, made.text
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    make_deal(api, title="New year")
    got = client.get(f"/_dealbase/companies/{company.company_id}/webhooks/deliveries", headers=BEARER)
    metas = {d["payload"]["meta"].get("version", "1.0"): d["payload"]["meta"] for d in got.json()}
    assert metas["2.0"]["timestamp"] == "2031-01-01T09:00:00.000Z"
    assert metas["1.0"]["timestamp"] == 1925024400  # 2031-01-01T09:00:00Z
    assert metas["1.0"]["timestamp_micro"] == 1925024400_000000


def test_advancing_three_days_makes_tomorrows_activity_overdue(clock, api):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    activity = data(api.post("/api/v2/activities", json={"subject": "Call back", "due_date": "2031-01-02"}))
    today = data(api.post("/api/v2/activities", json={"subject": "Today"}))
    assert today["due_date"] == "2031-01-01"
    overdue = make_filter(
        api, tree([cond(field_id(api, "due_date", "activity"), "<", "today", obj="activity")]), kind="activity"
    )
    listed = data(api.get("/api/v2/activities", params={"filter_id": overdue["id"]}))
    assert [a["id"] for a in listed] == []

    got = clock("POST", "/advance", json={"seconds": 3 * 86_400})
    assert got.status_code == 200
    assert got.json() == {"now": "2031-01-04T09:00:00Z", "frozen": True}
    listed = data(api.get("/api/v2/activities", params={"filter_id": overdue["id"]}))
    assert [a["id"] for a in listed] == [activity["id"], today["id"]]
    classic = data(api.get("/v1/activities", params={"filter_id": overdue["id"], "user_id": 0}))
    assert sorted(a["id"] for a in classic) == sorted([activity["id"], today["id"]])


def test_a_running_clock_goes_on_from_the_time_set(clock, api, monkeypatch):
    import dealbase.clock

    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-12-03 14:00:00")
    assert clock("PUT", json={"now": NEW_YEAR}).json() == {"now": NEW_YEAR, "frozen": False}
    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-12-03 14:01:30")
    assert clock("GET").json() == {"now": "2031-01-01T09:01:30Z", "frozen": False}
    assert make_deal(api)["add_time"] == "2031-01-01T09:01:30Z"
    # frozen where it stands, then running again from there
    assert clock("PUT", json={"frozen": True}).json() == {"now": "2031-01-01T09:01:30Z", "frozen": True}
    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-12-03 15:00:00")
    assert clock("GET").json()["now"] == "2031-01-01T09:01:30Z"
    assert clock("PUT", json={"frozen": False}).json() == {"now": "2031-01-01T09:01:30Z", "frozen": False}
    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-12-03 15:00:10")
    assert clock("POST", "/advance", json={"seconds": 50}).json() == {"now": "2031-01-01T09:02:30Z", "frozen": False}
    # back to real time
    assert clock("PUT", json={"now": None}).json() == {"now": "2026-12-03T15:00:10Z", "frozen": False}
    assert make_deal(api)["add_time"] == "2026-12-03T15:00:10Z"


def test_a_frozen_clock_may_be_set_backwards(clock, api):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    got = clock("PUT", json={"now": "2030-06-01T00:00:00+02:00"})
    assert got.status_code == 200
    assert got.json() == {"now": "2030-05-31T22:00:00Z", "frozen": True}
    assert make_deal(api)["add_time"] == "2030-05-31T22:00:00Z"


def test_another_company_keeps_its_own_time(clock, api, other_company):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    other = Api(api.client, OTHER_TOKEN)
    assert make_deal(other)["add_time"] != NEW_YEAR
    assert clock("GET", company_id=other_company.company_id).json()["frozen"] is False
    assert make_deal(Api(api.client, TOKEN))["add_time"] == NEW_YEAR


@pytest.mark.parametrize(
    ("method", "suffix", "body", "message"),
    [
        ("PUT", "", {"now": "tomorrow"}, BAD_NOW),
        ("PUT", "", {"now": 1924851600}, BAD_NOW),
        ("PUT", "", {"now": "1969-12-31T23:59:59Z"}, BAD_NOW),
        ("PUT", "", {"frozen": "yes"}, "frozen must be true or false"),
        ("PUT", "", {"now": None, "frozen": True}, "A clock set back to real time cannot be frozen"),
        ("PUT", "", {"speed": 2}, "Unknown key: speed (takes frozen, now)"),
        ("POST", "/advance", {"seconds": -60}, BAD_SECONDS),
        ("POST", "/advance", {"seconds": 0}, BAD_SECONDS),
        ("POST", "/advance", {"seconds": 1.5}, BAD_SECONDS),
        ("POST", "/advance", {"seconds": "60"}, BAD_SECONDS),
        ("POST", "/advance", {"seconds": True}, BAD_SECONDS),
        ("POST", "/advance", {}, BAD_SECONDS),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(clock, method, suffix, body, message):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    refused(clock(method, suffix, json=body), message)
    assert clock("GET").json() == {"now": NEW_YEAR, "frozen": True}


def test_advancing_past_the_year_9999_is_a_400(clock):
    clock("PUT", json={"now": "9999-12-31T00:00:00Z", "frozen": True})
    refused(clock("POST", "/advance", json={"seconds": 86_400}), "seconds: the clock cannot go past the year 9999")
    assert clock("GET").json() == {"now": "9999-12-31T00:00:00Z", "frozen": True}


@pytest.mark.parametrize("company_id", ["999999", "abc", "0"])
def test_an_unknown_company_is_a_404(client, clock, company_id):
    for method, suffix, body in (("GET", "", None), ("PUT", "", {"frozen": True}), ("POST", "/advance", {"seconds": 1})):
        got = client.request(method, f"/_dealbase/companies/{company_id}/clock{suffix}", headers=BEARER, json=body)
        refused(got, f"Unknown company: {company_id}", 404)


def test_the_clock_needs_the_control_token(client, clock, company):
    got = client.put(f"/_dealbase/companies/{company.company_id}/clock", json={"frozen": True}, headers={"x-api-token": TOKEN})
    assert got.status_code == 401
    assert clock("GET").json()["frozen"] is False


# -- rate limits by the company's time ---------------------------------------------------


@pytest.fixture
def limited(engine, company, files_dir, base_settings):
    """The API with rate limits on, and the control plane, on one server."""
    update = {"database_url": str(engine.url), "files_dir": str(files_dir), "rate_limits": True}
    settings = base_settings.model_copy(update={**update, "control_token": CONTROL_TOKEN})
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def _remaining(response, header: str) -> int:
    assert response.status_code == 200, response.text
    return int(response.headers[header])


def test_the_burst_window_stands_still_with_a_frozen_clock_and_moves_when_advanced(limited, company):
    api = Api(limited, TOKEN)
    control = f"/_dealbase/companies/{company.company_id}/clock"
    limited.put(control, json={"now": NEW_YEAR, "frozen": True}, headers=BEARER)
    for left in range(19, -1, -1):  # Lite: 20 requests per 2 seconds
        assert _remaining(api.get("/api/v2/deals"), "x-ratelimit-remaining") == left
    over = api.get("/api/v2/deals")
    assert over.status_code == 429 and over.headers["retry-after"] == "2"
    limited.post(f"{control}/advance", json={"seconds": 2}, headers=BEARER)
    assert _remaining(api.get("/api/v2/deals"), "x-ratelimit-remaining") == 19


def test_advancing_a_day_restores_the_daily_budget(limited, company):
    api = Api(limited, TOKEN)
    control = f"/_dealbase/companies/{company.company_id}/clock"
    limited.put(control, json={"now": NEW_YEAR, "frozen": True}, headers=BEARER)
    budget = "x-daily-ratelimit-token-remaining"
    first = _remaining(api.get("/v1/deals/summary/archived"), budget)
    assert _remaining(api.get("/v1/deals/summary/archived"), budget) == first - 80
    limited.post(f"{control}/advance", json={"seconds": 86_400}, headers=BEARER)
    assert _remaining(api.get("/v1/deals/summary/archived"), budget) == first


# -- OAuth codes and tokens expire by the company's time ----------------------------------


def test_an_access_token_expires_as_the_clock_is_advanced(clock, client, make_app):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    app = make_app()
    tokens = tokens_for(client, app)
    caller = oauth_bearer(client, tokens["access_token"])
    assert caller.get("/api/v2/deals").status_code == 200
    clock("POST", "/advance", json={"seconds": 3598})
    assert caller.get("/api/v2/deals").status_code == 200
    clock("POST", "/advance", json={"seconds": 1})
    expired = caller.get("/api/v2/deals")
    assert (expired.status_code, expired.json()) == (401, INVALID_TOKEN_401)
    # set back, it is alive again: expiry is a matter of the company's time alone
    clock("PUT", json={"now": NEW_YEAR})
    assert caller.get("/api/v2/deals").status_code == 200


def test_a_code_expires_as_the_clock_is_advanced(clock, client, make_app):
    clock("PUT", json={"now": NEW_YEAR, "frozen": True})
    app = make_app()
    code, fresh = code_for(client, app), code_for(client, app)
    clock("POST", "/advance", json={"seconds": 299})
    assert exchange(client, app, fresh).status_code == 200
    clock("POST", "/advance", json={"seconds": 1})
    oauth_error(exchange(client, app, code), 400, "invalid_grant", "Invalid grant: authorization_code has expired")


def test_a_process_reads_a_company_clock_at_most_once_per_two_seconds(engine, company, monkeypatch):
    shared: dict = {}
    moment = [time.monotonic()]
    monkeypatch.setattr(company_clock.time, "monotonic", lambda: moment[0])
    cid = company.company_id
    with engine.connect().execution_options(dealbase_write=True) as conn:
        assert company_clock.cached(conn, shared, cid).real_time
        company_clock.put(conn, cid, company_clock.read(conn, cid), {"now": "2031-01-01 09:00:00", "frozen": True})
        assert company_clock.cached(conn, shared, cid).real_time  # kept: no query
        moment[0] += company_clock.TTL_SECONDS
        assert company_clock.cached(conn, shared, cid).now() == "2031-01-01 09:00:00"
        company_clock.put(conn, cid, company_clock.read(conn, cid), {"now": None})
        company_clock.forget(shared, cid)  # what the control plane does after its change
        assert company_clock.cached(conn, shared, cid).real_time
        conn.rollback()
