"""Persons and organizations in both versions."""

from __future__ import annotations

from factories import data, error, make_deal, make_org, make_person


def test_person_with_several_emails_and_phones(api):
    person = make_person(
        api,
        name="Grace Hopper",
        emails=[
            {"value": "grace@navy.test", "label": "work"},
            {"value": "g@home.test", "label": "home", "primary": True},
        ],
        phones=[{"value": "+1 555 0100"}, {"value": "+1 555 0101", "label": "mobile"}],
    )
    assert person["first_name"] == "Grace" and person["last_name"] == "Hopper"
    assert person["emails"] == [
        {"value": "grace@navy.test", "label": "work", "primary": False},
        {"value": "g@home.test", "label": "home", "primary": True},
    ]
    assert person["phones"] == [
        {"value": "+1 555 0100", "label": "work", "primary": True},
        {"value": "+1 555 0101", "label": "mobile", "primary": False},
    ]
    v1 = data(api.get(f"/v1/persons/{person['id']}"))
    assert v1["email"][1] == {"label": "home", "value": "g@home.test", "primary": True}
    assert v1["phone"][0]["value"] == "+1 555 0100"
    assert v1["first_char"] == "g" and v1["active_flag"] is True and v1["owner_id"]["value"] == 1


def test_person_name_from_parts_and_required(api):
    person = make_person(api, name=None, first_name="Alan", last_name="Turing")
    assert person["name"] == "Alan Turing"
    message = error(api.post("/api/v2/persons", json={"emails": [{"value": "x@y.test"}]}), 400)
    assert "name" in message


def test_v1_person_takes_plain_email_strings(api):
    got = data(
        api.post("/v1/persons", json={"name": "Ada", "email": ["ada@a.test", "ada@b.test"], "phone": "123"}), 201
    )
    assert [e["value"] for e in got["email"]] == ["ada@a.test", "ada@b.test"]
    assert got["email"][0]["primary"] is True and got["phone"][0]["value"] == "123"
    v2 = data(api.get(f"/api/v2/persons/{got['id']}"))
    assert v2["emails"][1] == {"value": "ada@b.test", "label": "work", "primary": False}


def test_person_deal_counts_in_v1(api):
    person = make_person(api)
    make_deal(api, person_id=person["id"])
    won = make_deal(api, person_id=person["id"])
    data(api.patch(f"/api/v2/deals/{won['id']}", json={"status": "won"}))
    got = data(api.get(f"/v1/persons/{person['id']}"))
    assert got["open_deals_count"] == 1 and got["won_deals_count"] == 1 and got["closed_deals_count"] == 1


def test_persons_list_filters(api):
    org = make_org(api)
    a = make_person(api, name="Zed", org_id=org["id"])
    b = make_person(api, name="Amy")
    assert [p["id"] for p in data(api.get("/api/v2/persons", params={"org_id": org["id"]}))] == [a["id"]]
    assert [p["id"] for p in data(api.get("/v1/persons", params={"first_char": "a"}))] == [b["id"]]
    assert [p["id"] for p in data(api.get("/v1/persons", params={"sort": "name ASC"}))] == [b["id"], a["id"]]
    deal = make_deal(api, person_id=b["id"])
    assert [p["id"] for p in data(api.get("/api/v2/persons", params={"deal_id": deal["id"]}))] == [b["id"]]


def test_organization_address_in_both_versions(api):
    org = make_org(api, name="Initech", address={"value": "1 Main St, Austin", "locality": "Austin", "country": "USA"})
    assert org["address"]["value"] == "1 Main St, Austin" and org["address"]["locality"] == "Austin"
    assert org["address"]["route"] is None
    v1 = data(api.get(f"/v1/organizations/{org['id']}"))
    assert v1["address"] == "1 Main St, Austin" and v1["address_locality"] == "Austin"
    assert v1["owner_id"]["value"] == 1 and v1["visible_to"] == "3" and v1["people_count"] == 0
    updated = data(api.put(f"/v1/organizations/{org['id']}", json={"address": "2 Side St", "name": "Initrode"}))
    assert updated["name"] == "Initrode" and updated["address"] == "2 Side St"
    assert data(api.get(f"/api/v2/organizations/{org['id']}"))["address"]["value"] == "2 Side St"


def test_organization_delete_and_lists(api):
    a, b = make_org(api), make_org(api)
    assert data(api.delete(f"/api/v2/organizations/{a['id']}")) == {"id": a["id"]}
    assert [o["id"] for o in data(api.get("/api/v2/organizations"))] == [b["id"]]
    assert [o["id"] for o in data(api.get("/v1/organizations"))] == [b["id"]]
    assert data(api.delete("/v1/organizations", params={"ids": str(b["id"])})) == {"id": [b["id"]]}
    assert data(api.get("/v1/organizations")) is None


def test_person_update_and_delete(api):
    person = make_person(api, name="Old Name")
    got = data(api.patch(f"/api/v2/persons/{person['id']}", json={"name": "New Name", "visible_to": 1}))
    assert got["name"] == "New Name" and got["first_name"] == "New" and got["visible_to"] == 1
    put = data(api.put(f"/v1/persons/{person['id']}", json={"phone": ["999"]}))
    assert put["phone"] == [{"label": "work", "value": "999", "primary": True}]
    assert data(api.delete(f"/v1/persons/{person['id']}")) == {"id": person["id"]}
    assert data(api.get(f"/api/v2/persons/{person['id']}"))["is_deleted"] is True


def test_v2_include_fields_gives_real_deal_counts(api):
    org = make_org(api)
    person = make_person(api, org_id=org["id"])
    make_deal(api, person_id=person["id"], org_id=org["id"])
    lost = make_deal(api, person_id=person["id"])
    data(api.patch(f"/api/v2/deals/{lost['id']}", json={"status": "lost"}))
    got = data(
        api.get(f"/api/v2/persons/{person['id']}", params={"include_fields": "open_deals_count,lost_deals_count"})
    )
    assert got["open_deals_count"] == 1 and got["lost_deals_count"] == 1 and "won_deals_count" not in got
    orgs = data(api.get("/api/v2/organizations", params={"include_fields": "people_count,open_deals_count"}))
    assert orgs[0]["people_count"] == 1 and orgs[0]["open_deals_count"] == 1
    assert "people_count" not in data(api.get(f"/api/v2/organizations/{org['id']}"))
    assert "include_fields" in error(api.get("/api/v2/persons", params={"include_fields": "secret_column"}), 400)
