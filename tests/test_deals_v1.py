"""Classic v1 deals: the same rows as v2, in v1's shape, with offset paging."""

from __future__ import annotations

import re

from factories import data, error, make_deal, make_org, make_person

V1_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")


def test_v1_sees_a_v2_deal_in_the_v1_shape(api):
    org = make_org(api, name="Globex")
    person = make_person(api, name="Hank Scorpio", org_id=org["id"], emails=[{"value": "hank@globex.test"}])
    deal = make_deal(
        api,
        title="Hammock district",
        value=2300,
        currency="EUR",
        person_id=person["id"],
        org_id=org["id"],
        label_ids=[2, 3],
    )
    body = api.get(f"/v1/deals/{deal['id']}").json()
    got = body["data"]
    assert got["id"] == deal["id"] and got["title"] == "Hammock district"
    assert got["user_id"]["value"] == 1 and got["user_id"]["name"] == "Ada Admin"
    assert got["person_id"]["value"] == person["id"] and got["person_id"]["name"] == "Hank Scorpio"
    assert got["person_id"]["email"] == [{"label": "work", "value": "hank@globex.test", "primary": True}]
    assert got["org_id"]["value"] == org["id"] and got["org_id"]["name"] == "Globex"
    assert got["visible_to"] == "3" and got["label"] == "2,3"
    assert got["active"] is True and got["deleted"] is False
    assert V1_TIME.match(got["add_time"])
    assert got["add_time"].replace(" ", "T") + "Z" == deal["add_time"]
    assert got["person_name"] == "Hank Scorpio" and got["org_name"] == "Globex" and got["owner_name"] == "Ada Admin"
    assert got["formatted_value"] == "€2,300"
    assert got["weighted_value"] == 2300 and got["weighted_value_currency"] == "EUR"
    related = body["related_objects"]
    assert related["user"]["1"]["name"] == "Ada Admin"
    assert related["person"][str(person["id"])]["name"] == "Hank Scorpio"
    assert related["organization"][str(org["id"])]["people_count"] == 1


def test_v1_add_takes_form_bodies_and_coerces(api):
    response = api.post("/v1/deals", data={"title": "Form deal", "value": "250.5", "stage_id": "2", "visible_to": "1"})
    got = data(response, 201)
    assert got["value"] == 250.5 and got["stage_id"] == 2 and got["visible_to"] == "1"
    v2 = data(api.get(f"/api/v2/deals/{got['id']}"))
    assert v2["value"] == 250.5 and v2["visible_to"] == 1


def test_v1_put_updates_the_row_v2_reads(api):
    deal = make_deal(api)
    updated = data(api.put(f"/v1/deals/{deal['id']}", json={"title": "Renamed", "status": "won", "user_id": 1}))
    assert updated["title"] == "Renamed" and updated["status"] == "won" and V1_TIME.match(updated["won_time"])
    v2 = data(api.get(f"/api/v2/deals/{deal['id']}"))
    assert v2["title"] == "Renamed" and v2["status"] == "won"
    assert v2["won_time"] == updated["won_time"].replace(" ", "T") + "Z"


def test_v1_offset_paging(api):
    ids = [make_deal(api)["id"] for _ in range(5)]
    first = api.get("/v1/deals", params={"start": 0, "limit": 2}).json()
    assert [d["id"] for d in first["data"]] == ids[:2]
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    last = api.get("/v1/deals", params={"start": 4, "limit": 2}).json()
    assert [d["id"] for d in last["data"]] == ids[4:]
    assert last["additional_data"]["pagination"] == {"start": 4, "limit": 2, "more_items_in_collection": False}
    past = api.get("/v1/deals", params={"start": 10}).json()
    assert past["data"] is None
    assert past["additional_data"]["pagination"]["more_items_in_collection"] is False


def test_v1_sort_and_filters(api):
    a = make_deal(api, title="b", stage_id=2)
    b = make_deal(api, title="a", stage_id=3)
    data(api.put(f"/v1/deals/{b['id']}", json={"status": "lost"}))
    titles = [d["title"] for d in data(api.get("/v1/deals", params={"sort": "title ASC"}))]
    assert titles == ["a", "b"]
    assert [d["id"] for d in data(api.get("/v1/deals", params={"sort": "title DESC, id ASC"}))] == [a["id"], b["id"]]
    assert [d["id"] for d in data(api.get("/v1/deals", params={"stage_id": 2}))] == [a["id"]]
    assert [d["id"] for d in data(api.get("/v1/deals", params={"status": "lost"}))] == [b["id"]]
    assert [d["id"] for d in data(api.get("/v1/deals", params={"user_id": 1, "status": "open"}))] == [a["id"]]
    assert data(api.get("/v1/deals", params={"owned_by_you": 1, "status": "won"})) is None


def test_v1_delete_and_bulk_delete(api):
    ids = [make_deal(api)["id"] for _ in range(4)]
    assert data(api.delete(f"/v1/deals/{ids[0]}")) == {"id": ids[0]}
    assert data(api.delete("/v1/deals", params={"ids": f"{ids[1]},{ids[2]}"})) == {"id": [ids[1], ids[2]]}
    assert [d["id"] for d in data(api.get("/v1/deals"))] == [ids[3]]
    assert [d["id"] for d in data(api.get("/v1/deals", params={"status": "deleted"}))] == ids[:3]
    # All or nothing: one unknown id and nothing is deleted.
    error(api.delete("/v1/deals", params={"ids": f"{ids[3]},999999"}), 404)
    assert [d["id"] for d in data(api.get("/v1/deals"))] == [ids[3]]


def test_v1_sub_lists(api):
    org = make_org(api)
    person = make_person(api, org_id=org["id"])
    mine = make_deal(api, person_id=person["id"], org_id=org["id"], stage_id=4)
    make_deal(api)
    assert [d["id"] for d in data(api.get(f"/v1/persons/{person['id']}/deals"))] == [mine["id"]]
    assert [d["id"] for d in data(api.get(f"/v1/organizations/{org['id']}/deals"))] == [mine["id"]]
    assert [p["id"] for p in data(api.get(f"/v1/organizations/{org['id']}/persons"))] == [person["id"]]
    assert [d["id"] for d in data(api.get("/v1/stages/4/deals"))] == [mine["id"]]
    assert len(data(api.get("/v1/pipelines/1/deals"))) == 2
    error(api.get("/v1/persons/999999/deals"), 404)


def test_api_v1_prefix_is_the_same_api(api):
    deal = make_deal(api)
    assert data(api.get(f"/api/v1/deals/{deal['id']}"))["title"] == deal["title"]


def test_v1_status_deleted_deletes_and_v2_refuses_it(api):
    deal = make_deal(api)
    error(api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "deleted"}), 400)
    got = data(api.put(f"/v1/deals/{deal['id']}", json={"status": "deleted"}))
    assert got["deleted"] is True and got["active"] is False and got["status"] == "open"
    assert data(api.get("/v1/deals")) is None
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["is_deleted"] is True


def test_v1_pages_stay_exact_when_they_seek_from_bookmarks(api):
    ids = [make_deal(api)["id"] for _ in range(9)]

    def page(start):
        body = api.get("/v1/deals", params={"start": start, "limit": 3}).json()
        return [d["id"] for d in body["data"] or []], body["additional_data"]["pagination"]

    # Sequential pages: the second and third seek from what the one before saw.
    assert [page(s)[0] for s in (0, 3, 6)] == [ids[0:3], ids[3:6], ids[6:9]]
    assert page(6) == (ids[6:9], {"start": 6, "limit": 3, "more_items_in_collection": False})
    # A write moves the company's change version: no bookmark outlives it.
    data(api.delete(f"/api/v2/deals/{ids[1]}"))
    assert page(3)[0] == [ids[4], ids[5], ids[6]]
    assert page(6)[0] == [ids[7], ids[8]]
    # Another filter is another query: its own pages.
    assert page(0)[0] == [ids[0], ids[2], ids[3]]
    assert [
        d["id"] for d in data(api.get("/v1/deals", params={"start": 3, "limit": 3, "status": "deleted"})) or []
    ] == []
