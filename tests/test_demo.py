"""The demo data set, seeded through the domain's write service alone (no HTTP, no request
context), and what the API then shows of it: counters, change events, search hits, custom
field values, the saved filter and the goal. Deterministic from its seed value."""

from __future__ import annotations

from collections import Counter
from contextlib import nullcontext
from typing import Any

import pytest

from dealbase.demo import seed
from dealbase.domain import service
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import users

from conftest import Api
from factories import data
from support.database import in_unit
from support.rows import company_digest, company_rows

MOMENT = "2026-03-11 09:30:00"
TODAY = MOMENT[:10]


def _seeded(engine, company, **options) -> dict[str, int]:
    return in_unit(engine, company, lambda unit: seed(unit, **options))


def _all(api, path: str, **params) -> list[dict[str, Any]]:
    """Every item of a v2 list, page by page."""
    items, cursor = [], None
    while True:
        answer = api.get(f"/api/v2/{path}", params={**params, "limit": 500, **({"cursor": cursor} if cursor else {})})
        items += data(answer)
        cursor = (answer.json().get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return items


# Keys whose values are ids of another list, and the list (v2 path) they point into.
REFS = {
    "owner_id": "users",
    "creator_user_id": "users",
    "user_id": "users",
    "person_id": "persons",
    "org_id": "organizations",
    "deal_id": "deals",
    "stage_id": "stages",
    "pipeline_id": "pipelines",
    "product_id": "products",
    "next_activity_id": "activities",
    "last_activity_id": "activities",
}
LISTS = ("pipelines", "stages", "organizations", "persons", "deals", "activities", "products")


def _company_view(api) -> dict[str, Any]:
    """The company's lists with every id as its place in its own list, custom field keys as
    field names and times masked (a company's first pipeline and stages carry the time it
    was made): what two companies seeded alike must show alike."""
    lists = {path: _all(api, path) for path in LISTS}
    places: dict[str, dict[Any, int]] = {path: {r["id"]: n for n, r in enumerate(rows)} for path, rows in lists.items()}
    places["users"] = {u["id"]: n for n, u in enumerate(data(api.get("/v1/users")))}
    names = {
        f["key"]: f["name"]
        for kind in ("deal", "person", "organization")
        for f in data(api.get(f"/v1/{kind}Fields", params={"limit": 500}))
    }

    def plain(value: Any, own: str) -> Any:
        if isinstance(value, list):
            return [plain(v, own) for v in value]
        if not isinstance(value, dict):
            return value
        shown = {}
        for key, v in value.items():
            if key.endswith("_time"):
                v = "…" if v else v
            elif key == "id" and own:
                v = places[own][v]
            elif key in REFS and isinstance(v, int):
                v = places[REFS[key]][v]
            elif key == "custom_fields" and isinstance(v, dict):
                v = {names[k]: c for k, c in v.items()}
            shown[key] = plain(v, "")
        return shown

    return {path: [plain(row, path) for row in rows] for path, rows in lists.items()}


@pytest.mark.slow  # whole demo data sets: the full suite runs it
def test_same_seed_gives_the_same_company_twice(engine, company, other_company, api, other_api, at):
    at(MOMENT)
    first = _seeded(engine, company, seed_value=7, deals=24)
    second = _seeded(engine, other_company, seed_value=7, deals=24)
    assert first == second
    mine, theirs = _company_view(api), _company_view(other_api)
    assert len(mine["deals"]) == 24 and len(mine["activities"]) == 36
    assert mine == theirs


# Every row of a company seeded with seed_value=1, deals=100 at MOMENT (``company_digest``),
# recorded from the seed as it was before its writes were batched (issue 12): batching
# changed how the rows are written, not one row, id or value. Empty columns are left out, so
# a migration that adds a nullable column changes nothing; one that adds a column with a
# value changes it: record it again when the test below, which compares the batched seed
# with the write-by-write one on the spot, passes. (Recorded again when a company started
# with project templates, rows the seed does not write, and when deals, persons and
# organizations stored their e-mail counters, 0 for the seed's.)
DEMO_DIGEST = "b8e8cb5c2644524b237525e0ec6306ddd75fffa5e0ed4830eae76235b803fbb9"


@pytest.mark.slow  # whole demo data sets: the full suite runs it
def test_the_rows_are_those_the_seed_always_wrote(engine, company, at):
    at(MOMENT)
    _seeded(engine, company, seed_value=1, deals=100)
    with engine.connect() as conn:
        assert company_digest(conn, company.company_id, MOMENT) == DEMO_DIGEST


@pytest.mark.slow  # whole demo data sets: the full suite runs it
def test_the_batched_seed_writes_what_writes_one_by_one_write(engine, company, at, monkeypatch):
    """The seed with the write service's batch and without it (each write's hooks and change
    event at once), each rolled back after its rows were read: the same rows, ids and values."""
    if engine.dialect.name != "sqlite":
        pytest.skip("both seeds must get the same ids: PostgreSQL's sequences do not roll back")
    at(MOMENT)

    def seeded_rows() -> list[str]:
        with engine.connect().execution_options(dealbase_write=True) as conn:
            user = repo.get(conn, users, company.company_id, company.user_id)
            seed(Unit(conn, company.company_id, user), seed_value=4, deals=30)
            rows = company_rows(conn, company.company_id, MOMENT)
            conn.rollback()
        return rows

    batched = seeded_rows()
    monkeypatch.setattr(service, "batch", lambda unit: nullcontext())
    assert seeded_rows() == batched


def test_another_seed_gives_other_data(engine, company, other_company, api, other_api, at):
    at(MOMENT)
    _seeded(engine, company, seed_value=1, deals=12)
    _seeded(engine, other_company, seed_value=2, deals=12)
    mine, theirs = _company_view(api), _company_view(other_api)
    assert [d["title"] for d in mine["deals"]] != [d["title"] for d in theirs["deals"]]
    assert [p["name"] for p in mine["persons"]] != [p["name"] for p in theirs["persons"]]


def test_counts_by_kind_status_stage_and_type(engine, company, api, at):
    at(MOMENT)
    made = _seeded(engine, company)
    assert made == {
        "users": 4,
        "pipelines": 1,
        "stages": 3,
        "fields": 10,
        "products": 8,
        "organizations": 25,
        "persons": 50,
        "deals": 100,
        "deal_products": made["deal_products"],
        "activities": 150,
        "notes": 33,
        "leads": 20,
        "filters": 1,
        "goals": 1,
    }
    assert 100 <= made["deal_products"] <= 300
    assert len(data(api.get("/v1/users"))) == 5
    assert [p["name"] for p in data(api.get("/api/v2/pipelines"))] == ["Pipeline", "Partnerships"]

    deals = _all(api, "deals")
    assert len(deals) == 100
    statuses = Counter(d["status"] for d in deals)
    assert set(statuses) == {"open", "won", "lost"} and statuses["open"] > statuses["lost"]
    stages = {s["id"] for s in data(api.get("/api/v2/stages"))}
    assert len(stages) == 8 and {d["stage_id"] for d in deals} == stages
    assert all(d["value"] > 0 for d in deals)
    lost = [d for d in deals if d["status"] == "lost"]
    assert all(d["lost_reason"] for d in lost) and all(d["won_time"] for d in deals if d["status"] == "won")

    activities = _all(api, "activities")
    types = {t["key_string"] for t in data(api.get("/v1/activityTypes"))}
    assert {a["type"] for a in activities if a["due_date"] < TODAY} == types
    assert {a["type"] for a in activities if a["due_date"] >= TODAY} == types
    assert {a["done"] for a in activities if a["due_date"] < TODAY} == {True, False}
    assert not any(a["done"] for a in activities if a["due_date"] >= TODAY)

    persons = _all(api, "persons")
    assert all(
        p["emails"][0]["value"].endswith(".example") and p["phones"][0]["value"].startswith("+372") for p in persons
    )
    leads = data(api.get("/v1/leads", params={"limit": 500}))
    assert len(leads) == 20 and {len(lead["label_ids"]) for lead in leads} >= {1}
    labels = {label["id"] for label in data(api.get("/v1/leadLabels"))}
    assert {i for lead in leads for i in lead["label_ids"]} == labels
    assert len(data(api.get("/v1/notes", params={"limit": 500}))) == 33


def test_the_api_shows_counters_search_hits_and_custom_values(engine, company, api, at):
    at(MOMENT)
    _seeded(engine, company, seed_value=3, deals=30)
    deals = _all(api, "deals")
    org_id = Counter(d["org_id"] for d in deals if d["status"] == "open" and d["org_id"]).most_common(1)[0][0]
    org = data(api.get(f"/v1/organizations/{org_id}"))
    assert org["open_deals_count"] == sum(1 for d in deals if d["org_id"] == org_id and d["status"] == "open")
    assert org["won_deals_count"] == sum(1 for d in deals if d["org_id"] == org_id and d["status"] == "won")
    activities = _all(api, "activities", org_id=org_id)
    assert org["activities_count"] == len(activities)
    assert org["undone_activities_count"] == sum(1 for a in activities if not a["done"])

    deal = deals[0]
    lines = data(api.get(f"/api/v2/deals/{deal['id']}/products"))
    assert deal["value"] == sum(line["sum"] for line in lines) and lines

    found = data(api.get("/api/v2/itemSearch", params={"term": org["name"]}))["items"]
    assert ("organization", org_id) in {(f["item"]["type"], f["item"]["id"]) for f in found}
    person = _all(api, "persons")[0]
    email = person["emails"][0]["value"]
    found = data(api.get("/api/v2/itemSearch", params={"term": email}))["items"]
    assert [(f["item"]["type"], f["item"]["id"]) for f in found] == [("person", person["id"])]

    fields = {f["name"]: f for f in data(api.get("/v1/dealFields", params={"limit": 500}))}
    types = {name: fields[name]["field_type"] for name in ("Source channel", "Competitors", "Budget", "Contract start")}
    assert types == {"Source channel": "enum", "Competitors": "set", "Budget": "monetary", "Contract start": "date"}
    values = deal["custom_fields"]
    channel = values[fields["Source channel"]["key"]]
    assert channel in {o["id"] for o in fields["Source channel"]["options"]}
    assert len(values[fields["Competitors"]["key"]]) == 2
    budget = values[fields["Budget"]["key"]]
    assert budget["currency"] == deal["currency"] and 5_000 <= budget["value"] < 100_000
    assert values[fields["Contract start"]["key"]] >= TODAY
    shown = data(api.get(f"/v1/deals/{deal['id']}"))
    assert shown[fields["Source channel"]["key"]] == str(channel)


def test_the_api_shows_the_filter_and_the_goal(engine, company, api, at):
    at(MOMENT)
    _seeded(engine, company, seed_value=5, deals=40)
    (saved,) = data(api.get("/v1/filters", params={"type": "deals"}))
    assert saved["name"] == "Big open deals"
    filtered = {d["id"] for d in _all(api, "deals", filter_id=saved["id"])}
    deals = _all(api, "deals")
    assert filtered == {d["id"] for d in deals if d["status"] == "open" and d["value"] >= 10000}
    assert filtered

    # unchecked: the goals/find spec requires a filter the service reads as optional
    goals = data(Api(api.client, api.token, check_schema=False).get("/v1/goals/find", params={"is_active": "true"}))
    assert [(g["title"], g["type"]["name"], g["interval"], g["duration"]) for g in goals["goals"]] == [
        ("Deals won this quarter", "deals_won", "quarterly", {"start": "2026-01-01", "end": None})
    ]


def test_seed_leaves_change_events(engine, company, api, at):
    at(MOMENT)
    _seeded(engine, company, seed_value=9, deals=10)
    deal = _all(api, "deals")[0]
    changes = data(api.get(f"/v1/deals/{deal['id']}/changelog"))
    # the deal's value came from its products, written together: one change of the deal
    values = [(c["old_value"], c["new_value"]) for c in changes if c["field_key"] == "value"]
    assert values == [("0", str(deal["value"]))]
    # unchecked: the v1 spec draws an organization's owner_id in recents as an object, the
    # service answers a number (see tests/test_recents.py: unchecked)
    unchecked = Api(api.client, api.token, check_schema=False)
    params = {"since_timestamp": "2000-01-01 00:00:00", "items": "deal,person,organization,activity,note,product"}
    recents = Counter(r["item"] for r in data(unchecked.get("/v1/recents", params=params)))
    assert {k: recents[k] for k in ("deal", "person", "organization", "activity", "note", "product")} == {
        "deal": 10,
        "person": 5,
        "organization": 2,
        "activity": 15,
        "note": 3,
        "product": 8,
    }


@pytest.mark.parametrize("options", [{"deals": 0}, {"deals": 100_001}, {"deals": "5"}, {"seed_value": 1.5}])
def test_bad_options_are_refused_before_anything_is_written(engine, company, api, options):
    with pytest.raises(BadInput):
        _seeded(engine, company, **options)
    assert data(api.get("/api/v2/deals")) == [] and data(api.get("/api/v2/persons")) == []
