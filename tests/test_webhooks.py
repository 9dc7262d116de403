"""Webhooks: ``/v1/webhooks`` as Pipedrive answers it, and deliveries to a real receiver on
127.0.0.1 (v1 and v2 payloads, retries on a shortened schedule, bans, removal).

How it relates to Pipedrive: the API shapes are checked against the official spec by the
``api`` fixture; payloads follow the webhooks guides (v1 ``current``/``previous``/``meta``,
v2 ``data``/``previous``/``meta`` as the AsyncAPI document lists them, with meta ids as
strings as live deliveries send them); the schedule is Pipedrive's (3, 30, 150 s) made
short by ``webhooks_retry_delays``.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
import yaml
from conftest import TOKEN, Api
from factories import data, make_deal, make_field, make_person, make_user
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient
from support import serve
from support.receiver import Receiver
from support.serve import free_port

from dealbase.app import create_app
from dealbase.settings import Settings
from dealbase.store import webhooks as store

SPEC_DIR = Path(__file__).resolve().parents[2] / "shared" / "spec"


@pytest.fixture
def receiver():
    made = Receiver().start()
    yield made
    made.stop()


def _settings(engine, files_dir, **overrides) -> Settings:
    values = {
        "webhooks_allow_private": True,
        "webhooks_retry_delays": "0.2,0.2,0.2",
        "webhooks_poll_seconds": 0.05,
        "webhooks_timeout": 2.0,
    }
    values.update(overrides)
    return Settings(database_url=str(engine.url), company_domain="acme", files_dir=str(files_dir), **values)


@pytest.fixture
def app(engine, company, files_dir):
    """The app with local receivers allowed and a schedule of fractions of a second."""
    return create_app(_settings(engine, files_dir), engine=engine)


def add_webhook(api: Api, url: str, **fields) -> dict:
    body = {"subscription_url": url, "event_action": "*", "event_object": "*", "name": "hook", **fields}
    response = api.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "ok"
    return response.json()["data"]


def webhook_errors(response, status: int = 400) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False and body["status"] == "error"
    return body["errors"]


def deliveries(engine, **filters) -> list[dict]:
    with engine.connect() as conn:
        return list(reversed(store.deliveries(conn, **filters)))


def wait_for(check, timeout: float = 10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


# -- the API ----------------------------------------------------------------------------


def test_add_list_and_delete_a_webhook(api):
    made = add_webhook(
        api,
        "https://hooks.example.com/pipedrive",
        event_action="change",
        event_object="deal",
        name="deal changes",
        http_auth_user="hookuser",
        http_auth_password="s3cret",
    )
    assert made["event_action"] == "change" and made["event_object"] == "deal"
    assert made["subscription_url"] == "https://hooks.example.com/pipedrive"
    assert made["version"] == "2.0"  # the default since 2025-03-17
    assert made["user_id"] == made["owner_id"] == 1 and made["company_id"] == 1
    assert made["is_active"] == 1 and made["type"] == "general" and made["name"] == "deal changes"
    assert made["http_auth_user"] == "hookuser" and made["http_auth_password"] == "s3cret"
    assert made["remove_time"] is None and made["last_delivery_time"] is None and made["last_http_status"] is None
    assert made["add_time"].endswith(".000Z") and "T" in made["add_time"]

    listed = api.get("/v1/webhooks").json()
    assert listed["status"] == "ok" and [w["id"] for w in listed["data"]] == [made["id"]]
    assert listed["data"][0] == made

    gone = api.delete(f"/v1/webhooks/{made['id']}")
    assert gone.status_code == 200 and gone.json() == {"status": "ok", "success": True}
    assert api.get("/v1/webhooks").json()["data"] == []
    assert webhook_errors(api.delete(f"/v1/webhooks/{made['id']}"), 404) == {"id": ["not found"]}


def test_version_1_takes_v1_words_and_2_does_not(api):
    v1 = add_webhook(
        api, "https://hooks.example.com/a", version="1.0", event_action="added", event_object="activityType"
    )
    assert (v1["version"], v1["event_action"], v1["event_object"]) == ("1.0", "added", "activityType")
    errors = webhook_errors(
        api.post(
            "/v1/webhooks",
            json={
                "subscription_url": "https://hooks.example.com/a",
                "event_action": "added",
                "event_object": "deal",
                "name": "x",
            },
        )
    )
    assert list(errors) == ["event_action"]
    board = add_webhook(api, "https://hooks.example.com/b", event_object="board", event_action="delete")
    assert board["event_object"] == "board"


def test_validation_errors_name_each_field(api):
    errors = webhook_errors(api.post("/v1/webhooks", json={}))
    assert errors == {
        "subscription_url": ["is required"],
        "event_action": ["is required"],
        "event_object": ["is required"],
        "name": ["is required"],
    }
    base = {"event_action": "*", "event_object": "*", "name": "n"}
    for url in (
        "not a url",
        "ftp://hooks.example.com/x",
        "https://",
        "https://api.pipedrive.com/v1/deals",
        "https://x.com:99999/",
    ):
        assert webhook_errors(api.post("/v1/webhooks", json={**base, "subscription_url": url})) == {
            "subscription_url": ["invalid or non-reachable URL"]
        }, url
    good = {**base, "subscription_url": "https://hooks.example.com/x"}
    assert list(webhook_errors(api.post("/v1/webhooks", json={**good, "event_object": "deals"}))) == ["event_object"]
    assert list(webhook_errors(api.post("/v1/webhooks", json={**good, "version": "3.0"}))) == ["version"]
    assert webhook_errors(api.post("/v1/webhooks", json={**good, "user_id": 999})) == {"user_id": ["user not found"]}
    assert list(webhook_errors(api.post("/v1/webhooks", json={**good, "name": "n" * 256}))) == ["name"]
    assert api.get("/v1/webhooks").json()["data"] == []


def test_private_and_loopback_receivers_are_refused_unless_allowed(api, app):
    app.settings.webhooks_allow_private = False
    base = {"event_action": "*", "event_object": "*", "name": "n"}
    for url in (
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "https://192.168.0.10/hook",
        "http://172.16.5.5/hook",
        "http://[::1]:8080/hook",
        "http://169.254.169.254/latest",
        "http://printer.local/hook",
        "http://0.0.0.0/hook",
    ):
        response = api.post("/v1/webhooks", json={**base, "subscription_url": url})
        assert webhook_errors(response) == {"subscription_url": ["invalid or non-reachable URL"]}, url
    assert add_webhook(api, "https://hooks.example.com/x")["subscription_url"] == "https://hooks.example.com/x"
    app.settings.webhooks_allow_private = True
    assert add_webhook(api, "http://127.0.0.1:9000/hook")["subscription_url"] == "http://127.0.0.1:9000/hook"


def test_forty_webhooks_per_user(api):
    for i in range(40):
        add_webhook(api, f"https://hooks.example.com/{i}")
    response = api.post(
        "/v1/webhooks",
        json={"subscription_url": "https://hooks.example.com/x", "event_action": "*", "event_object": "*", "name": "n"},
    )
    assert response.status_code == 422
    assert response.json()["success"] is False and "40" in response.json()["error"]


def test_users_see_and_delete_their_own_and_companies_are_apart(api, client, engine, other_api):
    token = "1" * 40
    make_user(engine, name="Sam Seller", token=token)
    seller = Api(client, token)
    mine = add_webhook(api, "https://hooks.example.com/admin")
    theirs = add_webhook(seller, "https://hooks.example.com/seller")
    assert [w["id"] for w in seller.get("/v1/webhooks").json()["data"]] == [theirs["id"]]
    assert [w["id"] for w in api.get("/v1/webhooks").json()["data"]] == [mine["id"], theirs["id"]]
    forbidden = seller.delete(f"/v1/webhooks/{mine['id']}")
    assert forbidden.status_code == 403 and forbidden.json() == {"success": False, "message": "Forbidden"}
    assert other_api.get("/v1/webhooks").json()["data"] == []
    assert webhook_errors(other_api.delete(f"/v1/webhooks/{mine['id']}"), 404) == {"id": ["not found"]}


# -- payloads ---------------------------------------------------------------------------


def _asyncapi_validator():
    path = SPEC_DIR / "pipedrive-webhooks-v2-asyncapi.yml"
    if not path.exists():
        return None
    doc = yaml.safe_load(path.read_text())
    schemas = doc["components"]["schemas"]
    envelope = dict(schemas["WebhookEnvelope"])
    meta = {**schemas["Meta"], "properties": dict(schemas["Meta"]["properties"])}
    # Live deliveries carry the meta ids as strings (semantics §7.4) where the document
    # types them as integers: accept both there, check everything else as written.
    for key in ("company_id", "user_id", "webhook_id", "webhook_owner_id"):
        meta["properties"][key] = {"type": ["integer", "string"]}
    meta["properties"]["permitted_user_ids"] = {"type": "array", "items": {"type": ["integer", "string"]}}
    envelope["properties"] = {
        "meta": meta,
        "data": {"oneOf": [schemas["EntityData"], {"type": "null"}]},
        "previous": schemas["EntityPrevious"],
    }
    return Draft202012Validator(envelope)


@pytest.mark.slow
def test_v2_payloads_of_a_deal_created_changed_and_deleted(api, receiver):
    hook = add_webhook(api, receiver.url, event_object="deal", http_auth_user="hookuser", http_auth_password="s3cret")
    deal = make_deal(api, title="Big one", value=100)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Bigger one", "value": 250}))
    data(api.delete(f"/api/v2/deals/{deal['id']}"))
    created, changed, deleted = (r for r in receiver.wait(3))
    validator = _asyncapi_validator()
    for request in (created, changed, deleted):
        assert request.basic_auth == ("hookuser", "s3cret")
        assert request.headers["content-type"] == "application/json"
        if validator is not None:
            errors = [e.message for e in validator.iter_errors(request.body)]
            assert not errors, errors
        meta = request.body["meta"]
        assert meta["entity"] == "deal" and meta["entity_id"] == str(deal["id"]) and meta["version"] == "2.0"
        assert meta["company_id"] == "1" and meta["user_id"] == "1" and meta["webhook_id"] == str(hook["id"])
        assert meta["webhook_owner_id"] == "1" and meta["type"] == "general" and meta["attempt"] == 1
        assert meta["permitted_user_ids"] == ["1"] and meta["change_source"] == "api"
        assert meta["timestamp"].endswith("Z") and len(meta["timestamp"]) == 24
    assert created.body["meta"]["action"] == "create" and created.body["previous"] is None
    assert created.body["data"] == {**deal, "update_time": created.body["data"]["update_time"]}
    assert changed.body["meta"]["action"] == "change"
    assert changed.body["data"]["title"] == "Bigger one" and changed.body["data"]["value"] == 250
    assert changed.body["previous"] == {"title": "Big one", "value": 100}
    assert deleted.body["meta"]["action"] == "delete" and deleted.body["data"] is None
    assert deleted.body["previous"]["title"] == "Bigger one" and deleted.body["previous"]["is_deleted"] is False
    assert len({r.body["meta"]["id"] for r in (created, changed, deleted)}) == 3


@pytest.mark.slow
def test_v1_payloads_of_a_person_created_changed_and_deleted(api, receiver):
    hook = add_webhook(api, receiver.url, version="1.0", event_action="*", event_object="person")
    person = make_person(api, name="Ann")
    data(api.put(f"/v1/persons/{person['id']}", json={"name": "Ann Smith"}))
    data(api.delete(f"/v1/persons/{person['id']}"))
    added, updated, deleted = (r.body for r in receiver.wait(3))
    assert [b["event"] for b in (added, updated, deleted)] == ["added.person", "updated.person", "deleted.person"]
    v1_person = api.get(f"/v1/persons/{person['id']}").json()["data"]
    for body in (added, updated, deleted):
        assert body["v"] == 1 and body["retry"] == 0
        meta = body["meta"]
        assert meta["v"] == 1 and meta["object"] == "person" and meta["id"] == person["id"]
        assert meta["company_id"] == 1 and meta["user_id"] == 1 and meta["webhook_id"] == hook["id"]
        assert meta["permitted_user_ids"] == [1] and meta["is_bulk_update"] is False
        assert len(str(meta["timestamp"])) == 10 and meta["timestamp_micro"] // 1_000_000 == meta["timestamp"]
    assert added["meta"]["action"] == "added" and added["previous"] is None
    assert added["current"]["name"] == "Ann" and added["current"]["owner_id"] == 1  # plain ids, as v1 webhooks send
    assert updated["current"]["name"] == "Ann Smith" and updated["previous"]["name"] == "Ann"
    assert deleted["current"] is None and deleted["previous"]["name"] == "Ann Smith"
    assert deleted["previous"]["active_flag"] is True and v1_person["active_flag"] is False
    assert set(added["current"]) >= {"id", "name", "email", "phone", "org_id", "visible_to", "add_time"}


@pytest.mark.slow
def test_a_merge_is_a_change_and_a_delete_marked_with_each_other_in_v2_and_merged_in_v1(api, receiver):
    survivor, absorbed = make_person(api, name="Ann Keep"), make_person(api, name="Ann Gone")
    v2 = add_webhook(api, receiver.url, event_object="person")
    v1 = add_webhook(api, receiver.url, version="1.0", event_action="merged", event_object="person")
    merged = api.put(f"/v1/persons/{absorbed['id']}/merge", json={"merge_with_id": survivor["id"]})
    assert merged.status_code == 200, merged.text
    bodies = [r.body for r in receiver.wait(3)]
    v2_bodies = {b["meta"]["action"]: b for b in bodies if b["meta"].get("version") == "2.0"}
    (v1_body,) = [b for b in bodies if b.get("v") == 1]
    assert set(v2_bodies) == {"change", "delete"}
    change, delete = v2_bodies["change"], v2_bodies["delete"]
    assert change["meta"]["entity_id"] == str(survivor["id"]) and change["meta"]["webhook_id"] == str(v2["id"])
    assert change["meta"]["merged_from_id"] == str(absorbed["id"]) and "merged_to_id" not in change["meta"]
    assert delete["meta"]["entity_id"] == str(absorbed["id"])
    assert delete["meta"]["merged_to_id"] == str(survivor["id"]) and "merged_from_id" not in delete["meta"]
    # v1: the survivor as merged.person (a v1 webhook for "merged" gets nothing else)
    assert v1_body["event"] == "merged.person" and v1_body["meta"]["action"] == "merged"
    assert v1_body["meta"]["id"] == survivor["id"] and v1_body["meta"]["webhook_id"] == v1["id"]
    assert v1_body["current"]["id"] == survivor["id"]
    # an ordinary change afterwards is no merge
    data(api.patch(f"/api/v2/persons/{survivor['id']}", json={"name": "Ann Kept"}))
    (later,) = [r.body for r in receiver.wait(4)][3:]
    assert later["meta"]["action"] == "change" and "merged_from_id" not in later["meta"]


@pytest.mark.slow
def test_v2_previous_lists_only_the_changed_custom_fields(api, receiver):
    size = make_field(api, "deal", "varchar")["field_code"]
    color = make_field(api, "deal", "varchar")["field_code"]
    deal = make_deal(api, custom_fields={size: "small", color: "red"})
    add_webhook(api, receiver.url, event_action="change", event_object="deal")
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {size: "large"}}))
    (request,) = receiver.wait(1)
    assert request.body["previous"] == {"custom_fields": {size: {"type": "varchar", "value": "small"}}}
    assert request.body["data"]["custom_fields"][size] == {"type": "varchar", "value": "large"}
    assert request.body["data"]["custom_fields"][color] == {"type": "varchar", "value": "red"}


@pytest.mark.slow
def test_v2_custom_values_are_wrapped_in_their_field_types(api, receiver):
    stage = make_field(api, "deal", "enum", options=[{"label": "Hot"}, {"label": "Cold"}])
    tags = make_field(api, "deal", "set", options=[{"label": "A"}, {"label": "B"}])
    budget, size = make_field(api, "deal", "monetary"), make_field(api, "deal", "double")
    owner, unset = make_field(api, "deal", "user"), make_field(api, "deal", "varchar")
    hot, a, b = stage["options"][0]["id"], tags["options"][0]["id"], tags["options"][1]["id"]
    add_webhook(api, receiver.url, event_action="create", event_object="deal")
    values = {
        stage["field_code"]: hot,
        tags["field_code"]: [a, b],
        budget["field_code"]: {"value": 120, "currency": "EUR"},
        size["field_code"]: 2.5,
        owner["field_code"]: 1,
    }
    make_deal(api, custom_fields=values)
    (request,) = receiver.wait(1)
    assert request.body["data"]["custom_fields"] == {
        stage["field_code"]: {"type": "enum", "id": hot},
        tags["field_code"]: {"type": "set", "values": [{"id": a}, {"id": b}]},
        budget["field_code"]: {"type": "monetary", "value": 120, "currency": "EUR"},
        size["field_code"]: {"type": "double", "value": 2.5},
        owner["field_code"]: {"type": "user", "id": 1},
        unset["field_code"]: None,
    }


@pytest.mark.slow
def test_only_matching_events_are_sent(api, receiver):
    add_webhook(api, receiver.url, event_action="delete", event_object="person")
    person = make_person(api)
    deal = make_deal(api)
    data(api.delete(f"/api/v2/deals/{deal['id']}"))
    data(api.delete(f"/api/v2/persons/{person['id']}"))
    (only,) = receiver.wait(1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    assert only.body["meta"]["action"] == "delete" and only.body["meta"]["entity"] == "person"


@pytest.mark.slow
def test_the_payload_follows_the_webhook_users_visibility(api, engine, receiver):
    seller = make_user(engine, name="Sam Seller")
    add_webhook(api, receiver.url, event_object="deal", user_id=seller)
    make_deal(api, title="Private", visible_to=1)
    shared = make_deal(api, title="Shared", visible_to=3)
    (only,) = receiver.wait(1)
    time.sleep(0.3)
    assert len(receiver.received) == 1
    assert only.body["data"]["id"] == shared["id"]
    assert only.body["meta"]["permitted_user_ids"] == ["1", str(seller)]


# -- delivery ---------------------------------------------------------------------------


@pytest.mark.slow
def test_a_failing_receiver_is_retried_on_the_schedule(api, engine, receiver):
    receiver.statuses = [500, 503]
    hook = add_webhook(api, receiver.url, event_object="deal")
    deal = make_deal(api)
    tries = receiver.wait(3)
    assert [r.body["meta"]["attempt"] for r in tries] == [1, 2, 3]
    assert len({r.body["meta"]["id"] for r in tries}) == 1  # the same event each time
    gaps = [b.at - a.at for a, b in zip(tries, tries[1:])]
    assert all(gap >= 0.18 for gap in gaps), gaps
    (row,) = wait_for(lambda: [d for d in deliveries(engine) if d["status"] == "delivered"])
    assert row["attempts"] == 3 and row["last_http_status"] == 200 and row["entity_key"] == f"deal:{deal['id']}"
    listed = api.get("/v1/webhooks").json()["data"][0]
    assert listed["id"] == hook["id"] and listed["last_http_status"] == 200 and listed["last_delivery_time"]


@pytest.mark.slow
def test_four_failures_fail_the_delivery_and_the_entitys_next_event_follows_in_order(api, engine, receiver):
    receiver.statuses = [500, 500, 500, 500]
    add_webhook(api, receiver.url, version="1.0", event_object="deal")
    deal = make_deal(api, title="First")
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Second"}))
    tries = receiver.wait(5)
    assert [(r.body["event"], r.body["retry"]) for r in tries] == [
        ("added.deal", 0),
        ("added.deal", 1),
        ("added.deal", 2),
        ("added.deal", 3),
        ("updated.deal", 0),
    ]
    rows = wait_for(lambda: (rows := deliveries(engine)) and rows[-1]["status"] == "delivered" and rows)
    assert [(r["status"], r["attempts"]) for r in rows] == [("failed", 4), ("delivered", 1)]


@pytest.mark.slow
def test_ten_failed_first_attempts_ban_the_webhook_and_its_events_are_lost(api, engine, receiver):
    receiver.always = 500
    hook = add_webhook(api, receiver.url, event_action="create", event_object="person")
    for _ in range(10):
        make_person(api)
    wait_for(lambda: api.get("/v1/webhooks").json()["data"][0]["is_active"] == 0)
    banned = api.get("/v1/webhooks").json()["data"][0]
    assert banned["id"] == hook["id"] and banned["last_http_status"] == 500 and banned["remove_time"] is None
    before = len(deliveries(engine))
    make_person(api)
    assert len(deliveries(engine)) == before  # produced during the ban: lost


@pytest.mark.slow
def test_a_ban_ends_by_itself(api, app, engine, receiver):
    app.settings.webhooks_ban_seconds = 2.0
    receiver.always = 500
    add_webhook(api, receiver.url, event_action="create", event_object="person")
    for _ in range(10):
        make_person(api)
    wait_for(lambda: api.get("/v1/webhooks").json()["data"][0]["is_active"] == 0)
    receiver.always = 200
    wait_for(lambda: api.get("/v1/webhooks").json()["data"][0]["is_active"] == 1, timeout=5)
    count = len(receiver.received)
    person = make_person(api)
    wait_for(lambda: any(r.body["data"] and r.body["data"]["id"] == person["id"] for r in receiver.received[count:]))


@pytest.mark.slow
def test_a_webhook_without_success_for_days_is_removed(api, app, engine, receiver):
    app.settings.webhooks_remove_after_seconds = 0
    receiver.always = 500
    hook = add_webhook(api, receiver.url, event_object="deal")
    time.sleep(1.1)  # add_time is kept to the second
    make_deal(api)
    removed = wait_for(lambda: (w := api.get("/v1/webhooks").json()["data"][0])["remove_time"] and w)
    assert removed["id"] == hook["id"] and removed["is_active"] == 0
    assert removed["remove_reason"] == "no successful deliveries in 3 days"
    before = len(deliveries(engine))
    make_deal(api)
    assert len(deliveries(engine)) == before
    assert wait_for(lambda: all(d["status"] in ("failed", "dropped") for d in deliveries(engine)))


@pytest.mark.slow
def test_a_deleted_webhook_sends_nothing_more(api, engine, receiver):
    receiver.always = 500
    hook = add_webhook(api, receiver.url, event_object="deal")
    make_deal(api)
    receiver.wait(1)
    api.delete(f"/v1/webhooks/{hook['id']}")
    make_deal(api)
    assert wait_for(lambda: [d["status"] for d in deliveries(engine)] == ["dropped"])


@pytest.mark.slow
def test_deliveries_survive_a_new_app_on_the_same_database(engine, company, files_dir, receiver):
    """The outbox is the database: an app that stops before sending leaves the row to the next."""
    quiet = create_app(_settings(engine, files_dir, webhooks_dispatch=False), engine=engine)
    with TestClient(quiet) as client:
        api = Api(client, TOKEN)
        add_webhook(api, receiver.url, event_object="deal")
        deal = make_deal(api)
    assert [d["status"] for d in deliveries(engine)] == ["pending"] and receiver.received == []
    with TestClient(create_app(_settings(engine, files_dir), engine=engine)):
        (request,) = receiver.wait(1)
    assert request.body["data"]["id"] == deal["id"]


# -- processes --------------------------------------------------------------------------

PROCESS_TOKEN = "5eed" * 10


def _serve_env(**extra: str) -> dict[str, str]:
    return {
        "DEALBASE_WEBHOOKS_ALLOW_PRIVATE": "1",
        "DEALBASE_WEBHOOKS_POLL_SECONDS": "0.05",
        "DEALBASE_LOG_LEVEL": "warning",
        **extra,
    }


def _http(url: str):
    import httpx2

    return httpx2.Client(base_url=url, headers={"x-api-token": PROCESS_TOKEN}, timeout=10)


def test_sigkill_between_the_write_and_the_delivery_loses_nothing(database_url, tmp_path):
    """The test's database has no company yet: ``dealbase serve`` makes it on first start."""
    port = free_port()  # the receiver is down while the first server runs
    hook_url = f"http://127.0.0.1:{port}/hook"
    env = _serve_env(DEALBASE_WEBHOOKS_RETRY_DELAYS="0.5,0.5,0.5")
    first = serve.start(database_url, tmp_path, PROCESS_TOKEN, env, name="first")
    try:
        with _http(first.url) as client:
            body = {"subscription_url": hook_url, "event_action": "*", "event_object": "deal", "name": "n"}
            assert client.post("/v1/webhooks", json=body).status_code == 201
            deal = client.post("/api/v2/deals", json={"title": "Survivor"}).json()["data"]
    finally:
        first.kill(signal.SIGKILL)
    receiver = Receiver().start(port)
    second = serve.start(database_url, tmp_path, PROCESS_TOKEN, env, name="second")
    try:
        (request,) = receiver.wait(1, timeout=15)
        assert request.body["meta"]["action"] == "create" and request.body["data"]["id"] == deal["id"]
        assert request.body["data"]["title"] == "Survivor"
        time.sleep(1.0)
        assert len(receiver.received) == 1, second.output()
    finally:
        second.kill(signal.SIGTERM)
        receiver.stop()


def test_two_processes_on_one_postgresql_deliver_each_event_exactly_once(database_url, tmp_path, engine):
    if not database_url.startswith("postgres"):
        pytest.skip("several server processes share one database only on PostgreSQL (SQLite: one process)")
    receiver = Receiver().start()
    servers = [serve.start(database_url, tmp_path, PROCESS_TOKEN, _serve_env(), name=name) for name in ("one", "two")]
    clients = [_http(s.url) for s in servers]
    try:
        body = {"subscription_url": receiver.url, "event_action": "*", "event_object": "deal", "name": "n"}
        assert clients[0].post("/v1/webhooks", json=body).status_code == 201
        deals = [clients[i % 2].post("/api/v2/deals", json={"title": "t0"}).json()["data"]["id"] for i in range(100)]
        for n in range(1, 10):
            for i, deal_id in enumerate(deals):
                response = clients[(i + n) % 2].patch(f"/api/v2/deals/{deal_id}", json={"title": f"t{n}"})
                assert response.status_code == 200
        receiver.wait(1000, timeout=60)
        time.sleep(1.5)  # a second delivery of anything would arrive by now
        bodies = receiver.bodies()
        assert len(bodies) == 1000
        assert len({b["meta"]["id"] for b in bodies}) == 1000
        for deal_id in deals:  # each deal's events arrived in order
            titles = [b["data"]["title"] for b in bodies if b["data"]["id"] == deal_id]
            assert titles == [f"t{n}" for n in range(10)], (deal_id, titles)
        with engine.connect() as conn:
            rows = store.deliveries(conn, limit=2000)
        assert {r["status"] for r in rows} == {"delivered"} and len(rows) == 1000
        assert len({r["claimed_by"] for r in rows}) == 2  # both processes took part
    finally:
        for client in clients:
            client.close()
        for server in servers:
            server.kill(signal.SIGTERM)
        receiver.stop()


@pytest.mark.slow
def test_the_cli_lists_deliveries(api, engine, receiver, monkeypatch):
    from rich.console import Console
    from typer.testing import CliRunner

    from dealbase import cli as cli_module
    from dealbase.cli import app as cli

    # wide enough for whole cells: the console takes its width once, from where it was imported
    monkeypatch.setattr(cli_module, "console", Console(width=250))
    receiver.statuses = [500]
    hook = add_webhook(api, receiver.url, event_object="deal")
    deal = make_deal(api)
    wait_for(lambda: [d for d in deliveries(engine) if d["status"] == "delivered"])
    result = CliRunner().invoke(
        cli,
        [
            "webhooks",
            "deliveries",
            "--webhook-id",
            str(hook["id"]),
            "--status",
            "delivered",
            "--database-url",
            str(engine.url.render_as_string(hide_password=False)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"deal:{deal['id']}" in result.output and "delivered" in result.output and "200" in result.output
    empty = CliRunner().invoke(
        cli,
        [
            "webhooks",
            "deliveries",
            "--status",
            "failed",
            "--database-url",
            str(engine.url.render_as_string(hide_password=False)),
        ],
    )
    assert empty.exit_code == 0 and f"deal:{deal['id']}" not in empty.output
