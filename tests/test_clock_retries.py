"""Webhook retries on the company's clock (issue 12): a failed delivery's retry times, its
webhook's ban and the 3 days without success are in the company's time, so with its clock
frozen a retry goes when the clock is moved past it, before the move answers, and never
earlier by real time. A company on real time is retried by real time, as always.

How it relates to Pipedrive: the schedule (3, 30, 150 s after a failure) is Pipedrive's,
unshortened here; the clock is the emulator's own (Pipedrive has none).
"""

from __future__ import annotations

import time

import pytest
from conftest import OTHER_TOKEN, TOKEN, Api
from factories import make_deal, make_person
from starlette.testclient import TestClient
from support.receiver import Receiver
from test_control_deliveries import BEARER, _settings, add_webhook, listed

from dealbase.app import create_app

pytestmark = pytest.mark.slow  # real receivers and the webhook dispatcher: left out of the fast run

FROZEN_AT = "2031-01-01T09:00:00Z"


@pytest.fixture
def receiver():
    made = Receiver().start()
    yield made
    made.stop()


def _server(engine, files_dir, base_settings, **overrides) -> TestClient:
    """The API and the control plane with the dispatcher running and polling often."""
    settings = _settings(base_settings, engine, files_dir, webhooks_dispatch=True, webhooks_poll_seconds=0.05)
    return TestClient(create_app(settings.model_copy(update=overrides), engine=engine))


def _clock(control: TestClient, method: str, suffix: str = "", company_id: int = 1, **body) -> dict:
    got = control.request(method, f"/_dealbase/companies/{company_id}/clock{suffix}", headers=BEARER, json=body)
    assert got.status_code == 200, got.text
    return got.json()


def _advance(control: TestClient, seconds: int, company_id: int = 1) -> dict:
    return _clock(control, "POST", "/advance", company_id, seconds=seconds)


def _first_try_recorded(control: TestClient, company_id: int = 1) -> dict:
    """The delivery once the dispatcher recorded its first try."""
    deadline = time.time() + 5
    while (row := listed(control, company_id)[0])["last_attempt_time"] is None and time.time() < deadline:
        time.sleep(0.02)
    return row


def _status_once_recorded(control: TestClient, company_id: int, wanted: str) -> str:
    """The first delivery's status once the dispatcher recorded the receiver's answer (the
    receiver has the request a moment before the dispatcher has its response)."""
    deadline = time.time() + 5
    while (status := listed(control, company_id)[0]["status"]) != wanted and time.time() < deadline:
        time.sleep(0.02)
    return status


def _attempts(receiver: Receiver) -> list[int]:
    return [r.body["meta"]["attempt"] for r in receiver.received]


def test_a_frozen_companys_retries_go_as_its_clock_passes_3_30_and_150_s(
    engine, company, files_dir, base_settings, receiver
):
    receiver.statuses = [500, 500, 500]
    with _server(engine, files_dir, base_settings) as control:
        _clock(control, "PUT", now=FROZEN_AT, frozen=True)
        api = Api(control, TOKEN)
        add_webhook(api, receiver.url)
        make_deal(api)
        receiver.wait(1)  # the dispatcher's first try
        first = _first_try_recorded(control)
        assert (first["status"], first["attempts"]) == ("pending", 1)
        assert first["last_attempt_time"] == FROZEN_AT
        assert first["next_attempt_time"] == "2031-01-01T09:00:03Z"
        time.sleep(0.3)  # the dispatcher polls meanwhile: nothing is due in company time
        assert _attempts(receiver) == [1]

        assert _advance(control, 2) == {"now": "2031-01-01T09:00:02Z", "frozen": True}
        assert _attempts(receiver) == [1]
        _advance(control, 1)
        assert _attempts(receiver) == [1, 2]  # sent before the advance answered
        assert listed(control)[0]["next_attempt_time"] == "2031-01-01T09:00:33Z"

        _advance(control, 29)
        assert _attempts(receiver) == [1, 2]
        _advance(control, 1)
        assert _attempts(receiver) == [1, 2, 3]
        assert listed(control)[0]["next_attempt_time"] == "2031-01-01T09:03:03Z"

        _advance(control, 149)
        assert _attempts(receiver) == [1, 2, 3]
        _advance(control, 1)
        assert _attempts(receiver) == [1, 2, 3, 4]
        last = listed(control)[0]
        assert (last["status"], last["attempts"], last["last_response_status"]) == ("delivered", 4, 200)
        assert last["last_attempt_time"] == "2031-01-01T09:03:03Z"
        time.sleep(0.2)
    assert _attempts(receiver) == [1, 2, 3, 4]


def test_the_dispatcher_does_not_retry_a_frozen_company_by_real_time(
    engine, company, files_dir, base_settings, receiver
):
    """Retries 0.1 s apart in real time would be sent within the sleep; the clock stands still."""
    receiver.statuses = [500]
    with _server(engine, files_dir, base_settings, webhooks_retry_delays="0.1,0.1,0.1") as control:
        _clock(control, "PUT", now="2021-06-01T12:00:00Z", frozen=True)  # in the past too
        api = Api(control, TOKEN)
        add_webhook(api, receiver.url)
        make_deal(api)
        receiver.wait(1)
        _first_try_recorded(control)
        time.sleep(0.5)
        assert _attempts(receiver) == [1]
        # a PUT that moves the clock forward sends what became due, as an advance does
        assert _clock(control, "PUT", now="2021-06-01T12:00:01Z") == {"now": "2021-06-01T12:00:01Z", "frozen": True}
        assert _attempts(receiver) == [1, 2]
        assert listed(control)[0]["status"] == "delivered"


def test_a_company_on_real_time_is_retried_by_real_time_beside_a_frozen_one(
    engine, company, other_company, files_dir, base_settings, receiver
):
    theirs = Receiver(statuses=[500]).start()
    try:
        with _server(engine, files_dir, base_settings, webhooks_retry_delays="0.3,30,150") as control:
            _clock(control, "PUT", now=FROZEN_AT, frozen=True)
            add_webhook(Api(control, TOKEN), receiver.url)
            other = Api(control, OTHER_TOKEN)
            add_webhook(other, theirs.url)
            make_deal(other)
            theirs.wait(1)
            first = _first_try_recorded(control, other_company.company_id)
            assert first["next_attempt_time"] < "2031"  # real time, not the frozen company's
            # moving the frozen company's clock sends nothing of the other company's
            _advance(control, 3600)
            assert _attempts(theirs) == [1]
            theirs.wait(2)  # its retry, 0.3 s later by real time
            assert _attempts(theirs) == [1, 2]
            assert _status_once_recorded(control, other_company.company_id, "delivered") == "delivered"
        assert receiver.received == []
    finally:
        theirs.stop()


def test_a_webhook_without_success_for_3_days_of_company_time_is_removed(
    engine, company, files_dir, base_settings, receiver
):
    receiver.always = 500
    with _server(engine, files_dir, base_settings) as control:
        _clock(control, "PUT", now=FROZEN_AT, frozen=True)
        api = Api(control, TOKEN)
        hook = add_webhook(api, receiver.url)
        make_deal(api)
        receiver.wait(1)
        _first_try_recorded(control)
        assert api.get("/v1/webhooks").json()["data"][0]["remove_time"] is None
        _advance(control, 3 * 86_400 + 60)  # retry 1 is due: it fails, 3 days after the webhook was made
        assert _attempts(receiver) == [1, 2]
        (shown,) = api.get("/v1/webhooks").json()["data"]
        assert shown["id"] == hook["id"]
        assert shown["remove_reason"] == "no successful deliveries in 3 days"
        assert shown["remove_time"] == "2031-01-04T09:01:00.000Z"
        assert listed(control)[0]["status"] == "dropped"


def test_a_ban_lasts_30_minutes_of_company_time(engine, company, files_dir, base_settings, receiver):
    receiver.always = 500
    with _server(engine, files_dir, base_settings) as control:
        _clock(control, "PUT", now=FROZEN_AT, frozen=True)
        api = Api(control, TOKEN)
        add_webhook(api, receiver.url, event_action="create", event_object="person")
        for _ in range(10):
            make_person(api)
        receiver.wait(10)
        deadline = time.time() + 5
        while api.get("/v1/webhooks").json()["data"][0]["is_active"] == 1 and time.time() < deadline:
            time.sleep(0.02)
        assert api.get("/v1/webhooks").json()["data"][0]["is_active"] == 0  # banned at the 10th failure
        make_person(api)
        assert len(listed(control)) == 10  # produced during the ban: lost
        receiver.always = 200

        _advance(control, 1799)
        assert api.get("/v1/webhooks").json()["data"][0]["is_active"] == 0
        assert len(receiver.received) == 10  # the retries wait for the ban to end

        _advance(control, 1)
        assert api.get("/v1/webhooks").json()["data"][0]["is_active"] == 1
        assert sorted(_attempts(receiver)) == [1] * 10 + [2] * 10  # the retries went with the advance
        assert {row["status"] for row in listed(control)} == {"delivered"}
        make_person(api)
        receiver.wait(21)


def test_an_unknown_company_advanced_is_a_404_and_sends_nothing(engine, company, files_dir, base_settings, receiver):
    receiver.statuses = [500]
    with _server(engine, files_dir, base_settings) as control:
        _clock(control, "PUT", now=FROZEN_AT, frozen=True)
        api = Api(control, TOKEN)
        add_webhook(api, receiver.url)
        make_deal(api)
        receiver.wait(1)
        _first_try_recorded(control)
        got = control.post("/_dealbase/companies/999/clock/advance", headers=BEARER, json={"seconds": 60})
        assert got.status_code == 404
        bad = control.post("/_dealbase/companies/1/clock/advance", headers=BEARER, json={"seconds": 0})
        assert bad.status_code == 400
        assert _clock(control, "GET") == {"now": FROZEN_AT, "frozen": True}
        assert _attempts(receiver) == [1]
