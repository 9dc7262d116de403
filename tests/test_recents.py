"""``GET /v1/recents``: every item changed since a moment, once, as its current v1 object,
in pages that stay put while writes go on."""

from __future__ import annotations

from conftest import Api
from factories import data, error, make_deal, make_lead, make_org, make_person

from dealbase.domain import permissions

EPOCH = "2000-01-01 00:00:00"


def unchecked(api) -> Api:
    """The same caller without the schema check. Only for recents holding organizations or
    users: the v1 spec draws an organization's ``owner_id`` as an object there, the service
    answers a number (what ETL taps reading recents type it as); it draws a user's ``data`` as
    the object, the service answers an array holding it (what they read); every other item
    is checked."""
    return Api(api.client, api.token, check_schema=False)


def recents(api, **params):
    response = api.get("/v1/recents", params={"since_timestamp": EPOCH, **params})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_company_starts_with_its_user_pipeline_and_stages(api):
    body = recents(unchecked(api), items="user,pipeline,stage,activityType")
    kinds = [(e["item"], e["id"]) for e in body["data"]]
    assert ("user", 1) in kinds and ("pipeline", 1) in kinds
    assert sum(1 for k, _ in kinds if k == "stage") == 5
    assert sum(1 for k, _ in kinds if k == "activityType") >= 6
    recents(api, items="pipeline,stage,activityType")  # the rest as the spec has it


def test_a_users_data_is_an_array_holding_its_v1_user_object(api):
    """Pipedrive's recents give a user as ``data: [user]`` (clients read ``data[0]``; Airbyte's
    users stream walks ``data.*.data.*``), the whole object ``GET /v1/users/{id}`` answers."""
    [entry] = recents(unchecked(api), items="user")["data"]
    assert entry["item"] == "user" and entry["id"] == 1
    [user] = entry["data"]
    assert user == data(api.get("/v1/users/1"))
    assert user["id"] == 1 and user["name"] == "Ada Admin" and user["email"] == "ada@acme.test"
    assert user["active_flag"] is True and user["is_deleted"] is False and user["is_you"] is True
    assert user["has_created_company"] is True and user["activated"] is True
    # the company's founder: an admin, holding every app's admin set
    assert user["access"] == [
        {"app": app, "admin": True, "permission_set_id": held.id} for app, held in permissions.ADMIN_SET.items()
    ]
    assert user["default_currency"] == "USD" and user["locale"] == "en_US"
    assert user["created"] and user["last_login"] and "timezone_name" in user and "icon_url" in user


def test_items_are_current_v1_objects_with_plain_ids(api):
    org = make_org(api)
    person = make_person(api, org_id=org["id"])
    deal = make_deal(api, person_id=person["id"], org_id=org["id"], value=120)
    api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed"})
    body = recents(unchecked(api), items="deal,person,organization")
    entries = body["data"]
    assert entries[0]["data"]["owner_id"] == 1 and entries[0]["data"]["name"] == org["name"]
    recents(api, items="deal,person")  # the rest as the spec has it
    assert [(e["item"], e["id"]) for e in entries] == [
        ("organization", org["id"]),
        ("person", person["id"]),
        ("deal", deal["id"]),
    ]
    shown = entries[2]["data"]
    assert shown["title"] == "Renamed" and shown["value"] == 120
    assert shown["person_id"] == person["id"] and shown["org_id"] == org["id"]
    assert entries[1]["data"]["org_id"] == org["id"]
    extra = body["additional_data"]
    assert extra["since_timestamp"] == EPOCH
    assert extra["last_timestamp_on_page"] >= shown["add_time"]
    assert extra["pagination"] == {"start": 0, "limit": 100, "more_items_in_collection": False}


def test_deleted_items_are_listed_as_deleted(api):
    deal = make_deal(api)
    person = make_person(api)
    api.delete(f"/api/v2/deals/{deal['id']}")
    api.delete(f"/api/v2/persons/{person['id']}")
    entries = {e["item"]: e["data"] for e in recents(api, items="deal,person")["data"]}
    assert entries["deal"]["deleted"] is True and entries["deal"]["active"] is False
    assert entries["person"]["active_flag"] is False


def test_pages_do_not_move_while_items_change(api):
    deals = [make_deal(api) for _ in range(7)]
    first = recents(api, items="deal", limit=3)
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 3,
        "more_items_in_collection": True,
        "next_start": 3,
    }
    # Changing items already seen, and adding new ones, leaves the next pages as they were.
    api.patch(f"/api/v2/deals/{deals[0]['id']}", json={"title": "Changed"})
    api.patch(f"/api/v2/deals/{deals[1]['id']}", json={"title": "Changed too"})
    late = make_deal(api)
    seen = [e["id"] for e in first["data"]]
    start = 3
    while True:
        page = recents(api, items="deal", limit=3, start=start)
        seen += [e["id"] for e in page["data"] or []]
        pagination = page["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            break
        start = pagination["next_start"]
    assert seen == [d["id"] for d in deals] + [late["id"]]


def test_since_timestamp_bounds_the_list(api):
    make_deal(api)
    body = recents(api, items="deal", since_timestamp="2999-01-01 00:00:00")
    assert body["data"] is None
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert "last_timestamp_on_page" not in body["additional_data"]


def test_bad_parameters(api):
    assert "since_timestamp" in error(api.get("/v1/recents"), 400)
    for bad in ("2024-01-01", "2024-01-01T00:00:00Z", "2024-13-01 00:00:00", "yesterday"):
        assert "since_timestamp" in error(api.get("/v1/recents", params={"since_timestamp": bad}), 400)
    assert "items" in error(api.get("/v1/recents", params={"since_timestamp": EPOCH, "items": "deal,dragon"}), 400)
    assert "limit" in error(api.get("/v1/recents", params={"since_timestamp": EPOCH, "limit": "x"}), 400)


def test_another_companys_changes_are_never_listed(api, other_api):
    mine = make_deal(api)
    theirs = data(other_api.post("/api/v2/deals", json={"title": "Theirs"}))
    mine_listed = [e["id"] for e in recents(api, items="deal")["data"]]
    theirs_listed = [e["id"] for e in recents(other_api, items="deal")["data"]]
    assert mine_listed == [mine["id"]] and theirs_listed == [theirs["id"]]


def test_leads_are_listed_by_their_uuid(api):
    lead = make_lead(api)
    # leads are not among the spec's recents items (their ids are UUIDs): unchecked
    entries = recents(unchecked(api), items="lead")["data"]
    assert [(e["item"], e["id"]) for e in entries] == [("lead", lead["id"])]
    assert entries[0]["data"]["title"] == lead["title"]


def test_items_filter_keeps_to_the_kinds_asked_for(api):
    deal = make_deal(api)
    note = data(api.post("/v1/notes", json={"content": "n", "deal_id": deal["id"]}))
    entries = recents(api, items="note")["data"]
    assert [(e["item"], e["id"]) for e in entries] == [("note", note["id"])]
    assert entries[0]["data"]["content"] == "n" and entries[0]["data"]["deal_id"] == deal["id"]
    everything = {e["item"] for e in recents(unchecked(api))["data"]}
    assert {"deal", "note", "user", "stage", "pipeline", "activityType"} <= everything


def test_every_kind_of_item_has_its_v1_shape(api):
    deal = make_deal(api)
    data(api.post("/v1/activities", json={"subject": "Call", "deal_id": deal["id"]}), 201)
    data(api.post("/api/v2/products", json={"name": "Widget", "code": "W1"}), 201)
    upload = {"file": ("a.txt", b"hello", "text/plain")}
    data(api.post("/v1/files", files=upload, data={"deal_id": str(deal["id"])}))
    body = recents(api, items="activity,product,file,deal,stage,pipeline,activityType")
    kinds = {e["item"] for e in body["data"]}
    assert kinds == {"activity", "product", "file", "deal", "stage", "pipeline", "activityType"}
    file_entry = next(e for e in body["data"] if e["item"] == "file")
    assert file_entry["data"]["deal_id"] == deal["id"] and file_entry["data"]["name"] == "a.txt"
