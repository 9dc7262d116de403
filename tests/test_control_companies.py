"""Companies through the control plane (``/_dealbase/companies``): made, listed, shown, reset
and deleted whole, each isolated from every other as API users see it. Pipedrive's sandbox
gives a developer a fresh account; here one is a call away."""

from __future__ import annotations

import pytest
from conftest import TOKEN, Api
from factories import data, make_deal, make_org, make_person, refused
from sqlalchemy import func, select
from starlette.testclient import TestClient
from support.control import BEARER, control_client
from support.database import in_unit
from test_control_plane import CONTROL_TOKEN, bearer, control  # noqa: F401  (the control plane's client)

from dealbase.app import create_app
from dealbase.bootstrap import Company
from dealbase.domain import service
from dealbase.domain.users import USER
from dealbase.store.tables import companies as companies_table
from dealbase.store.tables import metadata

COMPANY_KEYS = {"id", "name", "api_token", "domain", "plan", "seats", "users"}
USER_KEYS = {"id", "email", "name", "is_admin", "api_token"}


def new_company(control, **body) -> dict:
    got = control.post("/_dealbase/companies", json=body, headers=bearer())
    assert got.status_code == 201, got.text
    return got.json()


def rows_of(engine, company_id: int) -> dict[str, int]:
    """How many rows of the company every table with a ``company_id`` holds (the
    companies table: its own row)."""
    counts = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            column = table.c.get("company_id") if table is not companies_table else table.c.id
            if column is not None:
                counts[table.name] = conn.execute(select(func.count()).where(column == company_id)).scalar_one()
    return counts


def test_a_new_company_answers_its_tokens_and_they_work(control):
    made = new_company(control, name="Tartu Trading", users=[{"name": "Uma User", "email": "uma@tartu.test"}])
    assert set(made) == COMPANY_KEYS
    assert made["name"] == "Tartu Trading" and made["domain"].startswith("tartu-trading-")
    admin, uma = made["users"]
    assert all(set(u) == USER_KEYS for u in made["users"])
    assert (admin["name"], admin["is_admin"], admin["api_token"]) == ("Admin", True, made["api_token"])
    assert (uma["name"], uma["email"], uma["is_admin"]) == ("Uma User", "uma@tartu.test", False)
    assert uma["api_token"] not in (None, made["api_token"])

    for user in made["users"]:
        me = data(Api(control, user["api_token"]).get("/v1/users/me"))
        assert (me["id"], me["company_id"], me["company_name"]) == (user["id"], made["id"], "Tartu Trading")
    # a new company's first rows, as the first start makes them
    api = Api(control, made["api_token"])
    pipelines = data(api.get("/api/v2/pipelines"))
    assert [p["name"] for p in pipelines] == ["Pipeline"]
    assert len(data(api.get("/api/v2/stages"))) == 5
    assert data(api.get("/api/v2/deals")) == []


def test_the_first_admin_of_the_users_given_is_the_companys_admin(control):
    made = new_company(
        control,
        users=[
            {"name": "Sam Seller", "email": "sam@x.test"},
            {"name": "Ann Admin", "email": "ann@x.test", "is_admin": True},
        ],
    )
    assert made["name"] == "Sandbox"
    assert [(u["name"], u["is_admin"]) for u in made["users"]] == [("Ann Admin", True), ("Sam Seller", False)]
    assert made["api_token"] == made["users"][0]["api_token"]


def test_two_companies_see_nothing_of_each_other(control):
    one, two = new_company(control, name="One"), new_company(control, name="Two")
    api_one, api_two = Api(control, one["api_token"]), Api(control, two["api_token"])
    deal = make_deal(api_one, title="Only in one")
    person = make_person(api_one, name="Pat One")

    assert data(api_two.get("/api/v2/deals")) == []
    assert data(api_two.get("/api/v2/persons")) == []
    assert api_two.get(f"/api/v2/deals/{deal['id']}").status_code == 404
    assert api_two.get(f"/v1/persons/{person['id']}").status_code == 404
    assert [d["title"] for d in data(api_one.get("/api/v2/deals"))] == ["Only in one"]


def test_companies_are_listed_and_shown(control, company):
    made = new_company(control, name="Listed")
    listed = control.get("/_dealbase/companies", headers=bearer())
    assert listed.status_code == 200
    by_id = {c["id"]: c for c in listed.json()}
    assert by_id[made["id"]] == made
    assert by_id[company.company_id]["api_token"] == TOKEN
    shown = control.get(f"/_dealbase/companies/{made['id']}", headers=bearer())
    assert (shown.status_code, shown.json()) == (200, made)


def test_a_company_keeps_its_plan_and_seats_and_shows_them(control, company):
    growth = new_company(control, name="Grower", plan="growth", seats=4)
    plain = new_company(control, name="Plain")
    assert (growth["plan"], growth["seats"]) == ("growth", 4)
    assert (plain["plan"], plain["seats"]) == ("lite", 1)  # the server's DEALBASE_PLAN / DEALBASE_SEATS
    for made in (growth, plain):
        assert control.get(f"/_dealbase/companies/{made['id']}", headers=bearer()).json() == made
    listed = {c["id"]: c for c in control.get("/_dealbase/companies", headers=bearer()).json()}
    assert (listed[growth["id"]]["plan"], listed[growth["id"]]["seats"]) == ("growth", 4)
    assert (listed[company.company_id]["plan"], listed[company.company_id]["seats"]) == ("lite", 1)
    reset = control.post(f"/_dealbase/companies/{growth['id']}/reset", json={}, headers=bearer())
    assert (reset.json()["plan"], reset.json()["seats"]) == ("growth", 4)  # a reset keeps them


def test_a_company_made_without_a_plan_gets_the_servers(engine, company, files_dir, base_settings):
    settings = base_settings.model_copy(
        update={
            "database_url": str(engine.url),
            "files_dir": str(files_dir),
            "control_token": CONTROL_TOKEN,
            "plan": "premium",
            "seats": 3,
        }
    )
    with TestClient(create_app(settings, engine=engine)) as client:
        made = new_company(client)
        chosen = new_company(client, plan="ultimate")
    assert (made["plan"], made["seats"]) == ("premium", 3)
    assert (chosen["plan"], chosen["seats"]) == ("ultimate", 3)


def demo_shown(control, company: dict) -> dict[str, list[str]]:
    """What the API shows of a company's demo data: deal titles, organization names."""
    api = Api(control, company["api_token"])
    return {
        "deals": sorted(d["title"] for d in data(api.get("/api/v2/deals", params={"limit": 500}))),
        "organizations": sorted(o["name"] for o in data(api.get("/api/v2/organizations", params={"limit": 500}))),
    }


@pytest.mark.slow  # a whole demo data set: the full suite runs it
def test_a_demo_company_has_the_demo_data(control, engine):
    made, empty = new_company(control, seed="demo"), new_company(control)
    shown = demo_shown(control, made)
    assert shown["deals"] and shown["organizations"]
    assert shown == demo_shown(control, new_company(control, seed="demo"))  # the same data every time
    assert demo_shown(control, empty) == {"deals": [], "organizations": []}


def test_reset_empties_one_company_and_leaves_the_other(control, engine):
    one, two = (
        new_company(control, name="One", users=[{"name": "Uma", "email": "uma@one.test"}]),
        new_company(control, name="Two"),
    )
    api_one, api_two = Api(control, one["api_token"]), Api(control, two["api_token"])
    make_deal(api_one, title="Gone after reset")
    make_org(api_one, name="Gone too")
    data(api_one.post("/v1/dealFields", json={"name": "Budget", "field_type": "double"}))
    make_deal(api_two, title="Stays")
    before_two = rows_of(engine, two["id"])

    got = control.post(f"/_dealbase/companies/{one['id']}/reset", json={}, headers=bearer())
    assert (got.status_code, got.json()) == (200, one)  # the same users and tokens

    assert data(api_one.get("/api/v2/deals")) == []
    assert data(api_one.get("/api/v2/organizations")) == []
    assert "Budget" not in [f["name"] for f in data(api_one.get("/v1/dealFields"))]
    assert [p["name"] for p in data(api_one.get("/api/v2/pipelines"))] == ["Pipeline"]
    assert len(data(api_one.get("/api/v2/stages"))) == 5
    templates = data(api_one.get("/api/v2/projectTemplates"))
    assert [t["title"] for t in templates] == ["Customer onboarding", "Service delivery"]
    template = templates[0]["id"]
    project = data(api_one.post("/api/v2/projects", json={"title": "P", "template_id": template}), 201)
    assert len(data(api_one.get(f"/v1/projects/{project['id']}/tasks"))) == 5
    assert data(Api(control, one["users"][1]["api_token"]).get("/v1/users/me"))["name"] == "Uma"
    assert [d["title"] for d in data(api_two.get("/api/v2/deals"))] == ["Stays"]
    assert rows_of(engine, two["id"]) == before_two


@pytest.mark.slow  # a whole demo data set: the full suite runs it
def test_reset_with_the_demo_seed(control):
    made, fresh = new_company(control), new_company(control, seed="demo")
    make_deal(Api(control, made["api_token"]), title="Mine")
    got = control.post(f"/_dealbase/companies/{made['id']}/reset", json={"seed": "demo"}, headers=bearer())
    assert (got.status_code, got.json()) == (200, made)
    assert demo_shown(control, made) == demo_shown(control, fresh)
    # twice over: the demo data once, not twice
    control.post(f"/_dealbase/companies/{made['id']}/reset", json={"seed": "demo"}, headers=bearer())
    assert demo_shown(control, made) == demo_shown(control, fresh)


def test_reset_keeps_the_users_with_tokens_and_drops_the_others(control, engine):
    made = new_company(control, users=[{"name": "Uma", "email": "uma@one.test"}])
    company = Company(made["id"], made["users"][0]["id"], made["api_token"])
    in_unit(
        engine,
        company,
        lambda unit: service.insert(
            unit,
            USER.table,
            {"name": "No Token", "email": "nt@one.test", "is_admin": False, "created": unit.clock()},
            event="user",
        ),
    )
    got = control.post(f"/_dealbase/companies/{made['id']}/reset", headers=bearer())
    assert (got.status_code, got.json()) == (200, made)
    listed = data(Api(control, made["api_token"]).get("/v1/users"))
    assert [u["name"] for u in listed] == ["Admin", "Uma"]


@pytest.mark.slow  # a whole demo data set: the full suite runs it
def test_delete_leaves_no_row_of_the_company_and_every_row_of_the_others(control, engine, company, files_dir):
    doomed, kept = new_company(control, seed="demo"), new_company(control, seed="demo")
    api = Api(control, doomed["api_token"])
    deal = data(api.get("/api/v2/deals"))[0]
    data(api.post("/v1/files", data={"deal_id": str(deal["id"])}, files={"file": ("a.txt", b"hello", "text/plain")}))
    make_deal(Api(control, kept["api_token"]), title="Kept")
    assert (files_dir / str(doomed["id"])).is_dir()
    assert sum(rows_of(engine, doomed["id"]).values()) > 50
    before = {c: rows_of(engine, c) for c in (kept["id"], company.company_id)}

    got = control.delete(f"/_dealbase/companies/{doomed['id']}", headers=bearer())
    assert (got.status_code, got.json()) == (200, {"id": doomed["id"], "deleted": True})

    assert set(rows_of(engine, doomed["id"]).values()) == {0}
    assert {c: rows_of(engine, c) for c in before} == before
    assert not (files_dir / str(doomed["id"])).exists()
    # its token stops working at once, cached or not
    assert api.get("/api/v2/deals").status_code == 401
    assert control.get(f"/_dealbase/companies/{doomed['id']}", headers=bearer()).status_code == 404


def test_delete_drops_the_companys_fault_rules_and_journal(engine, company, files_dir, base_settings):
    with control_client(engine, files_dir, base_settings, journal_size=10) as plane:
        doomed = new_company(plane)
        make_deal(Api(plane, doomed["api_token"]), title="Logged")
        rule = {"match": {"company_id": doomed["id"]}, "status": 503}
        assert plane.post("/_dealbase/faults", json=rule, headers=BEARER).status_code == 201
        theirs = {**rule, "match": {"company_id": company.company_id}}
        kept = plane.post("/_dealbase/faults", json=theirs, headers=BEARER)

        assert plane.delete(f"/_dealbase/companies/{doomed['id']}", headers=BEARER).status_code == 200
        listed = plane.get("/_dealbase/faults", headers=BEARER).json()["faults"]
        assert [r["id"] for r in listed] == [kept.json()["id"]]
        # the next company starts with nothing of it (a deleted id never comes again, migration 0025)
        later = new_company(plane)
        assert plane.get(f"/_dealbase/companies/{later['id']}/requests", headers=BEARER).json()["requests"] == []
        assert Api(plane, later["api_token"]).get("/api/v2/deals").status_code == 200


@pytest.mark.parametrize("method, suffix", [("GET", ""), ("DELETE", ""), ("POST", "/reset")])
def test_an_unknown_company_is_a_404(control, method, suffix):
    refused(
        control.request(method, f"/_dealbase/companies/999999{suffix}", headers=bearer()),
        "Unknown company: 999999",
        404,
    )
    refused(control.request(method, f"/_dealbase/companies/abc{suffix}", headers=bearer()), "Unknown company: abc", 404)


@pytest.mark.parametrize(
    "body, message",
    [
        ({"seed": "full"}, "seed must be one of: empty, demo"),
        ({"name": 5}, "name must be a non-empty string"),
        ({"name": "  "}, "name must be a non-empty string"),
        (
            {"plan": "gold"},
            "plan must be one of: lite, growth, premium, ultimate, essential, advanced, professional, power, enterprise",
        ),
        ({"seats": 0}, "seats must be an integer of at least 1"),
        ({"seats": True}, "seats must be an integer of at least 1"),
        ({"seats": 100_001}, "seats must be an integer of at least 1 and at most 100000"),
        ({"seed_value": "1"}, "seed_value must be an integer of at least 0"),
        ({"deals": -1}, "deals must be an integer of at least 0"),
        ({"users": {"name": "x"}}, "users must be a list"),
        ({"users": ["x"]}, "each of users must be an object with name and email"),
        ({"users": [{"name": "X"}]}, "each of users needs a name and an e-mail address"),
        ({"users": [{"name": "X", "email": "nope"}]}, "each of users needs a name and an e-mail address"),
        ({"users": [{"name": "X", "email": "x@y.test", "is_admin": "yes"}]}, "is_admin must be a boolean"),
        ({"users": [{"name": "X", "email": "x@y.test", "role": "admin"}]}, "Unknown user key(s): role"),
        (
            {"users": [{"name": "X", "email": "x@y.test"}, {"name": "Y", "email": "X@y.test"}]},
            "users must have different e-mail addresses",
        ),
        ({"colour": "red"}, "Unknown company key(s): colour"),
    ],
)
def test_a_bad_new_company_is_a_400_and_makes_nothing(control, engine, body, message):
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(companies_table)).scalar_one()
    got = control.post("/_dealbase/companies", json=body, headers=bearer())
    assert got.status_code == 400
    assert got.json()["success"] is False and got.json()["error"] == message
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(companies_table)).scalar_one() == before


@pytest.mark.parametrize("content", [b"[1]", b"{not json"])
def test_a_body_that_is_no_json_object_is_a_400(control, content):
    got = control.post("/_dealbase/companies", content=content, headers=bearer())
    assert got.status_code == 400 and got.json()["success"] is False


def test_a_bad_reset_is_a_400_and_changes_nothing(control, engine):
    made = new_company(control)
    make_deal(Api(control, made["api_token"]), title="Still here")
    before = rows_of(engine, made["id"])
    for body, message in [
        ({"seed": "all"}, "seed must be one of: empty, demo"),
        ({"name": "x"}, "Unknown reset key(s): name"),
    ]:
        got = control.post(f"/_dealbase/companies/{made['id']}/reset", json=body, headers=bearer())
        assert (got.status_code, got.json()["error"]) == (400, message)
    assert rows_of(engine, made["id"]) == before


def test_the_company_routes_need_the_control_token(control, engine):
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(companies_table)).scalar_one()
    assert control.post("/_dealbase/companies", json={}, headers=bearer("wrong")).status_code == 401
    assert control.post("/_dealbase/companies", json={}, headers={"x-api-token": TOKEN}).status_code == 401
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(companies_table)).scalar_one() == before


def test_the_index_lists_the_company_routes(control):
    listed = control.get("/_dealbase/", headers=bearer()).json()["routes"]
    mine = ("/companies", "/companies/{company_id}", "/companies/{company_id}/reset")
    assert [r for r in listed if r["path"] in mine] == [
        {"path": "/companies", "methods": "GET"},
        {"path": "/companies", "methods": "POST"},
        {"path": "/companies/{company_id}", "methods": "DELETE"},
        {"path": "/companies/{company_id}", "methods": "GET"},
        {"path": "/companies/{company_id}/reset", "methods": "POST"},
    ]


def test_a_deleted_companys_id_never_comes_again(engine, company, files_dir, base_settings):
    """A company made after the newest one is deleted has an id of its own, on SQLite too
    (where a new row takes the largest id + 1 unless the table is AUTOINCREMENT): what the
    process keeps by company id (cached field definitions, the request journal) is never
    another company's. Before migration 0025 the next company got the deleted one's id and
    its cached field definitions, and refused its own custom field."""
    with control_client(engine, files_dir, base_settings, journal_size=10) as client:
        gone = new_company(client, name="Gone")
        api = Api(client, gone["api_token"])
        secret = data(api.post("/api/v2/dealFields", json={"field_name": "Gone's secret", "field_type": "varchar"}))
        deal = make_deal(api, title="Gone's deal", custom_fields={secret["field_code"]: "hush"})
        assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"] == {secret["field_code"]: "hush"}
        rings = client.app.plane.state["journal"].rings
        assert gone["id"] in rings
        assert client.delete(f"/_dealbase/companies/{gone['id']}", headers=bearer()).status_code == 200
        assert gone["id"] not in rings

        made = new_company(client, name="Next")
        assert made["id"] > gone["id"]
        journal = client.get(f"/_dealbase/companies/{made['id']}/requests", headers=bearer())
        assert (journal.status_code, journal.json()["requests"]) == (200, [])
        next_api = Api(client, made["api_token"])
        own = data(next_api.post("/api/v2/dealFields", json={"field_name": "Next's own", "field_type": "varchar"}))
        deal = make_deal(next_api, title="Next's deal", custom_fields={own["field_code"]: "mine"})
        assert data(next_api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"] == {own["field_code"]: "mine"}
        names = [f["field_name"] for f in data(next_api.get("/api/v2/dealFields"))]
        assert "Next's own" in names and "Gone's secret" not in names


def test_after_a_reset_v1_pages_are_read_again(control, company):
    """A v1 page's bookmark (where the next ``start`` begins) holds while the company's change
    version does. A reset removes the company's change events; on SQLite the next ones took
    the same ids again, the version came back, and the stale bookmark served the wrong page."""
    made = new_company(control, name="Paged")
    api, other = Api(control, made["api_token"]), Api(control, TOKEN)
    make_deal(api, title="a"), make_deal(api, title="b"), make_org(api, name="o")
    assert [d["title"] for d in data(api.get("/v1/deals", params={"start": 0, "limit": 1}))] == ["a"]
    assert control.post(f"/_dealbase/companies/{made['id']}/reset", json={}, headers=bearer()).status_code == 200

    make_deal(other, title="elsewhere")  # takes the deal id the next page began at
    make_deal(api, title="a2"), make_deal(api, title="b2")
    assert [d["title"] for d in data(api.get("/v1/deals", params={"start": 1, "limit": 1}))] == ["b2"]
    assert [d["title"] for d in data(api.get("/v1/deals", params={"start": 0, "limit": 5}))] == ["a2", "b2"]
