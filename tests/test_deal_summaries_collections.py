"""v1 deal summaries (totals per currency, weighted, counts) and the v1 ``/collection``
lists (cursor pages, flat records, admins only)."""

from __future__ import annotations

from factories import data, error, make_deal, make_org, make_person, make_pipeline, make_stage, make_user, refused_in_order
from test_filters import cond, field_id, make_filter, tree


def _summary(api, url="/v1/deals/summary", **params):
    return data(api.get(url, params=params))


def test_summary_totals_per_currency(api):
    make_deal(api, value=100, currency="USD", probability=50)
    make_deal(api, value=50, currency="USD")
    make_deal(api, value=20, currency="EUR", status="won")
    make_deal(api, value=7, currency="EUR", status="lost")
    gone = make_deal(api, value=1000, currency="USD")
    data(api.delete(f"/api/v2/deals/{gone['id']}"))
    make_deal(api, value=500, currency="USD", is_archived=True)
    s = _summary(api)
    assert s["total_count"] == 4
    assert s["values_total"]["USD"]["value"] == 150 and s["values_total"]["USD"]["count"] == 2
    assert s["values_total"]["USD"]["value_formatted"] == "$150"
    assert s["values_total"]["EUR"]["value"] == 27 and s["values_total"]["EUR"]["count"] == 2
    # Weighted: the deal's probability, else 100 %; won counts in full, lost not at all.
    assert s["weighted_values_total"]["USD"]["value"] == 100
    assert s["weighted_values_total"]["EUR"]["value"] == 20
    assert s["total_currency_converted_value"] == 177
    assert s["total_weighted_currency_converted_value"] == 120
    assert s["total_currency_converted_value_formatted"] == "$177"
    won = _summary(api, status="won")
    assert won["total_count"] == 1 and list(won["values_total"]) == ["EUR"]
    archived = _summary(api, "/v1/deals/summary/archived")
    assert archived["total_count"] == 1 and archived["values_total"]["USD"]["value"] == 500


def test_summary_filters(api):
    pipeline = make_pipeline(api)
    stage = make_stage(api, pipeline["id"], deal_probability=25)
    data(api.patch(f"/api/v2/pipelines/{pipeline['id']}", json={"is_deal_probability_enabled": True}))
    make_deal(api, value=40, stage_id=stage["id"])
    make_deal(api, value=10)
    by_stage = _summary(api, stage_id=stage["id"])
    assert by_stage["total_count"] == 1 and by_stage["weighted_values_total"]["USD"]["value"] == 10
    assert _summary(api, pipeline_id=pipeline["id"])["total_count"] == 1
    assert _summary(api, user_id=1)["total_count"] == 2
    assert _summary(api, user_id=999)["total_count"] == 0 and _summary(api, user_id=999)["values_total"] == {}
    assert "status" in error(api.get("/v1/deals/summary", params={"status": "deleted"}), 400)
    assert "stage_id" in error(api.get("/v1/deals/summary", params={"stage_id": "x"}), 400)
    assert error(api.get("/v1/deals/summary", params={"filter_id": 3}), 404) == "Filter not found"
    assert error(api.get("/v1/deals/summary/archived", params={"filter_id": 3}), 404) == "Filter not found"


def _page(api, url, **params):
    body = api.get(url, params=params).json()
    assert body["success"] is True, body
    return body["data"], body["additional_data"]["next_cursor"]


def test_deals_collection_pages_by_cursor(api):
    person, org = make_person(api), make_org(api)
    ids = [make_deal(api, person_id=person["id"], org_id=org["id"])["id"] for _ in range(3)]
    lost = make_deal(api, status="lost")
    gone = make_deal(api)
    data(api.delete(f"/api/v2/deals/{gone['id']}"))
    first, cursor = _page(api, "/v1/deals/collection", limit=2)
    assert [d["id"] for d in first] == ids[:2] and cursor
    assert first[0]["person_id"] == person["id"] and first[0]["org_id"] == org["id"] and first[0]["user_id"] == 1
    assert first[0]["visible_to"] == "3" and "formatted_value" not in first[0]
    rest, end = _page(api, "/v1/deals/collection", limit=2, cursor=cursor)
    assert [d["id"] for d in rest] == [ids[2], lost["id"]] and end is None
    assert [d["id"] for d in _page(api, "/v1/deals/collection", status="lost")[0]] == [lost["id"]]
    assert [d["id"] for d in _page(api, "/v1/deals/collection", status="deleted")[0]] == [gone["id"]]
    assert _page(api, "/v1/deals/collection", since="2999-01-01 00:00:00")[0] == []
    assert len(_page(api, "/v1/deals/collection", until="2999-01-01 00:00:00")[0]) == 4
    assert _page(api, "/v1/deals/collection", user_id=999)[0] == []
    assert "since" in error(api.get("/v1/deals/collection", params={"since": "yesterday"}), 400)
    assert "cursor" in error(api.get("/v1/deals/collection", params={"cursor": "nope"}), 400).lower()
    assert "status" in error(api.get("/v1/deals/collection", params={"status": "all"}), 400)


def test_persons_and_organizations_collections(api, other_api):
    org = make_org(api, name="Acme", address={"value": "Main St 1", "locality": "Tallinn"})
    make_org(api, name="Beta")
    person = make_person(api, name="Ann", org_id=org["id"], emails=[{"value": "a@x.test"}], label_ids=[])
    make_person(api, name="Bob")
    people, _ = _page(api, "/v1/persons/collection", first_char="a")
    assert [p["id"] for p in people] == [person["id"]]
    assert people[0]["org_id"] == org["id"] and people[0]["email"][0]["value"] == "a@x.test"
    assert people[0]["active_flag"] is True and people[0]["delete_time"] is None and people[0]["label_ids"] == []
    orgs, _ = _page(api, "/v1/organizations/collection", owner_id=1)
    assert [o["name"] for o in orgs] == ["Acme", "Beta"]
    assert orgs[0]["address"] == "Main St 1" and orgs[0]["address_locality"] == "Tallinn"
    assert _page(other_api, "/v1/persons/collection")[0] == []  # another company's are not there
    assert "limit" in error(api.get("/v1/persons/collection", params={"limit": 0}), 400)


def test_collections_are_for_admins_only(api, client, engine):
    from conftest import Api

    token = "ab" * 20
    make_user(engine, token=token)
    regular = Api(client, token)
    make_deal(api)
    for url in ("/v1/deals/collection", "/v1/persons/collection", "/v1/organizations/collection"):
        assert "admin" in error(regular.get(url), 403)
    assert len(data(api.get("/v1/deals/collection"))) == 1


def test_summary_reads_filter_id_status_then_owner_pipeline_stage(api):
    make_deal(api, title="Summed", value=5)
    refusals = [
        ("filter_id", "999999", "Filter not found", 404),
        ("status", "bogus", "Invalid 'status' parameter: must be one of open, won, lost", 400),
        ("user_id", "x", "Invalid 'user_id' parameter: must be an integer", 400),
        ("pipeline_id", "x", "Invalid 'pipeline_id' parameter: must be an integer", 400),
        ("stage_id", "x", "Invalid 'stage_id' parameter: must be an integer", 400),
    ]
    refused_in_order(api, ("/v1/deals/summary", "/v1/deals/summary/archived"), refusals)
    # a saved filter stands in for user_id, which is then not read; status still is
    saved = make_filter(api, tree([cond(field_id(api, "title"), "=", "Summed")]))
    assert _summary(api, filter_id=saved["id"], user_id="x")["total_count"] == 1
    assert _summary(api, filter_id=saved["id"], status="won")["total_count"] == 0
