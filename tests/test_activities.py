"""Activities, v1 and v2: CRUD, list filters, sub-lists, counters on their deals, persons
and organizations, the activity fields, bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from factories import data, error, make_deal, make_org, make_person


def make_activity(api, **fields):
    return data(api.post("/api/v2/activities", json={"subject": "Call them", **fields}))


def make_activity_v1(api, **fields):
    return data(api.post("/v1/activities", json={"subject": "Call them", **fields}), 201)


def ids(items) -> list[int]:
    return [i["id"] for i in items or []]


def v2_list(api, **params):
    return data(api.get("/api/v2/activities", params=params))


def v1_deal(api, deal_id):
    return data(api.get(f"/v1/deals/{deal_id}"))


# -- v2 CRUD ---------------------------------------------------------------------------------


def test_v2_add_get_update_delete(lead_id, api):
    org = make_org(api)
    person = make_person(api, org_id=org["id"])
    deal = make_deal(api, person_id=person["id"], org_id=org["id"])
    me = data(api.get("/v1/users/me"))["id"]
    made = make_activity(
        api,
        type="meeting",
        deal_id=deal["id"],
        lead_id=lead_id,
        org_id=org["id"],
        project_id=7,
        participants=[{"person_id": person["id"], "primary": True}],
        due_date="2030-05-01",
        due_time="09:30",
        duration="01:00",
        busy=True,
        note="<b>bring</b> slides",
        public_description="Quarterly review",
        location={"value": "Main St 1, Tallinn", "locality": "Tallinn", "country": "Estonia"},
        priority=2,
        attendees=[{"email": "guest@example.com", "name": "Guest"}],
    )
    assert made["subject"] == "Call them" and made["type"] == "meeting"
    assert made["owner_id"] == me and made["creator_user_id"] == me
    assert made["deal_id"] == deal["id"] and made["lead_id"] == lead_id and made["org_id"] == org["id"]
    assert made["person_id"] == person["id"] and made["project_id"] == 7
    assert made["participants"] == [{"person_id": person["id"], "primary": True}]
    assert (made["due_date"], made["due_time"], made["duration"]) == ("2030-05-01", "09:30", "01:00")
    assert made["busy"] is True and made["done"] is False and made["marked_as_done_time"] is None
    assert made["note"] == "<b>bring</b> slides" and made["public_description"] == "Quarterly review"
    assert made["location"]["value"] == "Main St 1, Tallinn" and made["location"]["locality"] == "Tallinn"
    assert made["location"]["country"] == "Estonia" and made["location"]["route"] is None
    assert made["priority"] == 2 and made["is_deleted"] is False
    assert made["add_time"].endswith("Z") and made["update_time"].endswith("Z")
    assert "attendees" not in made
    got = data(api.get(f"/api/v2/activities/{made['id']}", params={"include_fields": "attendees"}))
    assert got["attendees"] == [
        {
            "email": "guest@example.com",
            "name": "Guest",
            "status": None,
            "is_organizer": False,
            "person_id": None,
            "user_id": None,
        }
    ]
    assert {k: v for k, v in got.items() if k != "attendees"} == made

    changed = data(
        api.patch(
            f"/api/v2/activities/{made['id']}",
            json={"subject": "Lunch", "type": "lunch", "done": True, "location": None, "due_time": None},
        )
    )
    assert changed["subject"] == "Lunch" and changed["type"] == "lunch" and changed["done"] is True
    assert changed["marked_as_done_time"].endswith("Z") and changed["location"] is None
    assert changed["due_time"] is None and changed["deal_id"] == deal["id"]
    undone = data(api.patch(f"/api/v2/activities/{made['id']}", json={"done": False}))
    assert undone["done"] is False and undone["marked_as_done_time"] is None

    assert data(api.delete(f"/api/v2/activities/{made['id']}")) == {"id": made["id"]}
    gone = data(api.get(f"/api/v2/activities/{made['id']}"))
    assert gone["is_deleted"] is True
    assert ids(v2_list(api)) == []
    error(api.delete(f"/api/v2/activities/{made['id']}"), 404)
    error(api.patch(f"/api/v2/activities/{made['id']}", json={"subject": "x"}), 404)


def test_defaults_type_subject_due_date_and_owner(api):
    made = data(api.post("/api/v2/activities", json={}))
    assert made["type"] == "call" and made["subject"] == "Call"
    assert made["due_date"] == datetime.now(UTC).strftime("%Y-%m-%d")
    assert made["busy"] is False and made["done"] is False and made["participants"] == []
    assert made["location"] is None and made["due_time"] is None
    # Without "call", the company's first type.
    types = data(api.get("/v1/activityTypes"))
    api.delete(f"/v1/activityTypes/{types[0]['id']}")
    assert data(api.post("/api/v2/activities", json={}))["type"] == "meeting"
    # Done on creation stamps the time.
    done = make_activity(api, done=True)
    assert done["marked_as_done_time"] is not None


def test_person_id_and_participants_stay_together(api):
    a, b, c = make_person(api), make_person(api), make_person(api)
    made = make_activity(api, person_id=a["id"])
    assert made["participants"] == [{"person_id": a["id"], "primary": True}]
    made = data(
        api.patch(
            f"/api/v2/activities/{made['id']}",
            json={"participants": [{"person_id": b["id"], "primary": False}, {"person_id": c["id"], "primary": True}]},
        )
    )
    assert made["person_id"] == c["id"]
    assert made["participants"] == [{"person_id": b["id"], "primary": False}, {"person_id": c["id"], "primary": True}]
    # A new person_id becomes the primary one; the others stay.
    made = data(api.patch(f"/api/v2/activities/{made['id']}", json={"person_id": a["id"]}))
    assert made["participants"] == [{"person_id": a["id"], "primary": True}, {"person_id": b["id"], "primary": False}]
    # No primary given: the first one is.
    made = data(api.patch(f"/api/v2/activities/{made['id']}", json={"participants": [{"person_id": b["id"]}]}))
    assert made["person_id"] == b["id"] and made["participants"] == [{"person_id": b["id"], "primary": True}]
    made = data(api.patch(f"/api/v2/activities/{made['id']}", json={"participants": []}))
    assert made["person_id"] is None and made["participants"] == []


# -- v1 CRUD ---------------------------------------------------------------------------------


def test_v1_add_get_update_delete(api):
    org = make_org(api, name="Globex")
    person = make_person(api, name="Homer", org_id=org["id"])
    deal = make_deal(api, title="Big one", person_id=person["id"], org_id=org["id"])
    me = data(api.get("/v1/users/me"))
    response = api.post(
        "/v1/activities",
        json={
            "subject": "Demo",
            "type": "meeting",
            "deal_id": deal["id"],
            "person_id": person["id"],
            "org_id": org["id"],
            "due_date": "2030-01-02",
            "due_time": "9:05",
            "duration": "00:45",
            "busy_flag": 1,
            "done": 0,
            "location": "Main St 1",
            "note": "n",
            "attendees": [{"email_address": "x@example.com", "name": "X"}],
        },
    )
    made = data(response, 201)
    assert made["subject"] == "Demo" and made["type"] == "meeting" and made["user_id"] == me["id"]
    assert made["created_by_user_id"] == me["id"] and made["assigned_to_user_id"] == me["id"]
    assert made["deal_id"] == deal["id"] and made["person_id"] == person["id"] and made["org_id"] == org["id"]
    assert made["due_time"] == "09:05" and made["duration"] == "00:45" and made["busy_flag"] is True
    assert made["done"] is False and made["active_flag"] is True and made["location"] == "Main St 1"
    assert made["participants"] == [{"person_id": person["id"], "primary_flag": True}]
    assert made["attendees"][0]["email_address"] == "x@example.com"
    assert made["person_name"] == "Homer" and made["org_name"] == "Globex" and made["deal_title"] == "Big one"
    assert made["owner_name"] == me["name"] and made["company_id"] == me["company_id"]
    assert made["add_time"][10] == " " and made["marked_as_done_time"] is None
    related = response.json()["related_objects"]
    assert related["deal"][str(deal["id"])]["title"] == "Big one"
    assert related["person"][str(person["id"])]["name"] == "Homer"
    assert related["organization"][str(org["id"])]["name"] == "Globex"
    assert related["user"][str(me["id"])]["name"] == me["name"]

    updated = data(api.put(f"/v1/activities/{made['id']}", json={"done": "1", "deal_id": "", "location": ""}))
    assert updated["done"] is True and updated["marked_as_done_time"][10] == " "
    assert updated["deal_id"] is None and updated["deal_title"] is None and updated["location"] is None
    got = data(api.get(f"/v1/activities/{made['id']}"))
    assert got == updated
    assert data(api.delete(f"/v1/activities/{made['id']}")) == {"id": made["id"]}
    assert data(api.get(f"/v1/activities/{made['id']}"))["active_flag"] is False
    error(api.put(f"/v1/activities/{made['id']}", json={"subject": "x"}), 404)


def test_v1_bulk_delete_is_all_or_nothing(api):
    a, b, c = make_activity(api), make_activity(api), make_activity(api)
    error(api.delete("/v1/activities", params={"ids": f"{a['id']},999999"}), 404)
    assert len(v2_list(api)) == 3
    assert data(api.delete("/v1/activities", params={"ids": f"{a['id']},{b['id']}"})) == {"id": [a["id"], b["id"]]}
    assert ids(v2_list(api)) == [c["id"]]
    error(api.delete("/v1/activities"), 400)


# -- lists -----------------------------------------------------------------------------------


def test_v2_list_filters(lead_id, api, engine):
    from dealbase.api.handlers import core  # noqa: F401

    user = data(api.get("/v1/users/me"))["id"]
    p1, p2 = make_person(api), make_person(api)
    org = make_org(api)
    deal = make_deal(api)
    a = make_activity(api, deal_id=deal["id"], due_date="2030-03-01")
    b = make_activity(api, person_id=p1["id"], org_id=org["id"], done=True, due_date="2030-01-01")
    c = make_activity(api, person_id=p2["id"], lead_id=lead_id, due_date="2030-02-01")
    assert ids(v2_list(api)) == [a["id"], b["id"], c["id"]]
    assert ids(v2_list(api, ids=f"{c['id']},{a['id']},999999")) == [a["id"], c["id"]]
    assert ids(v2_list(api, owner_id=user)) == [a["id"], b["id"], c["id"]]
    assert ids(v2_list(api, owner_id=user + 1000)) == []
    assert ids(v2_list(api, deal_id=deal["id"])) == [a["id"]]
    assert ids(v2_list(api, lead_id=lead_id)) == [c["id"]]
    assert ids(v2_list(api, person_id=p1["id"])) == [b["id"]]
    assert ids(v2_list(api, org_id=org["id"])) == [b["id"]]
    assert ids(v2_list(api, done="true")) == [b["id"]]
    assert ids(v2_list(api, done="false")) == [a["id"], c["id"]]
    assert ids(v2_list(api, sort_by="due_date")) == [b["id"], c["id"], a["id"]]
    assert ids(v2_list(api, sort_by="due_date", sort_direction="desc")) == [a["id"], c["id"], b["id"]]
    assert ids(v2_list(api, sort_by="add_time", sort_direction="desc"))[0] in (a["id"], b["id"], c["id"])
    assert ids(v2_list(api, updated_since="2000-01-01T00:00:00Z")) == [a["id"], b["id"], c["id"]]
    assert ids(v2_list(api, updated_until="2000-01-01T00:00:00Z")) == []
    with_attendees = v2_list(api, include_fields="attendees")
    assert all("attendees" in item for item in with_attendees)
    # Cursor pages, in due date order.
    page = api.get("/api/v2/activities", params={"limit": 2, "sort_by": "due_date"}).json()
    assert ids(page["data"]) == [b["id"], c["id"]]
    cursor = page["additional_data"]["next_cursor"]
    rest = api.get("/api/v2/activities", params={"limit": 2, "sort_by": "due_date", "cursor": cursor}).json()
    assert ids(rest["data"]) == [a["id"]] and rest["additional_data"]["next_cursor"] is None
    error(api.get("/api/v2/activities", params={"limit": 2, "cursor": cursor}), 400)
    # Saved filters are not built: any filter id is unknown.
    error(api.get("/api/v2/activities", params={"filter_id": 5}), 404)
    for bad in (
        {"done": "maybe"},
        {"sort_by": "subject"},
        {"sort_direction": "up"},
        {"include_fields": "nope"},
        {"lead_id": "not-a-uuid"},
        {"deal_id": "x"},
        {"updated_since": "yesterday"},
        {"limit": 501},
        {"ids": "a,b"},
    ):
        error(api.get("/api/v2/activities", params=bad), 400)


def test_v1_list_filters(api, other_api):
    a = make_activity(api, type="meeting", due_date="2030-01-01", done=True)
    b = make_activity(api, type="call", due_date="2030-02-01")
    c = make_activity(api, type="email", due_date="2030-03-01")
    other_api.post("/api/v2/activities", json={"subject": "theirs"})

    def v1(**params):
        response = api.get("/v1/activities", params=params)
        return ids(data(response))

    assert v1() == [a["id"], b["id"], c["id"]]
    assert v1(user_id=0) == [a["id"], b["id"], c["id"]]
    assert v1(user_id=999999) == []
    assert v1(type="meeting,email") == [a["id"], c["id"]]
    assert v1(start_date="2030-02-01") == [b["id"], c["id"]]
    assert v1(end_date="2030-02-01") == [a["id"], b["id"]]
    assert v1(start_date="2030-01-15", end_date="2030-02-15") == [b["id"]]
    assert v1(done=1) == [a["id"]] and v1(done=0) == [b["id"], c["id"]]
    page = api.get("/v1/activities", params={"limit": 2}).json()
    assert ids(page["data"]) == [a["id"], b["id"]]
    assert page["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    assert ids(data(api.get("/v1/activities", params={"limit": 2, "start": 2}))) == [c["id"]]
    assert data(api.get("/v1/activities", params={"type": "lunch"})) is None
    error(api.get("/v1/activities", params={"filter_id": 1}), 404)
    error(api.get("/v1/activities", params={"start_date": "01/02/2030"}), 400)
    error(api.get("/v1/activities", params={"user_id": "me"}), 400)


def test_v1_collection(api):
    made = [make_activity(api, type="call" if i % 2 else "task", done=i == 0) for i in range(5)]
    page = api.get("/v1/activities/collection", params={"limit": 3}).json()
    assert ids(page["data"]) == ids(made[:3])
    first = page["data"][0]
    assert first["user_id"] == made[0]["owner_id"] and first["busy_flag"] is False
    assert "person_name" not in first and "participants" not in first and first["active_flag"] is True
    cursor = page["additional_data"]["next_cursor"]
    rest = api.get("/v1/activities/collection", params={"limit": 3, "cursor": cursor}).json()
    assert ids(rest["data"]) == ids(made[3:]) and rest["additional_data"]["next_cursor"] is None
    assert ids(data(api.get("/v1/activities/collection", params={"type": "task"}))) == ids(made[0::2])
    assert ids(data(api.get("/v1/activities/collection", params={"done": "true"}))) == [made[0]["id"]]
    assert ids(data(api.get("/v1/activities/collection", params={"since": "2000-01-01 00:00:00"}))) == ids(made)
    assert data(api.get("/v1/activities/collection", params={"until": "2000-01-01 00:00:00"})) == []
    assert data(api.get("/v1/activities/collection", params={"user_id": 999999})) == []
    error(api.get("/v1/activities/collection", params={"since": "soon"}), 400)
    error(api.get("/v1/activities/collection", params={"cursor": "garbage"}), 400)


@pytest.mark.parametrize("parent", ["deals", "persons", "organizations"])
def test_v1_sub_lists(api, parent):
    maker = {"deals": make_deal, "persons": make_person, "organizations": make_org}[parent]
    key = {"deals": "deal_id", "persons": "person_id", "organizations": "org_id"}[parent]
    mine, other = maker(api), maker(api)
    a = make_activity(api, **{key: mine["id"]})
    b = make_activity(api, **{key: mine["id"]}, done=True)
    c = make_activity(api, **{key: mine["id"]})
    make_activity(api, **{key: other["id"]})
    gone = make_activity(api, **{key: mine["id"]})
    api.delete(f"/api/v2/activities/{gone['id']}")
    url = f"/v1/{parent}/{mine['id']}/activities"
    response = api.get(url)
    assert ids(data(response)) == [a["id"], b["id"], c["id"]]
    assert ids(data(api.get(url, params={"done": 1}))) == [b["id"]]
    assert ids(data(api.get(url, params={"done": 0}))) == [a["id"], c["id"]]
    assert ids(data(api.get(url, params={"exclude": f"{a['id']},{c['id']}"}))) == [b["id"]]
    me = data(api.get("/v1/users/me"))
    assert response.json()["additional_data"]["activity_distribution"] == {
        str(me["id"]): {"activities": {"call": 3}, "name": me["name"], "activity_count": 3, "share": 100}
    }
    page = api.get(url, params={"start": 1, "limit": 1}).json()
    assert ids(page["data"]) == [b["id"]] and page["additional_data"]["pagination"]["more_items_in_collection"]
    error(api.get(f"/v1/{parent}/999999/activities"), 404)
    error(api.get(url, params={"exclude": "x"}), 400)


# -- counters --------------------------------------------------------------------------------


def _counts(obj) -> tuple[int, int, int]:
    return obj["activities_count"], obj["done_activities_count"], obj["undone_activities_count"]


def test_counters_on_deal_person_and_org(api):
    org = make_org(api)
    person = make_person(api)
    deal = make_deal(api)
    links = {"deal_id": deal["id"], "person_id": person["id"], "org_id": org["id"]}
    late = make_activity(api, **links, due_date="2030-06-01", due_time="10:00", subject="Late", type="meeting")
    soon = make_activity(
        api, **links, due_date="2030-05-01", due_time="15:30", duration="00:30", subject="Soon", note="agenda"
    )
    got = v1_deal(api, deal["id"])
    assert _counts(got) == (2, 0, 2)
    assert got["next_activity_id"] == soon["id"] and got["next_activity_date"] == "2030-05-01"
    assert got["next_activity_time"] == "15:30:00" and got["next_activity_subject"] == "Soon"
    assert got["next_activity_type"] == "call" and got["next_activity_duration"] == "00:30:00"
    assert got["next_activity_note"] == "agenda"
    assert got["last_activity_id"] is None and got["last_activity_date"] is None
    include = "activities_count,done_activities_count,undone_activities_count,next_activity_id,last_activity_id"
    v2 = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": include}))
    assert _counts(v2) == (2, 0, 2) and v2["next_activity_id"] == soon["id"] and v2["last_activity_id"] is None

    # Marking the next one done: the later one is next, the done one is the last.
    api.patch(f"/api/v2/activities/{soon['id']}", json={"done": True})
    for url in (f"/v1/deals/{deal['id']}", f"/v1/persons/{person['id']}", f"/v1/organizations/{org['id']}"):
        got = data(api.get(url))
        assert _counts(got) == (2, 1, 1), url
        assert got["next_activity_id"] == late["id"] and got["next_activity_date"] == "2030-06-01"
        assert got["next_activity_time"] == "10:00:00"
        assert got["last_activity_id"] == soon["id"] and got["last_activity_date"] == "2030-05-01"
    for url in (f"/api/v2/persons/{person['id']}", f"/api/v2/organizations/{org['id']}"):
        v2 = data(api.get(url, params={"include_fields": include}))
        assert _counts(v2) == (2, 1, 1) and v2["next_activity_id"] == late["id"]
        assert v2["last_activity_id"] == soon["id"]
    assert v1_deal(api, deal["id"])["next_activity_subject"] == "Late"

    # Moving an activity to another deal refreshes both.
    deal2 = make_deal(api)
    api.patch(f"/api/v2/activities/{late['id']}", json={"deal_id": deal2["id"]})
    assert _counts(v1_deal(api, deal["id"])) == (1, 1, 0)
    assert v1_deal(api, deal["id"])["next_activity_id"] is None
    assert _counts(v1_deal(api, deal2["id"])) == (1, 0, 1)
    assert v1_deal(api, deal2["id"])["next_activity_id"] == late["id"]

    # Deleting: counts go down, v1 bulk delete too.
    api.delete(f"/v1/activities/{soon['id']}")
    got = v1_deal(api, deal["id"])
    assert _counts(got) == (0, 0, 0) and got["last_activity_id"] is None
    assert _counts(data(api.get(f"/v1/persons/{person['id']}"))) == (1, 0, 1)
    api.delete("/v1/activities", params={"ids": str(late["id"])})
    assert _counts(v1_deal(api, deal2["id"])) == (0, 0, 0)
    assert _counts(data(api.get(f"/v1/organizations/{org['id']}"))) == (0, 0, 0)


def test_an_all_day_activity_comes_first_and_undone_again_counts_again(api):
    deal = make_deal(api)
    timed = make_activity(api, deal_id=deal["id"], due_date="2030-01-01", due_time="08:00")
    all_day = make_activity(api, deal_id=deal["id"], due_date="2030-01-01")
    assert v1_deal(api, deal["id"])["next_activity_id"] == all_day["id"]
    api.patch(f"/api/v2/activities/{all_day['id']}", json={"done": True})
    assert v1_deal(api, deal["id"])["next_activity_id"] == timed["id"]
    api.patch(f"/api/v2/activities/{all_day['id']}", json={"done": False})
    got = v1_deal(api, deal["id"])
    assert got["next_activity_id"] == all_day["id"] and _counts(got) == (2, 0, 2)
    assert got["next_activity_time"] is None


def test_a_deleted_deal_keeps_its_activities(api):
    person = make_person(api)
    deal = make_deal(api)
    made = make_activity(api, deal_id=deal["id"], person_id=person["id"])
    api.delete(f"/api/v2/deals/{deal['id']}")
    api.delete(f"/api/v2/persons/{person['id']}")
    assert data(api.get(f"/api/v2/activities/{made['id']}"))["deal_id"] == deal["id"]
    got = data(api.get(f"/v1/activities/{made['id']}"))
    assert got["deal_id"] == deal["id"] and got["person_id"] == person["id"]
    # It can still be changed and deleted; pointing it at the deleted deal anew is refused.
    assert data(api.patch(f"/api/v2/activities/{made['id']}", json={"done": True}))["done"] is True
    error(api.post("/api/v2/activities", json={"deal_id": deal["id"]}), 400)
    assert data(api.delete(f"/api/v2/activities/{made['id']}")) == {"id": made["id"]}


# -- activity fields -------------------------------------------------------------------------


def test_activity_fields(api):
    v1 = data(api.get("/v1/activityFields"))
    keys = [f["key"] for f in v1]
    for key in ("subject", "type", "user_id", "deal_id", "person_id", "org_id", "due_date", "note", "location"):
        assert key in keys
    assert all(f["edit_flag"] is False for f in v1)
    subject = next(f for f in v1 if f["key"] == "subject")
    assert subject["searchable_flag"] is True and subject["id"] > 600 and subject["field_type"] == "varchar"
    assert data(api.get("/v1/activityFields", params={"limit": 2, "start": 2}))[0]["key"] == keys[2]
    v2 = data(api.get("/api/v2/activityFields"))
    codes = [f["field_code"] for f in v2]
    for code in ("subject", "type", "owner_id", "deal_id", "done", "busy", "participants", "attendees"):
        assert code in codes
    assert all(f["is_custom_field"] is False for f in v2)
    assert next(f for f in v2 if f["field_code"] == "attendees")["is_optional_response_field"] is True
    one = data(api.get("/api/v2/activityFields/subject", params={"include_fields": "ui_visibility"}))
    assert one["field_code"] == "subject" and one["field_type"] == "varchar" and "ui_visibility" in one
    assert data(api.get("/api/v2/activityFields/deal_id"))["field_type"] == "deal"
    error(api.get("/api/v2/activityFields/nope"), 404)
    page = api.get("/api/v2/activityFields", params={"limit": 3}).json()
    assert len(page["data"]) == 3 and page["additional_data"]["next_cursor"]


# -- bad input -------------------------------------------------------------------------------


def test_bad_input_is_400_and_writes_nothing(api, other_api):
    theirs_person = data(other_api.post("/api/v2/persons", json={"name": "Theirs"}))
    theirs_deal = data(other_api.post("/api/v2/deals", json={"title": "Theirs"}))
    for body, key in (
        ({"type": "rocket"}, "type"),
        ({"subject": 5}, "subject"),
        ({"subject": None}, "subject"),
        ({"subject": "x" * 256}, "subject"),
        ({"due_date": "2030-13-01"}, "due_date"),
        ({"due_date": None}, "due_date"),
        ({"due_time": "25:00"}, "due_time"),
        ({"due_time": "noon"}, "due_time"),
        ({"duration": "1h"}, "duration"),
        ({"done": "yes"}, "done"),
        ({"busy": 1}, "busy"),
        ({"deal_id": "1"}, "deal_id"),
        ({"deal_id": 999999}, "deal_id"),
        ({"deal_id": theirs_deal["id"]}, "deal_id"),
        ({"person_id": theirs_person["id"]}, "person_id"),
        ({"owner_id": 999999}, "owner_id"),
        ({"lead_id": "nope"}, "lead_id"),
        ({"priority": "high"}, "priority"),
        ({"location": "Main St"}, "location"),
        ({"location": {"value": 5}}, "location.value"),
        ({"participants": {"person_id": 1}}, "participants"),
        ({"participants": [{"person_id": theirs_person["id"]}]}, "participants"),
        ({"participants": [{"person_id": "x"}]}, "participants.person_id"),
        ({"attendees": [{"name": "nobody"}]}, "attendees"),
        ({"attendees": [{"email": "a@b.c", "is_organizer": "no"}]}, "attendees.is_organizer"),
        ({"attendees": [{"email": "a@b.c", "user_id": 999999}]}, "attendees"),
        ({"note": "x" * 70_000}, "note"),
    ):
        assert key in error(api.post("/api/v2/activities", json=body), 400), body
    made = make_activity(api, person_id=make_person(api)["id"])
    ret = error(api.patch(f"/api/v2/activities/{made['id']}", json={"subject": ""}), 400)
    assert "subject" in ret
    error(api.patch(f"/api/v2/activities/{made['id']}", json={"participants": [{"person_id": 999999}]}), 400)
    two = [{"person_id": made["person_id"], "primary": True}, {"person_id": make_person(api)["id"], "primary": True}]
    error(api.patch(f"/api/v2/activities/{made['id']}", json={"participants": two}), 400)
    assert data(api.get(f"/api/v2/activities/{made['id']}")) == made
    error(api.post("/api/v2/activities", content=b"[1]", headers={"content-type": "application/json"}), 400)
    error(api.post("/v1/activities", json={"type": "rocket"}), 400)
    error(api.post("/v1/activities", json={"done": "maybe"}), 400)
    assert ids(v2_list(api)) == [made["id"]]
    error(api.get("/api/v2/activities/0"), 400)
    error(api.get("/api/v2/activities/999999"), 404)
    error(api.get("/v1/activities/999999"), 404)


def test_another_companys_activities_are_unreachable(api, other_api):
    made = make_activity(api)
    error(other_api.get(f"/api/v2/activities/{made['id']}"), 404)
    error(other_api.get(f"/v1/activities/{made['id']}"), 404)
    error(other_api.patch(f"/api/v2/activities/{made['id']}", json={"subject": "x"}), 404)
    error(other_api.delete(f"/v1/activities/{made['id']}"), 404)
    error(other_api.delete("/v1/activities", params={"ids": str(made["id"])}), 404)
    assert data(other_api.get("/api/v2/activities")) == []
    assert data(other_api.get("/v1/activities", params={"user_id": 0})) is None
    assert data(other_api.get("/v1/activities/collection")) == []
    assert data(api.get(f"/api/v2/activities/{made['id']}")) == made


def test_v1_form_bodies_and_participants_in_v1_shape(api):
    a, b = make_person(api), make_person(api)
    made = data(
        api.post(
            "/v1/activities",
            json={
                "participants": [
                    {"person_id": a["id"], "primary_flag": False},
                    {"person_id": b["id"], "primary_flag": True},
                ]
            },
        ),
        201,
    )
    assert made["person_id"] == b["id"] and made["subject"] == "Call" and made["type"] == "call"
    assert made["participants"] == [
        {"person_id": a["id"], "primary_flag": False},
        {"person_id": b["id"], "primary_flag": True},
    ]
    form = data(api.post("/v1/activities", data={"subject": "Form", "done": "1", "due_date": "2030-01-01"}), 201)
    assert form["subject"] == "Form" and form["done"] is True and form["due_date"] == "2030-01-01"


def test_v1_deal_and_org_show_next_and_last_activity_objects(api):
    org = make_org(api)
    deal = make_deal(api, org_id=org["id"])
    first = make_activity(api, deal_id=deal["id"], org_id=org["id"], due_date="2030-01-01", subject="First")
    second = make_activity(api, deal_id=deal["id"], org_id=org["id"], due_date="2030-02-01", subject="Second")
    api.patch(f"/api/v2/activities/{first['id']}", json={"done": True})
    for url in (f"/v1/deals/{deal['id']}", f"/v1/organizations/{org['id']}"):
        got = data(api.get(url))
        assert got["next_activity"]["id"] == second["id"] and got["next_activity"]["subject"] == "Second"
        assert got["last_activity"]["id"] == first["id"] and got["last_activity"]["done"] is True
        assert got["next_activity"]["deal_id"] == deal["id"]  # a plain id, as in v1 activities
    listed = data(api.get("/v1/deals"))
    assert listed[0]["next_activity"]["id"] == second["id"]
    empty = make_deal(api)
    assert data(api.get(f"/v1/deals/{empty['id']}"))["next_activity"] is None


def test_activity_writes_record_events_and_counters_do_not(api, engine):
    import orjson
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    def events():
        with engine.connect() as conn:
            rows = conn.execute(select(change_events).order_by(change_events.c.id)).mappings().all()
        return [dict(r) for r in rows]

    deal = make_deal(api)
    before = len(events())
    made = make_activity(api, deal_id=deal["id"])
    api.patch(f"/api/v2/activities/{made['id']}", json={"done": True})
    api.patch(f"/api/v2/activities/{made['id']}", json={"done": True})  # nothing changes
    api.delete(f"/v1/activities/{made['id']}")
    new = events()[before:]
    assert [(e["entity"], e["action"]) for e in new] == [
        ("activity", "create"),
        ("activity", "change"),
        ("activity", "delete"),
    ]
    assert orjson.loads(new[1]["changes"])["done"] == [False, True]
