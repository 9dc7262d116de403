"""Followers (v1 and v2) of deals, persons and organizations, deal participants, who may
see an item. Pipedrive makes an item's owner its follower, and a deal's person its
participant; the stored counters follow every write."""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_org, make_person, make_user

KINDS = [("deals", make_deal), ("persons", make_person), ("organizations", make_org)]


@pytest.mark.parametrize(("plural", "make"), KINDS)
def test_the_owner_follows_a_new_item(api, plural, make):
    item = make(api)
    assert (
        data(api.get(f"/api/v2/{plural}/{item['id']}", params={"include_fields": "followers_count"}))["followers_count"]
        == 1
    )
    followers = data(api.get(f"/api/v2/{plural}/{item['id']}/followers"))
    assert [f["user_id"] for f in followers] == [1]
    assert followers[0]["add_time"].endswith("Z")
    v1 = data(api.get(f"/v1/{plural}/{item['id']}/followers"))
    key = {"deals": "deal_id", "persons": "person_id", "organizations": "org_id"}[plural]
    assert v1[0]["user_id"] == 1 and v1[0][key] == item["id"] and isinstance(v1[0]["id"], int)
    assert data(api.get(f"/v1/{plural}/{item['id']}"))["followers_count"] == 1


@pytest.mark.parametrize(("plural", "make"), KINDS)
def test_add_and_delete_followers_in_both_versions(api, engine, plural, make):
    item = make(api)
    other, third = make_user(engine), make_user(engine)
    url = f"/api/v2/{plural}/{item['id']}/followers"
    added = data(api.post(url, json={"user_id": other}), 201)
    assert added["user_id"] == other and added["add_time"].endswith("Z")
    assert "already" in error(api.post(url, json={"user_id": other}), 400)
    v1 = data(api.post(f"/v1/{plural}/{item['id']}/followers", json={"user_id": str(third)}))
    assert v1["user_id"] == third
    again = data(api.post(f"/v1/{plural}/{item['id']}/followers", json={"user_id": third}))
    assert again["id"] == v1["id"]  # v1 answers with the existing follower
    assert [f["user_id"] for f in data(api.get(url))] == [1, other, third]
    assert data(api.get(f"/v1/{plural}/{item['id']}"))["followers_count"] == 3
    assert data(api.delete(f"{url}/{other}")) == {"user_id": other}
    assert data(api.delete(f"/v1/{plural}/{item['id']}/followers/{v1['id']}")) == {"id": v1["id"]}
    assert [f["user_id"] for f in data(api.get(url))] == [1]
    assert data(api.get(f"/v1/{plural}/{item['id']}"))["followers_count"] == 1
    changes = data(api.get(f"{url}/changelog"))
    assert [(c["action"], c["follower_user_id"]) for c in changes] == [
        ("removed", third),
        ("removed", other),
        ("added", third),
        ("added", other),
        ("added", 1),
    ]
    assert all(c["actor_user_id"] == 1 and c["time"].endswith("Z") for c in changes)


def test_followers_pages(api, engine):
    deal = make_deal(api)
    for _ in range(3):
        data(api.post(f"/api/v2/deals/{deal['id']}/followers", json={"user_id": make_user(engine)}), 201)
    first = api.get(f"/api/v2/deals/{deal['id']}/followers", params={"limit": 3}).json()
    assert len(first["data"]) == 3 and first["additional_data"]["next_cursor"]
    rest = api.get(
        f"/api/v2/deals/{deal['id']}/followers", params={"limit": 3, "cursor": first["additional_data"]["next_cursor"]}
    ).json()
    assert len(rest["data"]) == 1 and rest["additional_data"]["next_cursor"] is None
    page = api.get(f"/v1/deals/{deal['id']}/followers", params={"start": 2, "limit": 1}).json()
    assert len(page["data"]) == 1 and page["additional_data"]["pagination"]["next_start"] == 3
    changes = api.get(f"/api/v2/deals/{deal['id']}/followers/changelog", params={"limit": 2}).json()
    assert len(changes["data"]) == 2 and changes["additional_data"]["next_cursor"]


def test_a_new_owner_starts_following(api, engine):
    other = make_user(engine)
    deal = make_deal(api)
    data(api.patch(f"/api/v2/deals/{deal['id']}", json={"owner_id": other}))
    assert [f["user_id"] for f in data(api.get(f"/api/v2/deals/{deal['id']}/followers"))] == [1, other]


def test_bad_follower_input_writes_nothing(api, other_api):
    deal = make_deal(api)
    url = f"/api/v2/deals/{deal['id']}/followers"
    assert "user_id" in error(api.post(url, json={}), 400)
    assert "user_id" in error(api.post(url, json={"user_id": "2"}), 400)  # v2 is strict
    assert "user_id" in error(api.post(url, json={"user_id": 999}), 400)
    assert "user_id" in error(api.post(url, json={"user_id": 2}), 400)  # the other company's user
    assert "user_id" in error(api.post(url, json={"user_id": 10**20}), 400)
    assert "user_id" in error(api.post(url, json={"user_id": True}), 400)
    assert "user_id" in error(api.post(f"/v1/deals/{deal['id']}/followers", json={"user_id": "1x"}), 400)
    error(api.post("/api/v2/deals/999/followers", json={"user_id": 1}), 404)
    error(api.delete(f"{url}/999"), 404)
    error(api.delete(f"/v1/deals/{deal['id']}/followers/999"), 404)
    error(other_api.get(url), 404)
    error(other_api.post(url, json={"user_id": 2}), 404)
    assert len(data(api.get(url))) == 1
    other_deal = make_deal(api)
    follower = data(api.get(f"/v1/deals/{other_deal['id']}/followers"))[0]
    error(api.delete(f"/v1/deals/{deal['id']}/followers/{follower['id']}"), 404)  # another deal's follower


def test_user_followers(api, engine, other_api):
    assert data(api.get("/v1/users/1/followers")) == []
    assert data(api.get("/api/v2/users/1/followers")) == []
    error(api.get("/v1/users/999/followers"), 404)
    error(other_api.get("/api/v2/users/1/followers"), 404)


# -- participants ----------------------------------------------------------------------


def test_a_deals_person_is_its_participant(api):
    person = make_person(api, emails=[{"value": "p@x.test"}])
    deal = make_deal(api, person_id=person["id"])
    assert data(api.get(f"/v1/deals/{deal['id']}"))["participants_count"] == 1
    body = api.get(f"/v1/deals/{deal['id']}/participants").json()
    [p] = body["data"]
    assert p["person_id"]["value"] == person["id"] and p["person_id"]["email"][0]["value"] == "p@x.test"
    assert p["person"]["id"] == person["id"] and p["related_item_data"] == {
        "deal_id": deal["id"],
        "title": deal["title"],
    }
    assert p["added_by_user_id"]["value"] == 1 and p["active_flag"] is True and p["related_item_type"] == "deal"
    assert str(person["id"]) in body["related_objects"]["person"] and "1" in body["related_objects"]["user"]
    assert body["additional_data"]["pagination"]["more_items_in_collection"] is False
    persons = data(api.get(f"/v1/deals/{deal['id']}/persons"))
    assert [x["id"] for x in persons] == [person["id"]]


def test_add_and_remove_participants(api):
    deal = make_deal(api)
    assert data(api.get(f"/v1/deals/{deal['id']}/participants")) is None
    a, b = make_person(api), make_person(api)
    added = data(api.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": a["id"]}))
    assert added["person_id"]["value"] == a["id"]
    data(api.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": str(b["id"])}))
    assert "already" in error(api.post(f"/v1/deals/{deal['id']}/participants", json={"person_id": a["id"]}), 400)
    assert (
        data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": "participants_count"}))[
            "participants_count"
        ]
        == 2
    )
    assert data(api.delete(f"/v1/deals/{deal['id']}/participants/{added['id']}")) == {"id": added["id"]}
    error(api.delete(f"/v1/deals/{deal['id']}/participants/{added['id']}"), 404)
    assert [p["person"]["id"] for p in data(api.get(f"/v1/deals/{deal['id']}/participants"))] == [b["id"]]
    assert data(api.get(f"/v1/deals/{deal['id']}"))["participants_count"] == 1
    log = api.get(f"/v1/deals/{deal['id']}/participantsChangelog").json()
    assert [(x["action"], x["person_id"]) for x in log["data"]] == [
        ("removed", a["id"]),
        ("added", b["id"]),
        ("added", a["id"]),
    ]
    assert log["additional_data"]["next_cursor"] is None and log["data"][0]["actor_user_id"] == 1
    page = api.get(f"/v1/deals/{deal['id']}/participantsChangelog", params={"limit": 1}).json()
    assert len(page["data"]) == 1 and page["additional_data"]["next_cursor"]


def test_a_new_person_on_a_deal_joins_it(api):
    a, b = make_person(api), make_person(api)
    deal = make_deal(api, person_id=a["id"])
    data(api.put(f"/v1/deals/{deal['id']}", json={"person_id": b["id"]}))
    ids = [p["person"]["id"] for p in data(api.get(f"/v1/deals/{deal['id']}/participants"))]
    assert ids == [a["id"], b["id"]]


def test_bad_participant_input_writes_nothing(api, other_api):
    deal = make_deal(api)
    url = f"/v1/deals/{deal['id']}/participants"
    assert "person_id" in error(api.post(url, json={}), 400)
    assert "person_id" in error(api.post(url, json={"person_id": "x"}), 400)
    assert "person_id" in error(api.post(url, json={"person_id": 999}), 400)
    assert "person_id" in error(api.post(url, json={"person_id": 10**20}), 400)
    assert "person_id" in error(api.post(url, json={"person_id": -1}), 400)
    theirs = make_person(other_api)
    assert "person_id" in error(api.post(url, json={"person_id": theirs["id"]}), 400)
    error(api.post("/v1/deals/999/participants", json={"person_id": 1}), 404)
    error(other_api.get(url), 404)
    error(api.delete(f"{url}/999"), 404)
    assert data(api.get(url)) is None


# -- who can see an item ---------------------------------------------------------------


@pytest.mark.parametrize(("plural", "make"), KINDS)
def test_permitted_users(api, engine, plural, make):
    other, admin = make_user(engine), make_user(engine, is_admin=True)
    item = make(api)
    assert data(api.get(f"/v1/{plural}/{item['id']}/permittedUsers")) == [1, other, admin]
    private = make(api, visible_to=1)
    assert data(api.get(f"/v1/{plural}/{private['id']}/permittedUsers")) == [1, admin]
    data(api.post(f"/api/v2/{plural}/{private['id']}/followers", json={"user_id": other}), 201)
    assert data(api.get(f"/v1/{plural}/{private['id']}/permittedUsers")) == [1, other, admin]
    error(api.get(f"/v1/{plural}/999/permittedUsers"), 404)


def test_follower_and_participant_writes_record_change_events(api, engine):
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    person = make_person(api)
    deal = make_deal(api, person_id=person["id"])
    follower = data(api.get(f"/v1/deals/{deal['id']}/followers"))[0]
    data(api.delete(f"/v1/deals/{deal['id']}/followers/{follower['id']}"))
    with engine.connect() as conn:
        rows = conn.execute(select(change_events).order_by(change_events.c.id)).mappings().all()
    kinds = [(r["entity"], r["action"]) for r in rows if r["entity"] in ("follower", "deal_participant")]
    assert kinds == [
        ("follower", "create"),  # the person's owner
        ("follower", "create"),  # the deal's owner
        ("deal_participant", "create"),
        ("follower", "delete"),
    ]
