"""v2 deals: CRUD, Pipedrive's stage and status rules, list filters and cursor paging."""

from __future__ import annotations

import re

from dealbase.domain.deals import DEAL
from factories import data, error, make_deal, make_org, make_person, make_pipeline, make_stage

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def test_add_deal_defaults_to_the_first_stage_of_the_default_pipeline(api):
    deal = make_deal(api, title="Big one", value=1500, currency="EUR")
    assert deal["title"] == "Big one"
    assert deal["value"] == 1500 and deal["currency"] == "EUR"
    assert deal["status"] == "open" and deal["is_deleted"] is False
    assert deal["pipeline_id"] == 1 and deal["stage_id"] == 1
    assert deal["owner_id"] == 1 and deal["creator_user_id"] == 1
    assert deal["visible_to"] == 3 and deal["label_ids"] == [] and deal["custom_fields"] == {}
    assert RFC3339.match(deal["add_time"]) and deal["add_time"] == deal["update_time"]
    assert deal["won_time"] is None and deal["close_time"] is None
    got = data(api.get(f"/api/v2/deals/{deal['id']}"))
    assert got == deal


def test_currency_defaults_to_the_users_currency(api):
    assert make_deal(api)["currency"] == "USD"


def test_stage_decides_the_pipeline(api):
    pipeline = make_pipeline(api)
    stage = make_stage(api, pipeline["id"])
    deal = make_deal(api, stage_id=stage["id"], pipeline_id=1)
    assert deal["pipeline_id"] == pipeline["id"] and deal["stage_id"] == stage["id"]


def test_pipeline_alone_means_its_first_stage(api):
    pipeline = make_pipeline(api)
    second = make_stage(api, pipeline["id"], name="Second")
    first = make_stage(api, pipeline["id"], name="First")
    assert second["order_nr"] < first["order_nr"]
    deal = make_deal(api, pipeline_id=pipeline["id"])
    assert deal["stage_id"] == second["id"]


def test_moving_a_deal_sets_stage_change_time(api):
    deal = make_deal(api)
    assert deal["stage_change_time"] is None
    moved = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"stage_id": 2}))
    assert moved["stage_id"] == 2 and moved["pipeline_id"] == 1
    assert RFC3339.match(moved["stage_change_time"])


def test_won_sets_won_and_close_time_and_reopen_clears_them(api):
    deal = make_deal(api)
    won = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"}))
    assert won["status"] == "won"
    assert RFC3339.match(won["won_time"]) and won["close_time"] == won["won_time"]
    reopened = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "open"}))
    assert reopened["won_time"] is None and reopened["close_time"] is None
    first = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": "first_won_time"}))
    assert first["first_won_time"] == won["won_time"]


def test_lost_reason_only_when_lost(api):
    deal = make_deal(api)
    message = error(api.patch(f"/api/v2/deals/{deal['id']}", json={"lost_reason": "price"}), 400)
    assert "lost_reason" in message
    lost = data(api.patch(f"/api/v2/deals/{deal['id']}", json={"status": "lost", "lost_reason": "price"}))
    assert lost["lost_reason"] == "price" and lost["lost_time"] == lost["close_time"]
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["lost_reason"] == "price"


def test_links_to_person_and_org(api):
    org = make_org(api)
    person = make_person(api, org_id=org["id"])
    deal = make_deal(api, person_id=person["id"], org_id=org["id"])
    assert deal["person_id"] == person["id"] and deal["org_id"] == org["id"]


def test_delete_is_soft_and_hides_the_deal_from_lists(api):
    deal = make_deal(api)
    assert data(api.delete(f"/api/v2/deals/{deal['id']}")) == {"id": deal["id"]}
    got = data(api.get(f"/api/v2/deals/{deal['id']}"))
    assert got["is_deleted"] is True
    assert data(api.get("/api/v2/deals")) == []
    deleted = data(api.get("/api/v2/deals", params={"status": "deleted"}))
    assert [d["id"] for d in deleted] == [deal["id"]]
    error(api.delete(f"/api/v2/deals/{deal['id']}"), 404)
    error(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "x"}), 404)


def test_archived_deals_have_their_own_list(api):
    kept = make_deal(api)
    archived = make_deal(api, is_archived=True)
    assert archived["is_archived"] is True and RFC3339.match(archived["archive_time"])
    assert [d["id"] for d in data(api.get("/api/v2/deals"))] == [kept["id"]]
    assert [d["id"] for d in data(api.get("/api/v2/deals/archived"))] == [archived["id"]]


def test_list_filters(api):
    person = make_person(api)
    a = make_deal(api, person_id=person["id"], stage_id=2)
    b = make_deal(api, stage_id=3)
    c = make_deal(api, stage_id=3)
    data(api.patch(f"/api/v2/deals/{c['id']}", json={"status": "won"}))

    def ids(**params):
        return [d["id"] for d in data(api.get("/api/v2/deals", params=params))]

    assert ids(person_id=person["id"]) == [a["id"]]
    assert ids(stage_id=3) == [b["id"], c["id"]]
    assert ids(status="won") == [c["id"]]
    assert ids(status="open,won") == [a["id"], b["id"], c["id"]]
    assert ids(ids=f"{c['id']},{a['id']}") == [a["id"], c["id"]]
    assert ids(owner_id=1, sort_by="id", sort_direction="desc") == [c["id"], b["id"], a["id"]]
    assert ids(updated_since="2000-01-01T00:00:00Z") == [a["id"], b["id"], c["id"]]
    assert ids(updated_until="2000-01-01T00:00:00Z") == []


def test_cursor_paging_sees_each_deal_once(api):
    made = [make_deal(api)["id"] for _ in range(7)]
    for sort_by, direction in (("id", "asc"), ("update_time", "desc"), ("add_time", "asc")):
        seen, cursor = [], None
        while True:
            params = {"limit": 3, "sort_by": sort_by, "sort_direction": direction}
            if cursor:
                params["cursor"] = cursor
            body = api.get("/api/v2/deals", params=params).json()
            seen += [d["id"] for d in body["data"]]
            cursor = body["additional_data"]["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == made and len(seen) == len(set(seen))


def test_cursor_from_another_sort_is_rejected(api):
    for _ in range(3):
        make_deal(api)
    cursor = api.get("/api/v2/deals", params={"limit": 1}).json()["additional_data"]["next_cursor"]
    error(api.get("/api/v2/deals", params={"limit": 1, "cursor": cursor, "sort_by": "add_time"}), 400)
    error(api.get("/api/v2/deals", params={"cursor": "not-a-cursor"}), 400)


def test_include_fields_and_custom_fields_params(api):
    deal = make_deal(api)
    got = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": "products_count,smart_bcc_email"}))
    assert got["products_count"] == 0 and "smart_bcc_email" in got
    assert "products_count" not in deal


def test_included_fields_come_in_the_declared_order_whatever_order_they_are_asked_in(api):
    deal = make_deal(api)
    asked = ["undone_activities_count", "notes_count", "products_count", "files_count"]
    shown = []
    for order in (asked, list(reversed(asked))):
        got = data(api.get(f"/api/v2/deals/{deal['id']}", params={"include_fields": ",".join(order)}))
        shown.append([k for k in got if k in asked])
    declared = [f.v2 for f in DEAL.fields if f.v2 in asked]  # the field map's order
    assert shown == [declared, declared]
