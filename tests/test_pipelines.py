"""Pipelines and stages in both versions."""

from __future__ import annotations

from factories import data, error, make_pipeline, make_stage


def test_company_starts_with_a_default_pipeline(api):
    pipelines = data(api.get("/api/v2/pipelines"))
    assert [p["name"] for p in pipelines] == ["Pipeline"]
    stages = data(api.get("/api/v2/stages", params={"pipeline_id": pipelines[0]["id"]}))
    assert [s["name"] for s in stages][:2] == ["Qualified", "Contact Made"]
    assert [s["order_nr"] for s in stages] == [1, 2, 3, 4, 5]


def test_new_pipelines_and_stages_go_last(api):
    pipeline = make_pipeline(api, name="Sales", is_deal_probability_enabled=True)
    assert pipeline["order_nr"] == 2 and pipeline["is_deal_probability_enabled"] is True
    a = make_stage(api, pipeline["id"], name="A", deal_probability=30)
    b = make_stage(api, pipeline["id"], name="B", days_to_rotten=5)
    assert (a["order_nr"], b["order_nr"]) == (1, 2)
    assert a["deal_probability"] == 30 and b["is_deal_rot_enabled"] is True and b["days_to_rotten"] == 5
    v1 = data(api.get(f"/v1/stages/{b['id']}"))
    assert v1["rotten_flag"] is True and v1["rotten_days"] == 5 and v1["pipeline_name"] == "Sales"
    assert v1["active_flag"] is True
    p1 = data(api.get(f"/v1/pipelines/{pipeline['id']}"))
    assert p1["active"] is True and p1["deal_probability"] is True and p1["url_title"] == "sales"


def test_stage_needs_an_existing_pipeline(api, other_api):
    error(api.post("/api/v2/stages", json={"name": "Orphan"}), 400)
    error(api.post("/api/v2/stages", json={"name": "Orphan", "pipeline_id": 999999}), 400)
    theirs = data(other_api.get("/api/v2/pipelines"))[0]["id"]
    error(api.post("/api/v2/stages", json={"name": "Foreign", "pipeline_id": theirs}), 400)


def test_v1_pipeline_and_stage_crud(api):
    made = data(api.post("/v1/pipelines", json={"name": "Renewals", "deal_probability": 1}))
    assert made["name"] == "Renewals" and made["deal_probability"] is True
    stage = data(
        api.post("/v1/stages", json={"name": "Call", "pipeline_id": made["id"], "rotten_flag": 1, "rotten_days": 3})
    )
    assert stage["rotten_flag"] is True and stage["rotten_days"] == 3
    renamed = data(api.put(f"/v1/stages/{stage['id']}", json={"name": "Phone call"}))
    assert renamed["name"] == "Phone call"
    listed = data(api.get("/v1/stages", params={"pipeline_id": made["id"]}))
    assert [s["id"] for s in listed] == [stage["id"]]
    assert data(api.delete(f"/v1/stages/{stage['id']}")) == {"id": stage["id"]}
    assert data(api.get("/v1/stages", params={"pipeline_id": made["id"]})) is None
    assert data(api.delete(f"/v1/pipelines/{made['id']}")) == {"id": made["id"]}
    assert [p["name"] for p in data(api.get("/v1/pipelines"))] == ["Pipeline"]


def test_v2_update_pipeline_and_stage(api):
    pipeline = make_pipeline(api)
    got = data(api.patch(f"/api/v2/pipelines/{pipeline['id']}", json={"name": "Enterprise"}))
    assert got["name"] == "Enterprise"
    stage = make_stage(api, pipeline["id"])
    moved = data(api.patch(f"/api/v2/stages/{stage['id']}", json={"pipeline_id": 1}))
    assert moved["pipeline_id"] == 1 and moved["order_nr"] == 6
    stages = data(api.get("/api/v2/stages", params={"sort_by": "order_nr", "sort_direction": "desc", "limit": 2}))
    assert [s["id"] for s in stages] == [stage["id"], 5]
