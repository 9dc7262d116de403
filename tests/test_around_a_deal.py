"""Across families: what happens to the things around a deal when it changes form.

* A lead converted to a deal (and back) keeps its person / org, notes, activities and
  custom-field values; the status endpoint reports the conversion.
* Merging two persons moves their deals, activities, notes and followers to the survivor.
"""

from __future__ import annotations

from factories import data, error, make_deal, make_field, make_org, make_person, make_user


def _convert_and_wait(api, path: str, status_path: str, body: dict | None = None) -> dict:
    job = data(api.post(path, json=body or {}))
    conversion_id = job["conversion_id"]
    status = data(api.get(status_path.format(conversion_id=conversion_id)))
    assert status["conversion_id"] == conversion_id
    assert status["status"] == "completed"
    return status


def test_lead_to_deal_and_back_keeps_links_notes_activities_and_custom_values(api):
    person, org = make_person(api), make_org(api)
    field = make_field(api, "deal", "varchar")
    code = field["field_code"]
    lead = data(
        api.post(
            "/v1/leads",
            json={
                "title": "Conversion lead",
                "person_id": person["id"],
                "organization_id": org["id"],
                "value": {"amount": 1200, "currency": "EUR"},
                code: "from the lead",
            },
        ),
        201,
    )
    assert lead[code] == "from the lead"
    note = data(api.post("/v1/notes", json={"content": "<p>lead note</p>", "lead_id": lead["id"]}))
    activity = data(
        api.post("/api/v2/activities", json={"subject": "Lead call", "type": "call", "lead_id": lead["id"]})
    )
    upload = {"file": ("brief.txt", b"the brief", "text/plain")}
    attached = data(api.post("/v1/files", data={"lead_id": lead["id"]}, files=upload))

    status = _convert_and_wait(
        api, f"/api/v2/leads/{lead['id']}/convert/deal", f"/api/v2/leads/{lead['id']}/convert/status/{{conversion_id}}"
    )
    deal_id = status["deal_id"]
    deal = data(api.get(f"/api/v2/deals/{deal_id}", params={"include_fields": "source_lead_id,notes_count"}))
    assert (deal["title"], deal["person_id"], deal["org_id"]) == ("Conversion lead", person["id"], org["id"])
    assert (deal["value"], deal["currency"]) == (1200, "EUR")
    assert deal["custom_fields"][code] == "from the lead"
    assert deal["source_lead_id"] == lead["id"]
    assert deal["notes_count"] == 1
    assert data(api.get(f"/v1/notes/{note['id']}"))["deal_id"] == deal_id
    moved = data(api.get(f"/api/v2/activities/{activity['id']}"))
    assert moved["deal_id"] == deal_id
    assert [a["id"] for a in data(api.get("/api/v2/activities", params={"deal_id": deal_id}))] == [activity["id"]]
    assert data(api.get(f"/v1/files/{attached['id']}"))["deal_id"] == deal_id
    assert error(api.get(f"/v1/leads/{lead['id']}"), 404)

    status = _convert_and_wait(
        api, f"/api/v2/deals/{deal_id}/convert/lead", f"/api/v2/deals/{deal_id}/convert/status/{{conversion_id}}"
    )
    back = data(api.get(f"/v1/leads/{status['lead_id']}"))
    assert (back["person_id"], back["organization_id"]) == (person["id"], org["id"])
    assert back["value"] == {"amount": 1200, "currency": "EUR"}
    assert back[code] == "from the lead"
    assert data(api.get(f"/v1/notes/{note['id']}"))["lead_id"] == back["id"]
    assert data(api.get(f"/api/v2/activities/{activity['id']}"))["lead_id"] == back["id"]


def test_merging_persons_moves_deals_activities_notes_and_followers(api, engine):
    survivor, merged = make_person(api, name="Survivor"), make_person(api, name="Merged")
    deal = make_deal(api, person_id=merged["id"])
    activity = data(api.post("/api/v2/activities", json={"subject": "Call", "type": "call", "person_id": merged["id"]}))
    note = data(api.post("/v1/notes", json={"content": "about merged", "person_id": merged["id"]}))
    other_user = make_user(engine, name="Follower")
    data(api.post(f"/api/v2/persons/{merged['id']}/followers", json={"user_id": other_user}), 201)

    result = data(api.put(f"/v1/persons/{merged['id']}/merge", json={"merge_with_id": survivor["id"]}))
    assert result["id"] == survivor["id"]

    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["person_id"] == survivor["id"]
    assert data(api.get(f"/api/v2/activities/{activity['id']}"))["person_id"] == survivor["id"]
    assert data(api.get(f"/v1/notes/{note['id']}"))["person_id"] == survivor["id"]
    followers = data(api.get(f"/api/v2/persons/{survivor['id']}/followers"))
    assert other_user in [f["user_id"] for f in followers]
    counts = data(
        api.get(
            f"/api/v2/persons/{survivor['id']}",
            params={"include_fields": "open_deals_count,activities_count,notes_count,followers_count"},
        )
    )
    assert (counts["open_deals_count"], counts["activities_count"], counts["notes_count"]) == (1, 1, 1)
    assert counts["followers_count"] == len(followers)
    gone = api.get(f"/api/v2/persons/{merged['id']}")
    assert gone.status_code == 200 and gone.json()["data"]["is_deleted"] is True
    assert data(api.get(f"/api/v2/persons/{merged['id']}/followers")) == []


def test_merging_deals_moves_products_and_recomputes_the_survivor(api):
    survivor, merged = make_deal(api, currency="EUR"), make_deal(api, currency="EUR")
    product = data(
        api.post("/api/v2/products", json={"name": "Widget", "prices": [{"price": 10, "currency": "EUR"}]}), 201
    )
    line = {"product_id": product["id"], "item_price": 10, "quantity": 3, "tax": 0}
    moved = data(api.post(f"/api/v2/deals/{merged['id']}/products", json=line), 201)
    kept = data(api.post(f"/api/v2/deals/{survivor['id']}/products", json={**line, "quantity": 1}), 201)

    data(api.put(f"/v1/deals/{merged['id']}/merge", json={"merge_with_id": survivor["id"]}))

    lines = data(api.get(f"/api/v2/deals/{survivor['id']}/products"))
    assert sorted(x["id"] for x in lines) == sorted([moved["id"], kept["id"]])
    deal = data(api.get(f"/api/v2/deals/{survivor['id']}", params={"include_fields": "products_count"}))
    assert (deal["products_count"], deal["value"]) == (2, 40)
    assert data(api.get(f"/api/v2/deals/{merged['id']}/products")) == []
