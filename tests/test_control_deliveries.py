"""The control plane's webhook deliveries: ``GET /_dealbase/companies/{id}/webhooks/deliveries``
and ``POST …/webhooks/flush``, against real receivers on 127.0.0.1.

How it relates to Pipedrive: these routes are the emulator's own (Pipedrive shows no
deliveries and sends on its schedule only); what flush sends is what the dispatcher sends,
by the same code (``events/dispatcher.py: Sender``). The retry schedule here is Pipedrive's,
unshortened (3, 30, 150 s): a test that passes does not wait for it.
"""

from __future__ import annotations

import time

import pytest
from conftest import OTHER_TOKEN, TOKEN, Api
from factories import data, make_deal, refused
from starlette.testclient import TestClient
from support.receiver import Receiver

from dealbase.app import create_app
from dealbase.store import webhooks as store

pytestmark = pytest.mark.slow  # real receivers on 127.0.0.1, each stopped in half a second: left out of the fast run

CONTROL_TOKEN = "control-secret-token"
BEARER = {"authorization": f"Bearer {CONTROL_TOKEN}"}


def _settings(base_settings, engine, files_dir, **overrides):
    values = {
        "database_url": str(engine.url),
        "files_dir": str(files_dir),
        "control_token": CONTROL_TOKEN,
        "webhooks_allow_private": True,
        "webhooks_retry_delays": "3,30,150",
        "webhooks_timeout": 2.0,
    }
    return base_settings.model_copy(update={**values, **overrides})


@pytest.fixture
def control(engine, company, files_dir, base_settings):
    """A server with a control plane and no dispatcher: only flush sends."""
    with TestClient(create_app(_settings(base_settings, engine, files_dir), engine=engine)) as c:
        yield c


@pytest.fixture
def receiver():
    made = Receiver().start()
    yield made
    made.stop()


@pytest.fixture
def failing_receiver():
    made = Receiver(always=500).start()
    yield made
    made.stop()


def add_webhook(api: Api, url: str, **fields) -> dict:
    body = {"subscription_url": url, "event_action": "*", "event_object": "deal", "name": "hook", **fields}
    response = api.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def listed(control: TestClient, company_id: int = 1, **query) -> list[dict]:
    got = control.get(f"/_dealbase/companies/{company_id}/webhooks/deliveries", params=query, headers=BEARER)
    assert got.status_code == 200, got.text
    return got.json()


def flush(control: TestClient, company_id: int = 1) -> list[dict]:
    got = control.post(f"/_dealbase/companies/{company_id}/webhooks/flush", headers=BEARER)
    assert got.status_code == 200, got.text
    return got.json()


def test_the_deliveries_list_shows_each_delivery_newest_first(control, receiver):
    api = Api(control, TOKEN)
    hook = add_webhook(api, receiver.url)
    deal = make_deal(api, title="Big one", value=100)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Bigger one"}))
    before = time.time()

    changed, created = listed(control)
    assert created["id"] < changed["id"]
    assert created["webhook_id"] == hook["id"] and created["url"] == receiver.url
    assert (created["event"], changed["event"]) == ("create.deal", "change.deal")
    assert created["payload"]["data"]["title"] == "Big one" and created["payload"]["meta"]["entity_id"] == str(
        deal["id"]
    )
    assert changed["payload"]["previous"] == {"title": "Big one"}
    assert created["status"] == "pending" and created["attempts"] == 0
    assert created["last_response_status"] is None and created["last_error"] is None
    assert created["last_attempt_time"] is None
    assert created["add_time"].endswith("Z") and created["next_attempt_time"].endswith("Z")
    assert set(created) == {
        "id", "webhook_id", "url", "event", "payload", "attempts", "status", "last_response_status",
        "last_error", "add_time", "last_attempt_time", "next_attempt_time",
    }  # fmt: skip
    assert receiver.received == []  # no dispatcher here

    assert [d["id"] for d in listed(control, limit="1")] == [changed["id"]]
    assert listed(control, status="delivered") == []
    assert len(listed(control, status="pending,failed")) == 2

    assert flush(control) == [
        {"delivery_id": one["id"], "url": receiver.url, "status": "delivered", "response_status": 200, "error": None}
        for one in (created, changed)
    ]
    assert [r.body["meta"]["action"] for r in receiver.received] == ["create", "change"]  # in order
    after = {d["id"]: d for d in listed(control)}
    assert after[created["id"]]["status"] == after[changed["id"]]["status"] == "delivered"
    assert after[created["id"]]["attempts"] == 1 and after[created["id"]]["last_response_status"] == 200
    assert after[created["id"]]["next_attempt_time"] is None
    assert after[created["id"]]["last_attempt_time"] >= time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(before - 1))
    assert flush(control) == []  # nothing pending any more


def test_flush_answers_what_each_receiver_answered(control, receiver, failing_receiver):
    api = Api(control, TOKEN)
    add_webhook(api, receiver.url)
    add_webhook(api, failing_receiver.url)
    make_deal(api)
    good, bad = sorted(listed(control), key=lambda d: d["webhook_id"])

    sent = sorted(flush(control), key=lambda s: s["delivery_id"])
    assert sent == [
        {"delivery_id": good["id"], "url": receiver.url, "status": "delivered", "response_status": 200, "error": None},
        {
            "delivery_id": bad["id"],
            "url": failing_receiver.url,
            "status": "pending",
            "response_status": 500,
            "error": "HTTP 500",
        },
    ]


def test_a_failing_receivers_delivery_waiting_for_its_retry_is_sent_at_once(control, receiver):
    api = Api(control, TOKEN)
    add_webhook(api, receiver.url)
    receiver.statuses = [503]
    make_deal(api)

    (tried,) = flush(control)
    assert (tried["status"], tried["response_status"], tried["error"]) == ("pending", 503, "HTTP 503")
    (waiting,) = listed(control)
    assert waiting["attempts"] == 1 and waiting["status"] == "pending"
    assert waiting["last_response_status"] == 503 and waiting["last_error"] == "HTTP 503"
    assert waiting["next_attempt_time"] > waiting["last_attempt_time"]  # 3 s later

    (again,) = flush(control)  # the retry is due in 3 s: flush does not wait for it
    assert again == {
        "delivery_id": waiting["id"],
        "url": receiver.url,
        "status": "delivered",
        "response_status": 200,
        "error": None,
    }
    assert [r.body["meta"]["attempt"] for r in receiver.received] == [1, 2]
    (done,) = listed(control)
    assert done["status"] == "delivered" and done["attempts"] == 2 and done["next_attempt_time"] is None


def test_a_failed_delivery_holds_its_items_later_events_back(control, receiver):
    """Flush keeps each item's events in order, as the dispatcher does."""
    api = Api(control, TOKEN)
    add_webhook(api, receiver.url)
    receiver.statuses = [500]
    deal = make_deal(api)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed"}))

    (tried,) = flush(control)
    assert tried["status"] == "pending" and tried["response_status"] == 500
    assert [d["attempts"] for d in listed(control)] == [0, 1]

    assert [s["status"] for s in flush(control)] == ["delivered", "delivered"]
    assert [(r.body["meta"]["action"], r.body["meta"]["attempt"]) for r in receiver.received] == [
        ("create", 1),
        ("create", 2),
        ("change", 1),
    ]


def test_flush_does_not_wait_for_a_ban_to_end(control, engine, receiver):
    api = Api(control, TOKEN)
    hook = add_webhook(api, receiver.url)
    make_deal(api)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        assert store.count_first_failure(conn, {"company_id": 1, "webhook_id": hook["id"]}, 1, "2999-01-01 00:00:00")
        conn.commit()

    assert [s["status"] for s in flush(control)] == ["delivered"]
    assert len(receiver.received) == 1


def test_another_companys_deliveries_are_neither_shown_nor_sent(control, other_company, receiver):
    ours, theirs = Api(control, TOKEN), Api(control, OTHER_TOKEN)
    add_webhook(ours, receiver.url)
    add_webhook(theirs, receiver.url + "/rival")
    make_deal(ours)
    make_deal(theirs)

    (mine,) = listed(control)
    (other,) = listed(control, other_company.company_id)
    assert mine["url"] == receiver.url and other["url"] == receiver.url + "/rival"

    assert [s["delivery_id"] for s in flush(control)] == [mine["id"]]
    assert [r.path for r in receiver.received] == ["/hook"]
    (still,) = listed(control, other_company.company_id)
    assert still["status"] == "pending" and still["attempts"] == 0

    assert [s["delivery_id"] for s in flush(control, other_company.company_id)] == [other["id"]]
    assert [r.path for r in receiver.received] == ["/hook", "/hook/rival"]


@pytest.mark.parametrize("method,action", [("GET", "deliveries"), ("POST", "flush")])
@pytest.mark.parametrize("company_id", ["999", "abc", "0"])
def test_an_unknown_company_is_a_404_and_nothing_is_sent(control, receiver, method, action, company_id):
    api = Api(control, TOKEN)
    add_webhook(api, receiver.url)
    make_deal(api)
    got = control.request(method, f"/_dealbase/companies/{company_id}/webhooks/{action}", headers=BEARER)
    refused(got, f"Unknown company: {company_id}", 404)
    assert receiver.received == [] and [d["status"] for d in listed(control)] == ["pending"]


@pytest.mark.parametrize(
    "query,message",
    [
        ({"limit": "0"}, "limit must be an integer from 1 to 500"),
        ({"limit": "501"}, "limit must be an integer from 1 to 500"),
        ({"limit": "ten"}, "limit must be an integer from 1 to 500"),
        ({"status": "sent"}, "status must be one or more of pending, delivered, failed, dropped"),
        ({"status": "pending,"}, "status must be one or more of pending, delivered, failed, dropped"),
    ],
)
def test_bad_list_parameters_are_a_400(control, query, message):
    got = control.get("/_dealbase/companies/1/webhooks/deliveries", params=query, headers=BEARER)
    assert got.status_code == 400
    assert got.json()["success"] is False and got.json()["error"] == message


def test_a_wrong_control_token_sends_nothing(control, receiver):
    api = Api(control, TOKEN)
    add_webhook(api, receiver.url)
    make_deal(api)
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": f"Bearer {TOKEN}"}):
        got = control.post("/_dealbase/companies/1/webhooks/flush", headers=headers)
        assert got.status_code == 401 and got.json()["error"] == "Control token missing or wrong"
    assert receiver.received == [] and [d["attempts"] for d in listed(control)] == [0]


def test_the_index_lists_the_delivery_routes(control):
    routes = control.get("/_dealbase/", headers=BEARER).json()["routes"]
    assert {"path": "/companies/{company_id}/webhooks/deliveries", "methods": "GET"} in routes
    assert {"path": "/companies/{company_id}/webhooks/flush", "methods": "POST"} in routes


@pytest.mark.slow
def test_flush_beside_a_running_dispatcher(engine, company, files_dir, base_settings, receiver):
    """With the dispatcher on, a delivery it tried and will retry in 3 s goes at once, once."""
    settings = _settings(base_settings, engine, files_dir, webhooks_dispatch=True, webhooks_poll_seconds=0.05)
    receiver.statuses = [500]
    with TestClient(create_app(settings, engine=engine)) as control:
        api = Api(control, TOKEN)
        add_webhook(api, receiver.url)
        make_deal(api)
        receiver.wait(1)  # the dispatcher's first try
        deadline = time.time() + 5
        while listed(control)[0]["last_attempt_time"] is None and time.time() < deadline:
            time.sleep(0.02)
        (sent,) = flush(control)
        assert (sent["status"], sent["response_status"]) == ("delivered", 200)
        time.sleep(0.3)
    assert [r.body["meta"]["attempt"] for r in receiver.received] == [1, 2]
