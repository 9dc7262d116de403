"""Billing (v1): the company's add-ons follow its plan (``domain/billing.py``)."""

from __future__ import annotations

import pytest
from factories import data
from sqlalchemy import update

from dealbase.store.tables import companies


def _plan(engine, company_id: int, plan: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(companies).where(companies.c.id == company_id).values(plan=plan))


@pytest.mark.parametrize(
    "plan, codes",
    [
        ("lite", []),
        ("growth", []),
        ("premium", ["leadbooster_v2", "prospector", "projects"]),
        ("ultimate", ["leadbooster_v2", "prospector", "projects"]),
        ("advanced", []),
        ("power", ["projects"]),
        ("enterprise", ["projects"]),
    ],
)
def test_the_add_ons_follow_the_plan(api, engine, company, plan, codes):
    _plan(engine, company.company_id, plan)
    assert data(api.get("/v1/billing/subscriptions/addons")) == [{"code": code} for code in codes]


def test_each_company_has_its_own_plans_add_ons(api, other_api, engine, company, other_company):
    _plan(engine, other_company.company_id, "ultimate")
    assert data(api.get("/v1/billing/subscriptions/addons")) == []
    assert [a["code"] for a in data(other_api.get("/v1/billing/subscriptions/addons"))] == [
        "leadbooster_v2",
        "prospector",
        "projects",
    ]


def test_the_add_ons_need_a_token(anonymous):
    assert anonymous.get("/v1/billing/subscriptions/addons").status_code == 401
