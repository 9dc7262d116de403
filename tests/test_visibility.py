"""Visibility of deals (issue 13): a regular user reads only what ``visible_to`` lets them
see, what they own and what they follow — in gets, every page of the v1 and v2 lists, the
searches and the deals summary; an item they may not see answers as a missing one
(semantics.md §3.4: 404 "not found, or not visible"). Admins see everything.
"""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_lead, make_pipeline, make_stage, refused
from sqlalchemy import update

from dealbase.domain import company_clock, permissions, visibility
from dealbase.domain.unit import Unit
from dealbase.store import repository as repo
from dealbase.store import users as users_store
from dealbase.store.tables import companies, users

NOT_FOUND = "Deal not found"


@pytest.fixture(autouse=True, params=["sparse", "dense"])
def shape(request, monkeypatch):
    """Every test under both shapes of a regular user's condition (store/visibility.py): the
    ids gathered from the indexes (a user who sees few rows: in these tests, every user) and
    each row tested as the list walks (forced by counting nobody as sparse)."""
    if request.param == "dense":
        monkeypatch.setattr(visibility, "SPARSE_BELOW", 0)
    return request.param


def _as_new_user(api, client, engine, company, email: str):
    """A regular user the admin adds with ``POST /v1/users``: their id and a client with
    their own token."""
    from conftest import Api

    user = data(api.post("/v1/users", json={"email": email, "name": email.split("@")[0]}))
    assert {a["app"]: a["admin"] for a in user["access"]} == {"sales": False, "global": False}  # a regular user
    with engine.connect() as conn:
        token = users_store.api_token(conn, company.company_id, user["id"])
    return user["id"], Api(client, token)


def _v2_ids(api, plural: str = "deals", **params) -> list[int]:
    """Every id of a v2 list, page by page through the cursor."""
    ids, cursor = [], None
    while True:
        body = api.get(f"/api/v2/{plural}", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        ids += [d["id"] for d in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return ids


def _v1_ids(api, limit: int = 1) -> list[int]:
    """Every deal id of the v1 list, page by page by ``start``."""
    ids, start = [], 0
    while True:
        body = api.get("/v1/deals", params={"start": start, "limit": limit}).json()
        ids += [d["id"] for d in body["data"] or []]
        more = body["additional_data"]["pagination"]["more_items_in_collection"]
        if not more:
            return ids
        start = body["additional_data"]["pagination"]["next_start"]


def _search_ids(api, url: str, term: str) -> list[int]:
    return [e["item"]["id"] for e in data(api.get(url, params={"term": term}))["items"] if e["item"]["type"] == "deal"]


def _set_plan(app, engine, company, plan: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(companies).where(companies.c.id == company.company_id).values(plan=plan))
    company_clock.forget(app.shared, company.company_id)


def test_a_regular_user_sees_their_own_company_visible_and_followed_deals_only(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    private = make_deal(api, title="Zephyr private", visible_to=1, value=100)
    shared = make_deal(api, title="Zephyr shared", visible_to=3, value=20)
    followed = make_deal(api, title="Zephyr followed", visible_to=1, value=3)
    assert data(api.post(f"/api/v2/deals/{followed['id']}/followers", json={"user_id": bo}), 201)["user_id"] == bo
    own = make_deal(as_bo, title="Zephyr own", visible_to=1, value=4000)
    assert own["owner_id"] == bo

    seen = sorted([shared["id"], followed["id"], own["id"]])
    everything = sorted([private["id"], *seen])
    for limit in (1, 2, 100):
        assert sorted(_v2_ids(as_bo, limit=limit)) == seen
        assert sorted(_v1_ids(as_bo, limit=limit)) == seen
    assert sorted(_v2_ids(api, limit=1)) == everything
    assert sorted(_v1_ids(api, limit=1)) == everything
    # a list's parameters and a sub-list keep the condition too
    assert [d["id"] for d in data(as_bo.get("/api/v2/deals", params={"owner_id": 1}))] == sorted(
        [shared["id"], followed["id"]]
    )
    assert [d["id"] for d in data(as_bo.get("/api/v2/deals", params={"ids": f"{private['id']},{shared['id']}"}))] == [
        shared["id"]
    ]

    for url in ("/api/v2/deals/search", "/v1/deals/search", "/api/v2/itemSearch", "/v1/itemSearch"):
        assert sorted(_search_ids(as_bo, url, "zephyr")) == seen, url
        assert sorted(_search_ids(api, url, "zephyr")) == everything, url
        assert _search_ids(as_bo, url, "Zephyr private") == [], url  # not by the exact title either
    field = {"term": "Zephyr", "field_type": "dealField", "field_key": "title", "return_item_ids": "true"}
    assert sorted(r["id"] for r in data(as_bo.get("/v1/itemSearch/field", params=field))) == seen

    summary = data(as_bo.get("/v1/deals/summary"))
    assert summary["total_count"] == 3
    assert summary["values_total"]["USD"]["value"] == 4023
    assert data(api.get("/v1/deals/summary"))["values_total"]["USD"]["value"] == 4123

    for deal in (shared, followed, own):
        shown = data(as_bo.get(f"/api/v2/deals/{deal['id']}"))
        assert shown["title"] == deal["title"] and shown == data(api.get(f"/api/v2/deals/{deal['id']}"))
        shown = data(as_bo.get(f"/v1/deals/{deal['id']}"))
        assert shown["title"] == deal["title"] and shown == data(api.get(f"/v1/deals/{deal['id']}"))


def test_a_deal_the_user_may_not_see_answers_as_a_missing_one(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    # a set that lets Bo delete deals: what stops him below is visibility alone
    deleting = next(s for s in data(api.get("/v1/permissionSets", params={"app": "sales"})) if s["type"] == "admin")
    with engine.begin() as conn:
        admin = repo.get(conn, users, company.company_id, company.user_id)
        permissions.assign(Unit(conn, company.company_id, admin), bo, "sales", permission_set_id=deleting["id"])
    private = make_deal(api, title="Secret", visible_to=1)
    url_v2, url_v1 = f"/api/v2/deals/{private['id']}", f"/v1/deals/{private['id']}"
    refused(as_bo.get(url_v2), NOT_FOUND, 404)
    refused(as_bo.get(url_v1), NOT_FOUND, 404)
    refused(as_bo.patch(url_v2, json={"title": "Mine now"}), NOT_FOUND, 404)
    refused(as_bo.put(url_v1, json={"title": "Mine now"}), NOT_FOUND, 404)
    refused(as_bo.delete(url_v2), NOT_FOUND, 404)
    refused(as_bo.delete(url_v1), NOT_FOUND, 404)
    own = make_deal(as_bo, title="Bo's")
    refused(as_bo.delete("/v1/deals", params={"ids": f"{own['id']},{private['id']}"}), NOT_FOUND, 404)
    assert data(as_bo.get(f"/api/v2/deals/{own['id']}"))["is_deleted"] is False  # all or nothing
    refused(as_bo.get(f"/api/v2/deals/{private['id']}/followers"), NOT_FOUND, 404)
    after = data(api.get(url_v2))
    assert (after["title"], after["is_deleted"], after["update_time"]) == ("Secret", False, private["update_time"])


def test_visibility_groups_follow_the_owners_role_and_its_sub_roles(app, api, client, engine, company):
    _set_plan(app, engine, company, "premium")
    sales = data(api.post("/v1/roles", json={"name": "Sales"}))["id"]
    east = data(api.post("/v1/roles", json={"name": "Sales East", "parent_role_id": sales}))["id"]
    support = data(api.post("/v1/roles", json={"name": "Support"}))["id"]
    people = {}
    for name, role in (("owner", sales), ("peer", sales), ("junior", east), ("other", support), ("plain", None)):
        user_id, client_of = _as_new_user(api, client, engine, company, f"{name}@acme.test")
        if role is not None:
            data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": user_id}))
        people[name] = (user_id, client_of)
    owner = people["owner"][0]
    deals = {v: make_deal(api, title=f"Grouped {v}", owner_id=owner, visible_to=v)["id"] for v in (1, 3, 5, 7)}
    # the admin is in the default role: its group is the users with no role
    admins_group = make_deal(api, title="Default group", visible_to=3)["id"]

    expected = {
        "owner": {deals[1], deals[3], deals[5], deals[7]},
        "peer": {deals[3], deals[5], deals[7]},
        "junior": {deals[5], deals[7]},
        "other": {deals[7]},
        "plain": {deals[7], admins_group},
    }
    for name, (_, as_user) in people.items():
        assert set(_v2_ids(as_user, limit=2)) == expected[name], name
        assert set(_v1_ids(as_user, limit=2)) == expected[name], name
        assert set(_search_ids(as_user, "/api/v2/deals/search", "grouped")) == expected[name] - {admins_group}, name
        hidden = (set(deals.values()) | {admins_group}) - expected[name]
        for deal_id in hidden:
            refused(as_user.get(f"/api/v2/deals/{deal_id}"), NOT_FOUND, 404)
    assert set(_v2_ids(api)) == set(deals.values()) | {admins_group}


def test_without_groups_three_is_the_entire_company(api, client, engine, company):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    _, as_cy = _as_new_user(api, client, engine, company, "cy@acme.test")
    bos = make_deal(as_bo, title="Bo's", visible_to=3)["id"]
    bos_private = make_deal(as_bo, title="Bo's own", visible_to=1)["id"]
    assert _v2_ids(as_cy) == [bos]
    assert sorted(_v2_ids(as_bo)) == [bos, bos_private]
    assert sorted(_v2_ids(api)) == [bos, bos_private]


def _v1_list_ids(api, url: str) -> list:
    return [item["id"] for item in data(api.get(url, params={"limit": 500})) or []]


def _made(api, plural: str, name: str, visible_to: int):
    if plural == "leads":
        return make_lead(api, title=name, visible_to=str(visible_to))["id"]
    made = api.post(f"/api/v2/{plural}", json={"name": name, "visible_to": visible_to})
    return data(made, 201 if plural == "products" else 200)["id"]


@pytest.mark.parametrize("plural", ["persons", "organizations", "products", "leads"])
def test_the_other_owned_items_follow_the_same_rule(api, client, engine, company, plural):
    _, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    private = _made(api, plural, "Quasar private", 1)
    shared = _made(api, plural, "Quasar shared", 3)
    own = _made(as_bo, plural, "Quasar own", 1)
    # leads made for a new person each: what is compared below is the plural's own items
    assert sorted(_v1_list_ids(as_bo, f"/v1/{plural}"), key=str) == sorted([shared, own], key=str)
    assert sorted(_v1_list_ids(api, f"/v1/{plural}"), key=str) == sorted([private, shared, own], key=str)
    if plural != "leads":
        assert sorted(_v2_ids(as_bo, plural, limit=1)) == sorted([shared, own])
        refused(as_bo.get(f"/api/v2/{plural}/{private}"), f"{_LABELS[plural]} not found", 404)
    else:
        error(as_bo.get(f"/v1/leads/{private}"), 404)
    search = f"/api/v2/{plural}/search"
    found = sorted((e["item"]["id"] for e in data(as_bo.get(search, params={"term": "quasar"}))["items"]), key=str)
    assert found == sorted([shared, own], key=str)
    assert data(as_bo.get(f"/v1/{plural}/{shared}"))["id"] == shared


_LABELS = {"persons": "Person", "organizations": "Organization", "products": "Product"}


def test_a_role_hiding_a_pipeline_hides_it_its_stages_and_its_deals(api, client, engine, company):
    bo, as_bo = _as_new_user(api, client, engine, company, "bo@acme.test")
    cy, as_cy = _as_new_user(api, client, engine, company, "cy@acme.test")
    role = data(api.post("/v1/roles", json={"name": "First pipeline only"}))["id"]
    data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": bo}))
    data(api.post(f"/v1/roles/{role}/settings", json={"setting_key": "deal_default_visibility", "value": 1}))
    hidden = make_pipeline(api, name="Hidden")["id"]
    stage = make_stage(api, hidden, name="Hidden stage")["id"]
    data(api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [hidden]}}))
    first = make_deal(api, title="Quasar first", visible_to=3)
    second = make_deal(api, title="Quasar second", visible_to=3, stage_id=stage)
    assert (first["pipeline_id"], second["pipeline_id"]) == (1, hidden)
    mine = make_deal(as_bo, title="Quasar mine")  # the role's default visibility: the owner only
    assert mine["visible_to"] == 1

    assert _v2_ids(as_bo) == [first["id"], mine["id"]] and _v1_ids(as_bo) == [first["id"], mine["id"]]
    assert _v2_ids(as_cy) == [first["id"], second["id"]] and _v1_ids(as_cy) == [first["id"], second["id"]]
    assert _v2_ids(api) == _v1_ids(api) == [first["id"], second["id"], mine["id"]]
    for url in ("/api/v2/deals/search", "/v1/deals/search", "/api/v2/itemSearch", "/v1/itemSearch"):
        assert sorted(_search_ids(as_bo, url, "quasar")) == [first["id"], mine["id"]], url
        assert sorted(_search_ids(as_cy, url, "quasar")) == [first["id"], second["id"]], url
    assert data(as_bo.get("/v1/deals/summary"))["total_count"] == 2
    assert data(as_cy.get("/v1/deals/summary"))["total_count"] == 2

    assert _v2_ids(as_bo, "pipelines") == [1] and _v2_ids(as_cy, "pipelines") == [1, hidden]
    assert [p["id"] for p in data(as_bo.get("/v1/pipelines"))] == [1]
    assert [p["id"] for p in data(as_cy.get("/v1/pipelines"))] == [1, hidden]
    assert stage not in _v2_ids(as_bo, "stages") and stage in _v2_ids(as_cy, "stages")
    assert stage not in [s["id"] for s in data(as_bo.get("/v1/stages"))]
    assert [s["id"] for s in data(as_cy.get("/v1/stages", params={"pipeline_id": hidden}))] == [stage]
    for path, missing in (
        (f"deals/{second['id']}", NOT_FOUND),
        (f"pipelines/{hidden}", "Pipeline not found"),
        (f"stages/{stage}", "Stage not found"),
    ):
        for prefix in ("/v1/", "/api/v2/"):
            assert error(as_bo.get(prefix + path), 404) == missing, prefix + path
            assert data(as_cy.get(prefix + path))["id"] in (second["id"], hidden, stage)
    assert error(as_bo.get(f"/v1/pipelines/{hidden}/deals"), 404) == "Pipeline not found"
    assert data(as_cy.get(f"/v1/pipelines/{hidden}/deals")) is None  # the caller's own deals: none
    assert [d["id"] for d in data(as_cy.get(f"/v1/pipelines/{hidden}/deals", params={"everyone": 1}))] == [second["id"]]
