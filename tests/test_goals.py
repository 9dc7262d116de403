"""Goals (v1): add, find, update, delete, and results counted from seeded deals and activities.

Writes happen at moments the test sets (the server's clock is patched), so each result
below is worked out by hand from those moments.
"""

from __future__ import annotations

import re

import pytest
from factories import data, error, make_deal, make_pipeline, make_stage, make_user


def me(api) -> int:
    return data(api.get("/v1/users/me"))["id"]


def goal_body(api, **over) -> dict:
    body = {
        "title": "Win deals",
        "assignee": {"id": me(api), "type": "person"},
        "type": {"name": "deals_won", "params": {"pipeline_id": None}},
        "expected_outcome": {"target": 5, "tracking_metric": "quantity"},
        "duration": {"start": "2026-01-01", "end": None},
        "interval": "monthly",
    }
    body.update(over)
    return body


def add_goal(api, **over) -> dict:
    return data(api.post("/v1/goals", json=goal_body(api, **over)))["goal"]


def find(api, **params) -> list[dict]:
    return data(api.get("/v1/goals/find", params=params))["goals"]


def result(api, goal: dict, start: str = "2026-03-01", end: str = "2026-03-31"):
    return data(api.get(f"/v1/goals/{goal['id']}/results", params={"period.start": start, "period.end": end}))


def test_add_answers_the_goal(api):
    goal = add_goal(api, title="Q1")
    assert re.fullmatch(r"[0-9a-f]{32}", goal["id"])
    assert goal == {
        "id": goal["id"],
        "owner_id": me(api),
        "title": "Q1",
        "type": {"name": "deals_won", "params": {"pipeline_id": None}},
        "assignee": {"id": me(api), "type": "person"},
        "interval": "monthly",
        "duration": {"start": "2026-01-01", "end": None},
        "expected_outcome": {"target": 5, "tracking_metric": "quantity"},
        "is_active": True,
        "report_ids": goal["report_ids"],
    }
    assert len(goal["report_ids"]) == 1 and re.fullmatch(r"[0-9a-f]{32}", goal["report_ids"][0])
    # Numbers and ids as strings (as the spec's examples give them), a sum in a currency.
    currencies = {c["code"]: c["id"] for c in data(api.get("/v1/currencies"))}
    goal = add_goal(
        api,
        assignee={"id": "1", "type": "company"},
        expected_outcome={"target": "2500", "tracking_metric": "sum", "currency_id": currencies["EUR"]},
        interval="quarterly",
    )
    assert goal["assignee"] == {"id": 1, "type": "company"}
    assert goal["expected_outcome"] == {"target": 2500, "tracking_metric": "sum", "currency_id": currencies["EUR"]}
    # A sum without a currency is in the user's default currency (USD).
    goal = add_goal(api, expected_outcome={"target": 10, "tracking_metric": "sum"})
    assert goal["expected_outcome"]["currency_id"] == currencies["USD"]


def test_find_update_and_delete(api, engine):
    pipeline = make_pipeline(api)
    stage = make_stage(api, pipeline["id"])
    types = {t["key_string"]: t["id"] for t in data(api.get("/v1/activityTypes"))}
    other_user = make_user(engine, 1)
    mine = add_goal(api, title="Mine")
    progressed = add_goal(
        api,
        title="Progress",
        type={"name": "deals_progressed", "params": {"pipeline_id": [pipeline["id"]], "stage_id": stage["id"]}},
    )
    calls = add_goal(
        api,
        title="Calls",
        assignee={"id": other_user, "type": "person"},
        type={"name": "activities_completed", "params": {"activity_type_id": [types["call"]]}},
        interval="weekly",
    )
    ended = add_goal(api, title="Old", duration={"start": "2020-01-01", "end": "2020-12-31"})
    assert progressed["type"]["params"] == {"pipeline_id": [pipeline["id"]], "stage_id": stage["id"]}
    assert calls["type"]["params"] == {"activity_type_id": [types["call"]]}
    # Without filters that widen the search: the caller's own active goals.
    assert [g["id"] for g in find(api)] == [mine["id"], progressed["id"]]
    assert [g["id"] for g in find(api, is_active="false")] == [ended["id"]]
    assert ended["is_active"] is False
    assert [g["id"] for g in find(api, **{"type.name": "activities_completed"})] == [calls["id"]]
    assert [g["id"] for g in find(api, **{"assignee.id": other_user})] == [calls["id"]]
    assert [g["id"] for g in find(api, **{"assignee.type": "person", "title": "Progress"})] == [progressed["id"]]
    assert [g["id"] for g in find(api, **{"type.params.stage_id": stage["id"]})] == [progressed["id"]]
    assert [g["id"] for g in find(api, **{"type.params.activity_type_id": types["call"]})] == [calls["id"]]
    by_pipeline = find(api, **{"type.params.pipeline_id": pipeline["id"]})
    assert [g["id"] for g in by_pipeline] == [mine["id"], progressed["id"]]  # null: every pipeline
    assert [g["id"] for g in find(api, **{"expected_outcome.target": 5})] == [
        mine["id"],
        progressed["id"],
        calls["id"],
    ]
    period = {"period.start": "2019-06-01", "period.end": "2020-02-01", "is_active": "false"}
    assert [g["id"] for g in find(api, **period)] == [ended["id"]]
    period = {"period.start": "2019-06-01", "period.end": "2019-12-31"}
    assert find(api, **period) == []

    changed = data(
        api.put(
            f"/v1/goals/{mine['id']}",
            json={"title": "Renamed", "expected_outcome": {"target": 7, "tracking_metric": "quantity"}},
        )
    )["goal"]
    assert changed["title"] == "Renamed" and changed["expected_outcome"]["target"] == 7
    assert changed["type"] == mine["type"] and changed["duration"] == mine["duration"]
    assert find(api)[0]["title"] == "Renamed"

    assert api.delete(f"/v1/goals/{mine['id']}").json()["success"] is True
    assert [g["id"] for g in find(api)] == [progressed["id"]]
    error(api.delete(f"/v1/goals/{mine['id']}"), 404)
    error(api.put(f"/v1/goals/{mine['id']}", json={"title": "X"}), 404)
    error(
        api.get(f"/v1/goals/{mine['id']}/results", params={"period.start": "2026-01-01", "period.end": "2026-01-31"}),
        404,
    )


def test_another_company_cannot_reach_goals(api, other_api):
    goal = add_goal(api)
    error(other_api.put(f"/v1/goals/{goal['id']}", json={"title": "X"}), 404)
    error(other_api.delete(f"/v1/goals/{goal['id']}"), 404)
    params = {"period.start": "2026-01-01", "period.end": "2026-01-31"}
    error(other_api.get(f"/v1/goals/{goal['id']}/results", params=params), 404)
    assert find(other_api, **{"type.name": "deals_won"}) == []
    # Nor reference its pipelines.
    pipeline = make_pipeline(api)
    bad = goal_body(other_api, type={"name": "deals_won", "params": {"pipeline_id": [pipeline["id"]]}})
    assert "pipeline_id" in error(other_api.post("/v1/goals", json=bad), 400)
    assert find(api)[0]["title"] == "Win deals"


@pytest.mark.parametrize(
    "change, key",
    [
        ({"type": None}, "type"),
        ({"type": {"name": "deals_lost"}}, "type.name"),
        ({"type": {"name": "deals_progressed", "params": {}}}, "stage_id"),
        ({"type": {"name": "deals_won", "params": {"activity_type_id": [1]}}}, "activity_type_id"),
        ({"type": {"name": "activities_added", "params": {"pipeline_id": [1]}}}, "pipeline_id"),
        ({"type": {"name": "deals_won", "params": {"pipeline_id": [999999]}}}, "pipeline_id"),
        ({"type": {"name": "deals_won", "params": {"pipeline_id": "all"}}}, "pipeline_id"),
        ({"type": {"name": "deals_won", "params": {"colour": 1}}}, "params"),
        ({"assignee": {"id": 999999, "type": "person"}}, "assignee.id"),
        ({"assignee": {"id": 1, "type": "robot"}}, "assignee.type"),
        ({"assignee": {"id": 2, "type": "company"}}, "assignee.id"),
        ({"assignee": {"id": -1, "type": "person"}}, "assignee.id"),
        ({"assignee": "me"}, "assignee"),
        ({"expected_outcome": {"target": "many", "tracking_metric": "quantity"}}, "target"),
        ({"expected_outcome": {"target": -1, "tracking_metric": "quantity"}}, "target"),
        ({"expected_outcome": {"target": 1, "tracking_metric": "count"}}, "tracking_metric"),
        ({"expected_outcome": {"target": 1, "tracking_metric": "quantity", "currency_id": 1}}, "currency_id"),
        ({"expected_outcome": {"target": 1, "tracking_metric": "sum", "currency_id": 999999}}, "currency_id"),
        (
            {
                "type": {"name": "activities_added", "params": {}},
                "expected_outcome": {"target": 1, "tracking_metric": "sum"},
            },
            "tracking_metric",
        ),
        ({"duration": {"start": "2026-02-30"}}, "duration.start"),
        ({"duration": {"start": "2026-02-01", "end": "2026-01-01"}}, "duration.end"),
        ({"interval": "daily"}, "interval"),
        ({"interval": None}, "interval"),
        ({"title": "x" * 256}, "title"),
        ({"title": 5}, "title"),
    ],
)
def test_bad_goals_are_400_and_write_nothing(api, change, key):
    assert key in error(api.post("/v1/goals", json=goal_body(api, **change)), 400)
    assert find(api, **{"assignee.type": "person"}) == []
    goal = add_goal(api)
    assert key in error(api.put(f"/v1/goals/{goal['id']}", json=change), 400)
    assert find(api) == [goal]


def test_bad_results_and_finds_are_400(api):
    goal = add_goal(api, duration={"start": "2026-01-01", "end": "2026-06-30"})
    path = f"/v1/goals/{goal['id']}/results"
    for params in (
        {},
        {"period.start": "2026-01-01"},
        {"period.start": "2026-01-01", "period.end": "soon"},
        {"period.start": "2025-12-31", "period.end": "2026-01-31"},  # before the goal starts
        {"period.start": "2026-06-01", "period.end": "2026-07-01"},  # after it ends
        {"period.start": "2026-02-01", "period.end": "2026-01-01"},
    ):
        assert error(api.get(path, params=params), 400)
    error(api.get("/v1/goals/0123456789abcdef0123456789abcdef/results", params={"period.start": "2026-01-01"}), 404)
    for params in (
        {"type.name": "deals_lost"},
        {"assignee.id": "me"},
        {"period.start": "2026-01-01"},
        {"is_active": "sometimes"},
        {"expected_outcome.target": "lots"},
    ):
        assert error(api.get("/v1/goals/find", params=params), 400)
    assert error(api.post("/v1/goals", json=[1]), 400)
    assert error(api.put(f"/v1/goals/{goal['id']}", json={}), 400)


# -- results -----------------------------------------------------------------------------


@pytest.fixture
def seeded(api, engine, at):
    pipeline = make_pipeline(api, is_deal_probability_enabled=True)
    s1, s2 = (make_stage(api, pipeline["id"], deal_probability=p) for p in (20, 50))
    other_pipeline = make_pipeline(api)
    o1 = make_stage(api, other_pipeline["id"])
    colleague = make_user(engine, 1)
    deals = {}
    at("2026-02-20 00:00:00")
    deals["old"] = make_deal(api, stage_id=s1["id"], value=1000, currency="USD")  # started in February
    at("2026-03-02 09:00:00")
    deals["a"] = make_deal(api, stage_id=s1["id"], value=100, currency="USD")
    deals["b"] = make_deal(api, stage_id=s1["id"], value=200, currency="USD", expected_close_date="2026-03-20")
    deals["c"] = make_deal(api, stage_id=o1["id"], value=400, currency="USD")
    deals["theirs"] = make_deal(api, stage_id=s1["id"], value=800, currency="USD", owner_id=colleague)
    at("2026-03-05 10:00:00")
    data(api.put(f"/v1/deals/{deals['a']['id']}", json={"stage_id": s2["id"]}))
    data(api.put(f"/v1/deals/{deals['theirs']['id']}", json={"stage_id": s2["id"]}))
    at("2026-03-10 10:00:00")
    data(api.put(f"/v1/deals/{deals['a']['id']}", json={"status": "won"}))
    data(api.put(f"/v1/deals/{deals['c']['id']}", json={"status": "won"}))
    data(api.put(f"/v1/deals/{deals['old']['id']}", json={"stage_id": s2["id"]}))
    at("2026-04-01 10:00:00")
    data(api.put(f"/v1/deals/{deals['old']['id']}", json={"status": "won"}))  # won in April
    # Activities: two calls and a meeting added in March; one call and the meeting done in March.
    at("2026-03-03 08:00:00")
    call = data(api.post("/api/v2/activities", json={"subject": "Call", "type": "call", "due_date": "2026-03-04"}))
    meeting = data(
        api.post("/api/v2/activities", json={"subject": "Meet", "type": "meeting", "due_date": "2026-03-04"})
    )
    at("2026-03-28 08:00:00")
    data(api.post("/api/v2/activities", json={"subject": "Call 2", "type": "call", "due_date": "2026-04-04"}))
    data(api.patch(f"/api/v2/activities/{call['id']}", json={"done": True}))
    data(api.patch(f"/api/v2/activities/{meeting['id']}", json={"done": True}))
    at("2026-04-02 08:00:00")
    data(api.post("/api/v2/activities", json={"subject": "Later", "type": "call", "due_date": "2026-04-04"}))
    types = {t["key_string"]: t["id"] for t in data(api.get("/v1/activityTypes"))}
    return {"pipeline": pipeline, "stages": (s1, s2), "deals": deals, "colleague": colleague, "types": types}


SUM = {"target": 1000, "tracking_metric": "sum"}


def progress_of(api, **over) -> int | float:
    return result(api, add_goal(api, **over))["progress"]


def test_deals_results(api, seeded):
    pipeline_id = seeded["pipeline"]["id"]
    s2 = seeded["stages"][1]["id"]
    # Won in March by me: a (100) and c (400, another pipeline).
    answer = result(api, add_goal(api))
    assert answer["progress"] == 2 and answer["goal"]["type"]["name"] == "deals_won"
    assert progress_of(api, expected_outcome=SUM) == 500
    in_pipeline = {"name": "deals_won", "params": {"pipeline_id": [pipeline_id]}}
    assert progress_of(api, type=in_pipeline, expected_outcome=SUM) == 100
    assert progress_of(api, type=in_pipeline) == 1
    # The company's: the colleague's deals count too (none won); the colleague's own: none.
    assert progress_of(api, assignee={"id": 1, "type": "company"}) == 2
    assert progress_of(api, assignee={"id": seeded["colleague"], "type": "person"}) == 0
    # Started in March: a, b, c (mine); with the colleague's, four; in April: none.
    started = {"name": "deals_started", "params": {"pipeline_id": None}}
    assert progress_of(api, type=started) == 3
    assert progress_of(api, type=started, assignee={"id": 1, "type": "company"}, expected_outcome=SUM) == 1500
    assert result(api, add_goal(api, type=started), "2026-04-01", "2026-04-30")["progress"] == 0
    assert result(api, add_goal(api, type=started), "2026-02-01", "2026-02-28")["progress"] == 1
    # Into s2 in March: a and old (mine), theirs (the colleague's).
    progressed = {"name": "deals_progressed", "params": {"pipeline_id": [pipeline_id], "stage_id": s2}}
    assert progress_of(api, type=progressed) == 2
    assert progress_of(api, type=progressed, expected_outcome=SUM) == 1100
    assert progress_of(api, type=progressed, assignee={"id": 1, "type": "company"}) == 3
    assert result(api, add_goal(api, type=progressed), "2026-03-06", "2026-03-09")["progress"] == 0
    # Revenue forecast for March: won a (100) + c (400) and b open, expected on the 20th,
    # in s1 at 20 %: 40.
    forecast = {"name": "revenue_forecast", "params": {"pipeline_id": None}}
    assert progress_of(api, type=forecast, expected_outcome=SUM) == 540
    assert progress_of(api, type=forecast) == 3


def test_activities_results(api, seeded):
    call = seeded["types"]["call"]
    added = {"name": "activities_added", "params": {"activity_type_id": None}}
    done = {"name": "activities_completed", "params": {"activity_type_id": None}}
    assert progress_of(api, type=added) == 3
    assert progress_of(api, type={**added, "params": {"activity_type_id": [call]}}) == 2
    assert progress_of(api, type=done) == 2
    assert progress_of(api, type={**done, "params": {"activity_type_id": [call]}}) == 1
    assert result(api, add_goal(api, type=done), "2026-03-01", "2026-03-27")["progress"] == 0
    assert progress_of(api, type=added, assignee={"id": seeded["colleague"], "type": "person"}) == 0


def test_goal_writes_record_change_events(api, engine):
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    goal = add_goal(api)
    data(api.put(f"/v1/goals/{goal['id']}", json={"title": "New"}))
    api.delete(f"/v1/goals/{goal['id']}")
    with engine.connect() as conn:
        stmt = (
            select(change_events.c.action).where(change_events.c.entity_uuid == goal["id"]).order_by(change_events.c.id)
        )
        actions = list(conn.execute(stmt).scalars())
    assert actions == ["create", "change", "delete"]
