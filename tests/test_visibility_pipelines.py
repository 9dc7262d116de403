"""Visibility around pipelines and numbers (issue 13): a regular user whose role hides a
pipeline writes nothing into it (a create, a move by v1 PUT or v2 PATCH, a lead converted,
a merge) and is answered as for a pipeline or stage that does not exist (Pipedrive: "You
won't be able to access deals from these pipelines"); the reads under pipelines (stage and
pipeline deals and their summary, conversion and movement statistics, the deals timeline,
goals' results) count only the deals the reader sees. The admin, on the same data, sees all.
"""

from __future__ import annotations

from factories import data, make_deal, make_lead, make_pipeline, make_stage, refused
from test_filters import cond, field_id, make_filter, tree
from test_statistics import timeline
from test_visibility import _as_new_user

from dealbase.domain import permissions
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store.tables import users


def _hiding_role(api, user_id: int, pipeline_id: int) -> None:
    """The user in a role that hides ``pipeline_id``."""
    role = data(api.post("/v1/roles", json={"name": f"Without {pipeline_id}"}))["id"]
    data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": user_id}))
    data(api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [pipeline_id]}}))


def _hidden_setup(api, client, engine, company):
    """Bo, whose role hides a second pipeline (its stage ``stage``); the admin's deal in it."""
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    hidden = make_pipeline(api, name="Hidden")["id"]
    stage = make_stage(api, hidden, name="Hidden stage")["id"]
    _hiding_role(api, bo, hidden)
    return bo, as_bo, hidden, stage


def _deal_ids(api) -> list[int]:
    return [d["id"] for d in data(api.get("/api/v2/deals"))]


def test_a_user_writes_no_deal_into_a_pipeline_their_role_hides(api, client, engine, company):
    bo, as_bo, hidden, stage = _hidden_setup(api, client, engine, company)
    before = _deal_ids(api)
    stage_missing = f"Validation failed: stage_id: Stage with id {stage} not found"
    pipeline_missing = f"Validation failed: pipeline_id: Pipeline with id {hidden} not found"
    # a create in the stage or the pipeline, v2 and v1
    refused(as_bo.post("/api/v2/deals", json={"title": "In", "stage_id": stage}), stage_missing)
    refused(as_bo.post("/v1/deals", json={"title": "In", "stage_id": stage}), stage_missing)
    refused(as_bo.post("/api/v2/deals", json={"title": "In", "pipeline_id": hidden}), pipeline_missing)
    refused(as_bo.post("/v1/deals", json={"title": "In", "pipeline_id": hidden}), pipeline_missing)
    # the same answer as for a stage that does not exist
    refused(
        as_bo.post("/api/v2/deals", json={"title": "In", "stage_id": 999999}),
        stage_missing.replace(str(stage), "999999"),
    )
    # a move of his own deal, by v2 PATCH and v1 PUT, by stage or by pipeline
    own = make_deal(as_bo, title="Bo's", value=10)
    assert own["pipeline_id"] == 1
    url_v2, url_v1 = f"/api/v2/deals/{own['id']}", f"/v1/deals/{own['id']}"
    refused(as_bo.patch(url_v2, json={"stage_id": stage}), stage_missing)
    refused(as_bo.put(url_v1, json={"stage_id": stage}), stage_missing)
    refused(as_bo.patch(url_v2, json={"pipeline_id": hidden}), pipeline_missing)
    refused(as_bo.put(url_v1, json={"pipeline_id": hidden, "title": "Moved"}), pipeline_missing)
    after = data(api.get(url_v2))
    assert (after["stage_id"], after["pipeline_id"], after["title"]) == (own["stage_id"], 1, "Bo's")
    assert after["update_time"] == own["update_time"]
    # a lead converted into the hidden stage: refused, the lead stays
    lead = make_lead(as_bo, title="Bo's lead")
    refused(as_bo.post(f"/api/v2/leads/{lead['id']}/convert/deal", json={"stage_id": stage}), stage_missing)
    assert data(as_bo.get(f"/v1/leads/{lead['id']}"))["is_archived"] is False
    assert sorted(_deal_ids(api)) == sorted([*before, own["id"]])
    # the admin writes there; Bo's moves inside what he sees still work
    assert make_deal(api, title="Admin's", stage_id=stage)["pipeline_id"] == hidden
    second = make_stage(api, 1, name="Second of the first")["id"]
    assert data(as_bo.patch(url_v2, json={"stage_id": second}))["stage_id"] == second


def test_a_create_without_a_place_lands_in_the_first_pipeline_the_user_sees(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    other = make_pipeline(api, name="Second")["id"]
    first_stage = make_stage(api, other, name="Its first")["id"]
    _hiding_role(api, bo, 1)
    made = make_deal(as_bo, title="Placed")
    assert (made["pipeline_id"], made["stage_id"]) == (other, first_stage)
    assert make_deal(api, title="The admin's")["pipeline_id"] == 1


def _sales_admin_set(api, engine, company, user_id: int) -> None:
    """The user gets the sales admin permission set (merging deals allowed): what stops
    them below is visibility alone."""
    sets = data(api.get("/v1/permissionSets", params={"app": "sales"}))
    chosen = next(s for s in sets if s["type"] == "admin")
    with engine.begin() as conn:
        admin = repo.get(conn, users, company.company_id, company.user_id)
        permissions.assign(Unit(conn, company.company_id, admin), user_id, "sales", permission_set_id=chosen["id"])


def test_merging_into_or_duplicating_a_deal_the_user_may_not_see_is_refused(api, client, engine, company):
    bo, as_bo, hidden, stage = _hidden_setup(api, client, engine, company)
    _sales_admin_set(api, engine, company, bo)
    own = make_deal(as_bo, title="Bo's")
    in_hidden = make_deal(api, title="In the hidden pipeline", stage_id=stage, visible_to=3)
    private = make_deal(api, title="Owner only", visible_to=1)
    for target in (in_hidden, private):
        refused(
            as_bo.put(f"/v1/deals/{own['id']}/merge", json={"merge_with_id": target["id"]}),
            f"Validation failed: merge_with_id: Deal with id {target['id']} not found",
        )
        refused(as_bo.put(f"/v1/deals/{target['id']}/merge", json={"merge_with_id": own["id"]}), "Deal not found", 404)
        refused(as_bo.post(f"/v1/deals/{target['id']}/duplicate"), "Deal not found", 404)
    assert data(api.get(f"/api/v2/deals/{own['id']}"))["is_deleted"] is False
    assert sorted(_deal_ids(api)) == sorted([own["id"], in_hidden["id"], private["id"]])
    # the admin merges the same deals
    merged = data(api.put(f"/v1/deals/{own['id']}/merge", json={"merge_with_id": private["id"]}))
    assert (merged["id"], merged["merge_what_id"]) == (private["id"], own["id"])


MARCH = {"start_date": "2026-03-01", "end_date": "2026-03-31"}


def _admins_deals(api, at):
    """The admin's two deals entering a pipeline of two stages on 2 March: one the company
    sees, which stays open in the first stage, and one for the owner only, moved on and won."""
    pipeline = make_pipeline(api, name="Numbers")["id"]
    s1, s2 = (make_stage(api, pipeline, name=name)["id"] for name in ("First", "Second"))
    at("2026-03-02 00:00:00")
    shared = make_deal(api, title="Shared", stage_id=s1, value=10, currency="EUR", visible_to=3)
    private = make_deal(api, title="Private", stage_id=s1, value=100, currency="EUR", visible_to=1)
    at("2026-03-03 00:00:00")
    data(api.put(f"/v1/deals/{private['id']}", json={"stage_id": s2}))
    at("2026-03-04 00:00:00")
    data(api.put(f"/v1/deals/{private['id']}", json={"status": "won"}))
    return pipeline, (s1, s2), shared["id"], private["id"]


def test_pipeline_statistics_count_only_the_deals_the_reader_sees(api, client, engine, company, at):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    pipeline, (s1, s2), shared, private = _admins_deals(api, at)
    admins = {**MARCH, "user_id": company.user_id}
    conversion = f"/v1/pipelines/{pipeline}/conversion_statistics"
    assert data(api.get(conversion, params=admins)) == {
        "stage_conversions": [{"from_stage_id": s1, "to_stage_id": s2, "conversion_rate": 50}],
        "won_conversion": 50,
        "lost_conversion": 0,
    }
    assert data(as_bo.get(conversion, params=admins)) == {
        "stage_conversions": [{"from_stage_id": s1, "to_stage_id": s2, "conversion_rate": 0}],
        "won_conversion": 0,
        "lost_conversion": 0,
    }
    movement = f"/v1/pipelines/{pipeline}/movement_statistics"
    everything = data(api.get(movement, params=admins))
    assert everything["movements_between_stages"] == {"count": 1}
    assert everything["new_deals"]["deals_ids"] == [shared, private]
    assert everything["new_deals"]["values"] == {"EUR": 110}
    assert everything["won_deals"]["deals_ids"] == [private]
    assert everything["deals_left_open"]["deals_ids"] == [shared]
    seen = data(as_bo.get(movement, params=admins))
    assert seen["movements_between_stages"] == {"count": 0}
    assert (seen["new_deals"]["deals_ids"], seen["new_deals"]["values"]) == ([shared], {"EUR": 10})
    assert (seen["won_deals"]["count"], seen["won_deals"]["deals_ids"]) == (0, [])
    assert seen["deals_left_open"]["deals_ids"] == [shared]
    assert [s["stage_id"] for s in seen["average_age_in_days"]["by_stages"]] == [s1, s2]


def test_reads_under_a_hidden_pipeline_answer_as_for_a_missing_one(api, client, engine, company, at):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    pipeline, (s1, _), shared, _ = _admins_deals(api, at)
    _hiding_role(api, bo, pipeline)
    for path, key in (("conversion_statistics", "won_conversion"), ("movement_statistics", "won_deals")):
        refused(as_bo.get(f"/v1/pipelines/{pipeline}/{path}", params=MARCH), "Pipeline not found", 404)
        assert key in data(api.get(f"/v1/pipelines/{pipeline}/{path}", params=MARCH))
    refused(
        as_bo.get(f"/v1/pipelines/{pipeline}/deals", params={"everyone": 1, "get_summary": 1}),
        "Pipeline not found",
        404,
    )
    refused(as_bo.get(f"/v1/stages/{s1}/deals", params={"everyone": 1}), "Stage not found", 404)
    assert [d["id"] for d in data(api.get(f"/v1/stages/{s1}/deals", params={"everyone": 1}))] == [shared]


def _timeline_ids(api, **params) -> list[list[int]]:
    base = {"start_date": "2026-03-01", "interval": "month", "amount": 1, "field_key": "add_time"}
    return [[d["id"] for d in period["deals"]] for period in timeline(api, **{**base, **params})]


def test_the_deals_timeline_and_goal_results_count_only_what_the_reader_sees(api, client, engine, company, at):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    pipeline, (_, s2), shared, private = _admins_deals(api, at)
    assert _timeline_ids(api) == [[shared, private]]
    assert _timeline_ids(as_bo) == [[shared]]
    assert _timeline_ids(as_bo, user_id=company.user_id, pipeline_id=pipeline) == [[shared]]

    def goal(kind: str, **params) -> str:
        body = {
            "title": kind,
            "assignee": {"id": company.user_id, "type": "person"},
            "type": {"name": kind, "params": {"pipeline_id": [pipeline], **params}},
            "expected_outcome": {"target": 5, "tracking_metric": "quantity"},
            "duration": {"start": "2026-01-01", "end": None},
            "interval": "monthly",
        }
        return data(api.post("/v1/goals", json=body))["goal"]["id"]

    goals = {"deals_started": goal("deals_started"), "deals_progressed": goal("deals_progressed", stage_id=s2)}
    period = {"period.start": "2026-03-01", "period.end": "2026-03-31"}

    def progress(api, kind: str) -> int:
        return data(api.get(f"/v1/goals/{goals[kind]}/results", params=period))["progress"]

    assert (progress(api, "deals_started"), progress(api, "deals_progressed")) == (2, 1)
    assert (progress(as_bo, "deals_started"), progress(as_bo, "deals_progressed")) == (1, 0)
    # a role hiding the pipeline: none of its deals, whatever their visible_to
    _hiding_role(api, bo, pipeline)
    assert _timeline_ids(as_bo) == [[]]
    assert _timeline_ids(api) == [[shared, private]]

    assert (progress(as_bo, "deals_started"), progress(as_bo, "deals_progressed")) == (0, 0)
    assert (progress(api, "deals_started"), progress(api, "deals_progressed")) == (2, 1)


def _ids(api, url: str, **params) -> list[int]:
    return [d["id"] for d in data(api.get(url, params=params)) or []]


def test_a_pipelines_and_a_stages_deals_and_their_summary_hold_only_what_the_reader_sees(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    s1, s2 = (make_stage(api, 1, name=name)["id"] for name in ("Stage one", "Stage two"))
    shared = make_deal(api, title="Shared", stage_id=s1, value=10, currency="EUR", visible_to=3)["id"]
    private = make_deal(api, title="Private", stage_id=s1, value=100, currency="EUR", visible_to=1)["id"]
    bos = make_deal(as_bo, title="Bo's", stage_id=s2, value=7, currency="USD", visible_to=1)["id"]
    admin = company.user_id
    pipeline, stage = "/v1/pipelines/1/deals", f"/v1/stages/{s1}/deals"
    # none of these: the caller's own deals (Pipedrive's default); everyone: every owner's he sees
    assert _ids(as_bo, pipeline) == [bos] and _ids(as_bo, stage) == []
    assert _ids(as_bo, pipeline, everyone=1) == [shared, bos]
    assert _ids(as_bo, pipeline, user_id=admin) == [shared]
    assert _ids(as_bo, stage, everyone=1) == _ids(as_bo, stage, user_id=admin) == [shared]
    assert _ids(as_bo, pipeline, everyone=1, stage_id=s2) == [bos]
    assert _ids(api, pipeline) == _ids(api, stage) == [shared, private]
    assert _ids(api, pipeline, everyone=1) == [shared, private, bos]
    assert _ids(api, pipeline, user_id=bo) == [bos]
    # a filter stands in for the owner; everyone for both
    in_s1 = make_filter(api, tree([cond(field_id(api, "stage_id"), "=", str(s1))]))["id"]
    assert _ids(api, pipeline, filter_id=in_s1) == [shared, private]
    assert _ids(api, pipeline, filter_id=in_s1, everyone=1) == [shared, private, bos]

    def summary(api, **params) -> dict:
        return data_and_more(api.get(pipeline, params={"get_summary": 1, **params}))["deals_summary"]

    seen = summary(as_bo, everyone=1)
    assert seen["total_count"] == 2
    assert seen["per_currency"] == {"EUR": 1, "USD": 1}
    assert seen["per_currency_full"] == {"EUR": {"count": 1, "value": 10}, "USD": {"count": 1, "value": 7}}
    assert seen["per_stages"][str(s1)]["EUR"]["count"] == 1 and seen["per_stages"][str(s1)]["EUR"]["value"] == 10
    assert seen["per_stages"][str(s2)]["USD"]["value"] == 7
    everything = summary(api, everyone=1, totals_convert_currency="EUR")
    assert everything["total_count"] == 3
    assert everything["per_currency_full"]["EUR"] == {"count": 2, "value": 110}
    assert everything["per_stages_converted"][str(s1)] == {"count": 2, "value": 110, "value_weighted": 110}
    assert summary(as_bo)["total_count"] == 1  # the caller's own
    assert "deals_summary" not in api.get(pipeline).json()["additional_data"]


def data_and_more(response) -> dict:
    """A list's ``additional_data``, after its data are checked."""
    data(response)
    return response.json()["additional_data"]
