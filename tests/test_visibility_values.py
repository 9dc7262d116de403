"""A visibility value the company's plan does not offer (issue 13, acceptance 7): refused with
a 400 in Pipedrive's envelope on every create and update of the items visibility governs,
v1 and v2, and in a role's settings; nothing is written. Without visibility groups a plan
offers 1 (owner only) and 3 (entire company); with them 1, 3, 5 and 7 (semantics.md §5.4).
"""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_lead, make_org, make_person, make_product
from sqlalchemy import select, update
from support.rows import counts

from dealbase.domain import company_clock
from dealbase.store.tables import companies, deals, leads, organizations, persons, products, roles

TABLES = {"deals": deals, "persons": persons, "organizations": organizations, "products": products, "leads": leads}
MAKE = {
    "deals": make_deal,
    "persons": make_person,
    "organizations": make_org,
    "products": make_product,
    "leads": make_lead,
}
NAME = {"deals": "title", "persons": "name", "organizations": "name", "products": "name", "leads": "title"}
# (api prefix, the families it serves): leads have no v2 create or update
APIS = [("/api/v2", ("deals", "persons", "organizations", "products")), ("/v1", tuple(TABLES))]
CASES = [(prefix, plural) for prefix, plurals in APIS for plural in plurals]


def _set_plan(app, engine, company, plan: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(companies).where(companies.c.id == company.company_id).values(plan=plan))
    company_clock.forget(app.shared, company.company_id)


def _rows(engine, table) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(table.c.id)).mappings()]


@pytest.mark.parametrize(("prefix", "plural"), CASES)
@pytest.mark.parametrize(("plan", "offered", "refused_value"), [("lite", (1, 3), 7), ("power", (1, 3, 5, 7), 2)])
def test_a_visibility_value_the_plan_does_not_offer_is_refused(
    app, api, engine, company, prefix, plural, plan, offered, refused_value
):
    _set_plan(app, engine, company, plan)
    table = TABLES[plural]
    item = MAKE[plural](api)
    before, rows = counts(engine), _rows(engine, table)
    body = {NAME[plural]: "Refused", "visible_to": refused_value}
    if plural == "leads":
        body["person_id"] = item["person_id"]
    for value in (refused_value, "everyone"):
        body["visible_to"] = value
        create = api.post(f"{prefix}/{plural}", json=body)
        assert "visible_to" in error(create, 400)
        method = api.patch if prefix == "/api/v2" or plural == "leads" else api.put
        changed = method(f"{prefix}/{plural}/{item['id']}", json={"visible_to": value})
        assert "visible_to" in error(changed, 400)
    assert counts(engine) == before
    assert _rows(engine, table) == rows
    # every value the plan offers is taken
    for value in offered:
        method = api.patch if prefix == "/api/v2" or plural == "leads" else api.put
        stored = data(method(f"{prefix}/{plural}/{item['id']}", json={"visible_to": value}))["visible_to"]
        assert str(stored) == str(value)


@pytest.mark.parametrize(("plan", "value"), [("lite", 7), ("lite", 5), ("power", 2), ("power", 0)])
def test_a_role_setting_the_plan_does_not_offer_is_refused(app, api, engine, company, plan, value):
    _set_plan(app, engine, company, plan)
    role = data(api.post("/v1/roles", json={"name": "Sales"}))["id"]
    before, rows = counts(engine), _rows(engine, roles)
    for key in ("deal_default_visibility", "person_default_visibility", "lead_default_visibility"):
        answer = api.post(f"/v1/roles/{role}/settings", json={"setting_key": key, "value": value})
        assert "value" in error(answer, 400)
    assert counts(engine) == before
    assert _rows(engine, roles) == rows
