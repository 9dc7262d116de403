"""Custom field definitions and custom values written through the domain alone (no HTTP, no
request context), as a seed or an import would, and what the fields APIs then show."""

from __future__ import annotations

import pytest
from dealbase.domain import field_writes, service
from dealbase.domain.deals import DEAL
from dealbase.domain.unit import Input, Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import change_events, users

from factories import data


def _unit(conn, company) -> Unit:
    return Unit(conn, company.company_id, repo.get(conn, users, company.company_id, company.user_id))


def test_a_field_and_a_value_written_by_the_domain_are_what_the_api_shows(engine, company, api):
    with engine.connect().execution_options(dealbase_write=True) as conn:
        unit = _unit(conn, company)
        made = Input({}, own={"field_name": "Tier", "field_type": "enum", "options": ["Gold"]})
        tier = field_writes.create(unit, DEAL, made)
        (silver,) = field_writes.add_options(unit, DEAL, tier, [{"label": "Silver"}])
        deal = service.create(unit, DEAL, Input({"title": "Line"}, custom={tier["key"]: silver["id"]}))
        events = repo.all_rows(conn, change_events, company.company_id, change_events.c.entity == "dealField")
        conn.commit()

    assert [(e["entity_id"], e["action"]) for e in events] == [(tier["id"], "create"), (tier["id"], "change")]
    shown = data(api.get(f"/api/v2/dealFields/{tier['key']}"))
    assert (shown["field_name"], [o["label"] for o in shown["options"]]) == ("Tier", ["Gold", "Silver"])
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["custom_fields"][tier["key"]] == silver["id"]


def test_the_domain_refuses_a_system_field_and_an_unknown_custom_field(engine, company):
    with engine.connect().execution_options(dealbase_write=True) as conn:
        unit = _unit(conn, company)
        with pytest.raises(BadInput, match="System field 'title' cannot be changed or deleted"):
            field_writes.target(unit, DEAL, "title")
        with pytest.raises(BadInput, match="unknown custom field 'nope'"):
            service.create(unit, DEAL, Input({"title": "Line"}, custom={"nope": 1}))
        conn.rollback()
