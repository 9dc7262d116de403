"""Activity types (classic v1): defaults, key_string from the name, order, delete."""

from __future__ import annotations

from factories import data, error


def test_a_company_starts_with_the_default_types(api):
    types = data(api.get("/v1/activityTypes"))
    assert [t["key_string"] for t in types] == ["call", "meeting", "task", "deadline", "email", "lunch"]
    assert types[0]["name"] == "Call" and types[0]["icon_key"] == "call"
    assert all(t["active_flag"] is True and t["is_custom_flag"] is False for t in types)
    assert [t["order_nr"] for t in types] == [1, 2, 3, 4, 5, 6]


def test_add_derives_the_key_string_and_goes_last(api):
    made = data(api.post("/v1/activityTypes", json={"name": "Video call", "icon_key": "camera", "color": "aeb31b"}))
    assert made["key_string"] == "video_call" and made["is_custom_flag"] is True
    assert made["order_nr"] == 7 and made["color"] == "aeb31b" and made["active_flag"] is True
    again = data(api.post("/v1/activityTypes", json={"name": "Video  Call!", "icon_key": "camera"}))
    assert again["key_string"] == "video_call_2"
    renamed = data(api.put(f"/v1/activityTypes/{made['id']}", json={"name": "Zoom", "order_nr": 1}))
    assert renamed["name"] == "Zoom" and renamed["key_string"] == "video_call" and renamed["order_nr"] == 1
    assert [t["name"] for t in data(api.get("/v1/activityTypes"))][:2] == ["Call", "Zoom"]  # ties by id


def test_bad_activity_types_are_400(api):
    assert "icon_key" in error(api.post("/v1/activityTypes", json={"name": "X"}), 400)
    assert "icon_key" in error(api.post("/v1/activityTypes", json={"name": "X", "icon_key": "rocket"}), 400)
    assert "color" in error(api.post("/v1/activityTypes", json={"name": "X", "icon_key": "task", "color": "red"}), 400)
    assert "name" in error(api.post("/v1/activityTypes", json={"icon_key": "task"}), 400)
    error(api.put("/v1/activityTypes/999999", json={"name": "X"}), 404)


def test_delete_answers_the_type_and_bulk_delete_the_ids(api, other_api):
    types = data(api.get("/v1/activityTypes"))
    gone = data(api.delete(f"/v1/activityTypes/{types[0]['id']}"))
    assert gone["id"] == types[0]["id"] and gone["active_flag"] is False
    ids = [types[1]["id"], types[2]["id"]]
    assert data(api.delete("/v1/activityTypes", params={"ids": ",".join(map(str, ids))})) == {"id": ids}
    assert [t["key_string"] for t in data(api.get("/v1/activityTypes"))] == ["deadline", "email", "lunch"]
    # Another company's types are its own.
    assert len(data(other_api.get("/v1/activityTypes"))) == 6
    error(other_api.delete(f"/v1/activityTypes/{types[3]['id']}"), 404)
