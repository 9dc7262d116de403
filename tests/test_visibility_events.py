"""Visibility where items are read through their history and their events (issue 13): recents,
changelogs and flows, collections, merges, lead ↔ deal conversion, and webhooks with a
``user_id``. A regular user meets only what they may see (``domain/visibility.py``); an item
they may not see answers as a missing one. Admins see everything.

How it relates to Pipedrive: the webhooks API says of ``user_id`` "each webhook event is
checked against a user's permissions, the webhook will only be sent if the user has access to
the specified object(s)"; collections are for global admins only (the spec's 403); the rest
follows semantics.md §3.4 (404: "not found, or not visible to the user").
"""

from __future__ import annotations

import threading

import pytest
from factories import data, error, make_deal, make_lead, make_org, make_person, make_pipeline, make_stage, refused
from sqlalchemy import event

from dealbase.domain import permissions
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store import users as users_store
from dealbase.store import webhooks as store
from dealbase.store.tables import users

EPOCH = "2000-01-01 00:00:00"


def _as_new_user(api, client, engine, company, email: str, *, sales_admin_set: bool = False):
    """A regular user the admin adds with ``POST /v1/users``: their id and a client with
    their own token. ``sales_admin_set``: holding the sales app's admin permission set (every
    deal operation allowed; still not an admin, so visibility alone stops them)."""
    from conftest import Api

    user = data(api.post("/v1/users", json={"email": email, "name": email.split("@")[0]}))
    with engine.begin() as conn:
        token = users_store.api_token(conn, company.company_id, user["id"])
        if sales_admin_set:
            admin = repo.get(conn, users, company.company_id, company.user_id)
            held = permissions.ADMIN_SET["sales"].id
            permissions.assign(Unit(conn, company.company_id, admin), user["id"], "sales", permission_set_id=held)
    return user["id"], Api(client, token)


def _recent_keys(api, items: str, limit: int) -> list[tuple[str, int]]:
    """Every (item, id) of ``/v1/recents``, page by page by ``start``; every page but the
    last is full."""
    keys, start = [], 0
    while True:
        response = api.get(
            "/v1/recents", params={"since_timestamp": EPOCH, "items": items, "start": start, "limit": limit}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        page = [(e["item"], e["id"]) for e in body["data"] or []]
        pagination = body["additional_data"]["pagination"]
        keys += page
        if not pagination["more_items_in_collection"]:
            return keys
        assert len(page) == limit  # a full page: the condition is in the statement
        start = pagination["next_start"]


def test_recents_list_only_what_the_user_sees_in_full_pages(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    private = [make_deal(api, title=f"Private {i}", visible_to=1) for i in range(3)]
    shared = make_deal(api, title="Shared", visible_to=3)
    own = make_deal(as_bo, title="Bo's own", visible_to=1)
    followed = make_deal(api, title="Followed", visible_to=1)
    data(api.post(f"/api/v2/deals/{followed['id']}/followers", json={"user_id": bo}), 201)
    hidden_person = make_person(api, name="Hidden", visible_to=1)
    seen_person = make_person(api, name="Seen", visible_to=3)
    for deal in private:  # later changes of hidden items change nothing for Bo
        data(api.patch(f"/api/v2/deals/{deal['id']}", json={"value": 5}))

    expected = [
        ("deal", shared["id"]),
        ("deal", own["id"]),
        ("deal", followed["id"]),
        ("person", seen_person["id"]),
    ]
    for limit in (1, 2, 100):
        assert _recent_keys(as_bo, "deal,person", limit) == expected
    everything = _recent_keys(api, "deal,person", 2)
    assert [k for k in everything if k[0] == "deal"] == [("deal", d["id"]) for d in (*private, shared, own, followed)]
    assert ("person", hidden_person["id"]) in everything
    [entry] = data(as_bo.get("/v1/recents", params={"since_timestamp": EPOCH, "items": "deal", "limit": 1}))
    assert entry["data"]["title"] == "Shared" and entry["data"]["visible_to"] == "3"


def test_history_of_an_item_the_user_may_not_see_answers_as_a_missing_one(api, client, engine, company):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    private = make_deal(api, title="Secret", visible_to=1)
    shared = make_deal(api, title="Open", visible_to=3)
    person = make_person(api, name="Hidden", visible_to=1)
    for deal in (private, shared):
        data(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": deal["title"] + " 2"}))
    for url in ("changelog", "flow"):
        refused(as_bo.get(f"/v1/deals/{private['id']}/{url}"), "Deal not found", 404)
        assert data(api.get(f"/v1/deals/{private['id']}/{url}"))  # the admin sees it
        assert error(as_bo.get(f"/v1/persons/{person['id']}/{url}"), 404)
    changes = data(as_bo.get(f"/v1/deals/{shared['id']}/changelog"))
    assert [(c["field_key"], c["old_value"], c["new_value"]) for c in changes] == [("title", "Open", "Open 2")]
    flow = data(as_bo.get(f"/v1/deals/{shared['id']}/flow"))
    assert ("title", "Open 2") in [(f["data"].get("field_key"), f["data"].get("new_value")) for f in flow]
    # the item's sub-lists: its parent is missing to Bo
    for sub in ("activities", "files", "persons", "followers", "participants", "products"):
        assert error(as_bo.get(f"/v1/deals/{private['id']}/{sub}"), 404)


def test_collections_are_for_admins(api, client, engine, company):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    make_deal(api, visible_to=1)
    for plural in ("deals", "persons", "organizations"):
        refused(as_bo.get(f"/v1/{plural}/collection"), "Only global admins can access this endpoint", 403)
    assert len(data(api.get("/v1/deals/collection"))) == 1


def test_a_merge_with_an_item_the_user_may_not_see_answers_as_a_missing_one(api, client, engine, company):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test", sales_admin_set=True)
    private = make_deal(api, title="Secret", visible_to=1)
    own = make_deal(as_bo, title="Bo's", visible_to=1)
    shared = make_deal(api, title="Shared", visible_to=3)
    refused(
        as_bo.put(f"/v1/deals/{own['id']}/merge", json={"merge_with_id": private["id"]}),
        f"Validation failed: merge_with_id: Deal with id {private['id']} not found",
    )
    refused(as_bo.put(f"/v1/deals/{private['id']}/merge", json={"merge_with_id": own["id"]}), "Deal not found", 404)
    # nothing written
    for deal in (private, own):
        after = data(api.get(f"/api/v2/deals/{deal['id']}"))
        assert (after["title"], after["is_deleted"], after["update_time"]) == (
            deal["title"],
            False,
            deal["update_time"],
        )
    # with one Bo sees, it goes through
    merged = data(as_bo.put(f"/v1/deals/{own['id']}/merge", json={"merge_with_id": shared["id"]}))
    assert merged["id"] == shared["id"] and merged["merge_what_id"] == own["id"]


def test_converting_an_item_the_user_may_not_see_answers_as_a_missing_one(api, client, engine, company):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test", sales_admin_set=True)
    private_deal = make_deal(api, title="Secret deal", visible_to=1)
    private_lead = make_lead(api, title="Secret lead", visible_to="1")
    refused(as_bo.post(f"/api/v2/deals/{private_deal['id']}/convert/lead"), "Entity was not found", 404)
    refused(as_bo.post(f"/api/v2/leads/{private_lead['id']}/convert/deal", json={}), "Entity was not found", 404)
    assert data(api.get(f"/api/v2/deals/{private_deal['id']}"))["is_deleted"] is False
    assert data(api.get(f"/v1/leads/{private_lead['id']}"))["title"] == "Secret lead"
    assert (
        data(api.get("/api/v2/deals", params={"ids": private_deal["id"]}))[0]["update_time"]
        == private_deal["update_time"]
    )
    own = make_deal(as_bo, title="Bo's deal", person_id=make_person(as_bo)["id"])
    assert data(as_bo.post(f"/api/v2/deals/{own['id']}/convert/lead"))["conversion_id"]


# -- webhooks with a user_id ------------------------------------------------------------


@pytest.fixture
def app(engine, company, files_dir, base_settings):
    """The app with webhooks to 127.0.0.1 allowed (their deliveries are what is checked)."""
    from dealbase.app import create_app

    update = {"database_url": str(engine.url), "files_dir": str(files_dir), "webhooks_allow_private": True}
    return create_app(base_settings.model_copy(update=update), engine=engine)


def _hook(api, user_id: int, **fields) -> int:
    body = {"subscription_url": "http://127.0.0.1:9/hook", "event_action": "*", "event_object": "*", "name": "h"}
    response = api.post("/v1/webhooks", json={**body, "user_id": user_id, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def _sent(engine, company, webhook_id: int) -> list[tuple[str, str]]:
    """(entity_key, action) of each delivery of the webhook, oldest first."""
    with engine.connect() as conn:
        rows = store.deliveries(conn, company_id=company.company_id, webhook_id=webhook_id)
    return [(r["entity_key"], r["action"]) for r in reversed(rows)]


def test_a_webhook_gets_only_the_events_of_items_its_user_sees(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    bos = _hook(api, bo, version="2.0")
    bos_v1 = _hook(api, bo, version="1.0", event_object="deal")
    admins = _hook(api, company.user_id, version="2.0")

    private = make_deal(api, title="Secret", visible_to=1)
    shared = make_deal(api, title="Open", visible_to=3)
    data(api.patch(f"/api/v2/deals/{private['id']}", json={"value": 9}))
    data(api.patch(f"/api/v2/deals/{shared['id']}", json={"visible_to": 1}))  # hidden from now on
    data(api.patch(f"/api/v2/deals/{shared['id']}", json={"value": 3}))
    followed = make_deal(api, title="Followed", visible_to=1)
    data(api.post(f"/api/v2/deals/{followed['id']}/followers", json={"user_id": bo}), 201)
    data(api.patch(f"/api/v2/deals/{followed['id']}", json={"value": 4}))
    open_one = make_deal(api, title="Open two", visible_to=3)
    data(api.delete(f"/api/v2/deals/{open_one['id']}"))
    data(api.delete(f"/api/v2/deals/{private['id']}"))
    own = make_deal(as_bo, title="Bo's", visible_to=1)
    person = make_person(api, name="Hidden", visible_to=1)
    activity = data(api.post("/api/v2/activities", json={"subject": "Call"}))  # links nothing
    hidden_activity = data(api.post("/api/v2/activities", json={"subject": "Call", "person_id": person["id"]}))

    d = lambda row: f"deal:{row['id']}"  # noqa: E731
    expected = [
        (d(shared), "create"),
        (d(followed), "change"),  # followed from then on (its create was before)
        (d(open_one), "create"),
        (d(open_one), "delete"),
        (d(own), "create"),
    ]
    assert [s for s in _sent(engine, company, bos) if s[0].startswith("deal:")] == expected
    assert ("person:" + str(person["id"]), "create") not in _sent(engine, company, bos)
    assert (f"activity:{activity['id']}", "create") in _sent(engine, company, bos)
    assert (f"activity:{hidden_activity['id']}", "create") not in _sent(engine, company, bos)
    assert (f"activity:{hidden_activity['id']}", "create") in _sent(engine, company, admins)
    assert _sent(engine, company, bos_v1) == expected
    admin_sent = _sent(engine, company, admins)
    assert (d(private), "create") in admin_sent and (d(private), "delete") in admin_sent
    assert (d(shared), "change") in admin_sent and (f"person:{person['id']}", "create") in admin_sent


def test_an_admins_webhook_reads_nothing_more_for_an_event(api, client, engine, company):
    """Deciding whether an admin's webhook gets an event reads nothing more; a regular user's
    webhook costs one statement deciding it (and what it reads of that user)."""
    bo, _ = _as_new_user(api, client, engine, company, "bo@acme.test")
    deal = make_deal(api, visible_to=3)

    def statements_of_a_change(value: int) -> list[str]:
        """The statements of the request's own thread (not the dispatcher's)."""
        seen: list[tuple[int, str]] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append((threading.get_ident(), statement))

        event.listen(engine, "before_cursor_execute", count)
        try:
            data(api.patch(f"/api/v2/deals/{deal['id']}", json={"value": value}))
        finally:
            event.remove(engine, "before_cursor_execute", count)
        [writer] = {t for t, s in seen if s.upper().startswith("UPDATE DEALS")}
        return [s for t, s in seen if t == writer]

    admin_hook = _hook(api, company.user_id)
    statements_of_a_change(1)  # caches warmed
    with_admin = statements_of_a_change(2)
    assert api.delete(f"/v1/webhooks/{admin_hook}").json()["status"] == "ok"
    _hook(api, bo)
    statements_of_a_change(3)
    with_regular = statements_of_a_change(4)
    assert not [s for s in with_admin if "EXISTS" in s.upper() or "ROLE_ASSIGNMENTS" in s.upper()]
    assert sum("EXISTS" in s.upper() for s in with_regular) == 1 and len(with_regular) > len(with_admin)


def test_activities_notes_and_files_are_seen_when_every_item_they_link_is(api, client, engine, company):
    """Pipedrive: "the visibility of notes and activities depends on whether you can access
    all linked items (such as the person, deal, and organization)"; files attach alike."""
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    private = make_deal(api, title="Secret", visible_to=1)
    shared = make_deal(api, title="Open", visible_to=3)
    hidden_person = make_person(api, name="Hidden", visible_to=1)

    def activity(**links):
        return data(api.post("/api/v2/activities", json={"subject": "Call", **links}))["id"]

    on_private = activity(deal_id=private["id"])
    on_shared = activity(deal_id=shared["id"])
    on_shared_and_hidden = activity(deal_id=shared["id"], participants=[], person_id=hidden_person["id"])
    unlinked = activity()
    note_private = data(api.post("/v1/notes", json={"content": "secret", "deal_id": private["id"]}))["id"]
    note_shared = data(api.post("/v1/notes", json={"content": "open", "deal_id": shared["id"]}))["id"]
    upload = {"file": ("a.txt", b"hello", "text/plain")}
    file_private = data(api.post("/v1/files", data={"deal_id": private["id"]}, files=upload))["id"]
    file_shared = data(api.post("/v1/files", data={"deal_id": shared["id"]}, files=upload))["id"]

    assert sorted(a["id"] for a in data(as_bo.get("/api/v2/activities"))) == [on_shared, unlinked]
    assert sorted(a["id"] for a in data(api.get("/api/v2/activities"))) == sorted(
        [on_private, on_shared, on_shared_and_hidden, unlinked]
    )
    assert [a["id"] for a in data(as_bo.get(f"/v1/deals/{shared['id']}/activities")) or []] == [on_shared]
    assert [n["id"] for n in data(as_bo.get("/v1/notes")) or []] == [note_shared]
    assert [f["id"] for f in data(as_bo.get("/v1/files")) or []] == [file_shared]
    for url in (f"/api/v2/activities/{on_private}", f"/api/v2/activities/{on_shared_and_hidden}"):
        refused(as_bo.get(url), "Activity not found", 404)
    assert error(as_bo.get(f"/v1/notes/{note_private}"), 404)
    assert error(as_bo.get(f"/v1/files/{file_private}"), 404)
    # the flow of a deal Bo sees shows only what Bo sees attached to it
    flow = data(as_bo.get(f"/v1/deals/{shared['id']}/flow"))
    attached = {(f["object"], f["data"]["id"]) for f in flow if not f["object"].endswith("Change")}
    assert attached == {("plannedActivity", on_shared), ("note", note_shared), ("file", file_shared)}
    everything = {(f["object"], f["data"]["id"]) for f in data(api.get(f"/v1/deals/{shared['id']}/flow"))}
    assert ("plannedActivity", on_shared_and_hidden) in everything


def test_a_reference_to_an_item_the_user_may_not_see_shows_only_its_id_and_name(api, client, engine, company):
    """A deal Bo sees may name a person and an organization he may not see: the deal shows
    their names (its own ``person_name`` / ``org_name``), never their fields."""
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    org = make_org(api, name="Hidden Org", visible_to=1, address={"value": "Main St 1"})
    person = make_person(api, name="Hidden Person", visible_to=1, emails=[{"value": "h@x.test", "primary": True}])
    seen = make_person(api, name="Seen Person", visible_to=3)
    deal = make_deal(api, title="Open", visible_to=3, person_id=person["id"], org_id=org["id"])
    other = make_deal(api, title="Open two", visible_to=3, person_id=seen["id"])

    body = as_bo.get(f"/v1/deals/{deal['id']}").json()
    shown = body["data"]
    assert shown["person_id"] == {"id": person["id"], "name": "Hidden Person", "value": person["id"]}
    assert shown["org_id"] == {"id": org["id"], "name": "Hidden Org", "value": org["id"]}
    assert shown["person_name"] == "Hidden Person" and shown["org_name"] == "Hidden Org"
    related = body["related_objects"]
    assert related["person"] == {str(person["id"]): {"id": person["id"], "name": "Hidden Person"}}
    assert related["organization"] == {str(org["id"]): {"id": org["id"], "name": "Hidden Org"}}
    # the admin sees them whole; Bo sees whole what he may see
    full = api.get(f"/v1/deals/{deal['id']}").json()
    assert full["data"]["person_id"]["email"][0]["value"] == "h@x.test"
    assert full["related_objects"]["organization"][str(org["id"])]["address"] == "Main St 1"
    listed = {d["id"]: d for d in data(as_bo.get("/v1/deals"))}
    assert (
        listed[other["id"]]["person_id"]["owner_id"] == 1 and listed[other["id"]]["person_id"]["name"] == "Seen Person"
    )
    assert set(listed[deal["id"]]["person_id"]) == {"id", "name", "value"}


def test_a_webhook_gets_nothing_of_a_pipeline_its_users_role_hides(api, client, engine, company):
    bo, _ = _as_new_user(api, client, engine, company, "bo@acme.test")
    role = data(api.post("/v1/roles", json={"name": "First pipeline only"}))["id"]
    data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": bo}))
    hidden = make_pipeline(api, name="Hidden")["id"]
    stage = make_stage(api, hidden, name="Hidden stage")["id"]
    data(api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [hidden]}}))
    bos = _hook(api, bo)
    first = make_deal(api, title="In the first", visible_to=3)
    second = make_deal(api, title="In the hidden one", visible_to=3, stage_id=stage)
    data(api.patch(f"/api/v2/stages/{stage}", json={"name": "Renamed"}))
    sent = _sent(engine, company, bos)
    assert (f"deal:{first['id']}", "create") in sent
    assert not [s for s in sent if s[0] in (f"deal:{second['id']}", f"stage:{stage}")]
