"""Changelogs (field-level changes, by cursor) and the flow (an item's timeline) of deals,
persons and organizations, read from the change events every write records."""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_field, make_org, make_person, make_stage

KINDS = [("deals", make_deal, "deal"), ("persons", make_person, "person"), ("organizations", make_org, "organization")]


def _rename(api, plural, item_id, name):
    key = "title" if plural == "deals" else "name"
    data(api.patch(f"/api/v2/{plural}/{item_id}", json={key: name}))
    return key


@pytest.mark.parametrize(("plural", "make", "name"), KINDS)
def test_changelog_lists_field_changes_newest_first(api, plural, make, name):
    item = make(api)
    key = _rename(api, plural, item["id"], "First")
    _rename(api, plural, item["id"], "Second")
    body = api.get(f"/v1/{plural}/{item['id']}/changelog").json()
    entries = body["data"]
    # a person's name also changes its first and last names
    assert [(e["field_key"], e["old_value"], e["new_value"]) for e in entries if e["field_key"] == key] == [
        (key, "First", "Second"),
        (key, item[key], "First"),
    ]
    for entry in entries:
        assert entry["actor_user_id"] == 1
        assert entry["change_source"] == "api" and entry["is_bulk_update_flag"] is False
        assert len(entry["time"]) == 19
    assert body["additional_data"]["next_cursor"] is None


def test_deal_changelog_values_and_custom_fields(api):
    field = make_field(api, "deal", "double")
    pipeline_stage = make_stage(api, 1)
    deal = make_deal(api, value=10)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"value": 25.5, "stage_id": pipeline_stage["id"]}))
    agent = {"user-agent": "etl-check/1.0"}
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"custom_fields": {field["field_code"]: 7}}, headers=agent))
    entries = data(api.get(f"/v1/deals/{deal['id']}/changelog"))
    assert entries[0]["change_source_user_agent"] == "etl-check/1.0"
    assert entries[-1]["change_source_user_agent"] == "testclient"
    changes = {e["field_key"]: (e["old_value"], e["new_value"]) for e in entries}
    assert changes["value"] == ("10", "25.5")
    assert changes["stage_id"] == (str(deal["stage_id"]), str(pipeline_stage["id"]))
    assert changes[field["field_code"]] == (None, "7")
    assert "update_time" not in changes


def test_changelog_cursor_pages_without_gaps(api):
    deal = make_deal(api, value=1)
    for n in range(2, 6):
        data(api.patch(f"/api/v2/deals/{deal['id']}", json={"value": n, "title": f"T{n}"}))
    whole = data(api.get(f"/v1/deals/{deal['id']}/changelog"))
    assert len(whole) == 8
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        body = api.get(f"/v1/deals/{deal['id']}/changelog", params=params).json()
        assert len(body["data"]) <= 3
        seen += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            break
    assert seen == whole
    assert "cursor" in error(api.get(f"/v1/deals/{deal['id']}/changelog", params={"cursor": "junk"}), 400)


def test_bulk_deletes_are_flagged(api):
    deals = [make_deal(api), make_deal(api)]
    single = make_deal(api)
    data(api.request("DELETE", "/v1/deals", params={"ids": ",".join(str(d["id"]) for d in deals)}))
    api.delete(f"/api/v2/deals/{single['id']}")
    for deal in deals:
        entry = data(api.get(f"/v1/deals/{deal['id']}/changelog"))[0]
        assert entry["field_key"] == "deleted" and entry["is_bulk_update_flag"] is True
    assert data(api.get(f"/v1/deals/{single['id']}/changelog"))[0]["is_bulk_update_flag"] is False
    flow = data(api.get(f"/v1/deals/{deals[0]['id']}/flow"))
    assert flow[0]["data"]["field_key"] == "deleted" and flow[0]["data"]["is_bulk_update_flag"] is True


def test_deleted_deal_keeps_its_changelog(api):
    deal = make_deal(api)
    api.delete(f"/api/v2/deals/{deal['id']}")
    entries = data(api.get(f"/v1/deals/{deal['id']}/changelog"))
    assert entries[0]["field_key"] == "deleted" and entries[0]["new_value"] == "true"
    person = make_person(api)
    api.delete(f"/api/v2/persons/{person['id']}")
    entries = data(api.get(f"/v1/persons/{person['id']}/changelog"))
    assert (entries[0]["field_key"], entries[0]["old_value"], entries[0]["new_value"]) == (
        "active_flag",
        "true",
        "false",
    )


def test_deal_flow_shows_creation_changes_and_attached_items(api):
    stage = make_stage(api, 1)
    deal = make_deal(api)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"stage_id": stage["id"]}))
    note = data(api.post("/v1/notes", json={"content": "hello", "deal_id": deal["id"]}))
    activity = data(api.post("/v1/activities", json={"subject": "Call", "deal_id": deal["id"], "done": 1}), 201)
    body = api.get(f"/v1/deals/{deal['id']}/flow").json()
    objects = [(e["object"], e["data"].get("field_key")) for e in body["data"]]
    assert ("dealChange", "add_time") in objects and ("dealChange", "stage_id") in objects
    assert ("note", None) in objects and ("activity", None) in objects
    # newest first
    stamps = [e["timestamp"] for e in body["data"]]
    assert stamps == sorted(stamps, reverse=True)
    created = next(e for e in body["data"] if e["data"].get("field_key") == "add_time")
    assert created["data"]["item_id"] == deal["id"] and created["data"]["new_value"] == deal["add_time"].replace(
        "T", " "
    ).rstrip("Z")
    moved = next(e for e in body["data"] if e["data"].get("field_key") == "stage_id")
    assert moved["data"]["old_value"] == str(deal["stage_id"]) and moved["data"]["new_value"] == str(stage["id"])
    assert isinstance(moved["data"]["id"], int) and moved["data"]["user_id"] == 1
    shown_note = next(e for e in body["data"] if e["object"] == "note")
    assert shown_note["data"]["id"] == note["id"] and shown_note["data"]["content"] == "hello"
    shown_activity = next(e for e in body["data"] if e["object"] == "activity")
    assert shown_activity["data"]["id"] == activity["id"]
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False
    only = data(api.get(f"/v1/deals/{deal['id']}/flow", params={"items": "note"}))
    assert [e["object"] for e in only] == ["note"]
    changes = data(api.get(f"/v1/deals/{deal['id']}/flow", params={"items": "change,activity"}))
    assert {e["object"] for e in changes} == {"dealChange", "activity"}


def test_flow_custom_field_changes_only_with_all_changes(api):
    field = make_field(api, "person", "varchar")
    person = make_person(api)
    data(api.patch(f"/api/v2/persons/{person['id']}", json={"custom_fields": {field["field_code"]: "x"}}))
    keys = [e["data"].get("field_key") for e in data(api.get(f"/v1/persons/{person['id']}/flow"))]
    assert field["field_code"] not in keys
    keys = [
        e["data"].get("field_key")
        for e in data(api.get(f"/v1/persons/{person['id']}/flow", params={"all_changes": "1"}))
    ]
    assert field["field_code"] in keys
    assert "all_changes" in error(api.get(f"/v1/persons/{person['id']}/flow", params={"all_changes": "yes"}), 400)


def test_flow_pages(api):
    org = make_org(api)
    for n in range(5):
        data(api.patch(f"/api/v2/organizations/{org['id']}", json={"name": f"N{n}"}))
    whole = data(api.get(f"/v1/organizations/{org['id']}/flow"))
    assert len(whole) == 6
    first = api.get(f"/v1/organizations/{org['id']}/flow", params={"limit": 4}).json()
    assert first["additional_data"]["pagination"]["next_start"] == 4
    second = data(api.get(f"/v1/organizations/{org['id']}/flow", params={"limit": 4, "start": 4}))
    assert first["data"] + second == whole
    assert all(e["object"] == "organizationChange" for e in whole)


@pytest.mark.parametrize(("plural", "make", "name"), KINDS)
def test_unknown_and_foreign_items_are_404(api, other_api, plural, make, name):
    item = make(api)
    for suffix in ("changelog", "flow"):
        error(api.get(f"/v1/{plural}/999999/{suffix}"), 404)
        error(other_api.get(f"/v1/{plural}/{item['id']}/{suffix}"), 404)
