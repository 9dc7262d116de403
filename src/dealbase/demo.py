"""Demo data, written through the domain's write service alone (no HTTP, no request).

``seed(unit)`` gives a company a small, connected set of items: an organization, a person
working there, a product, a deal with that product on it, and a call about the deal. Every
row goes through ``domain/service.py`` like an API write, so the counters, change events,
search texts and followers are what the API shows for items made through it. The start
of the sandbox's demo data set.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import service
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.deal_products import DEAL_PRODUCT
from dealbase.domain.deals import DEAL
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.products import PRODUCT
from dealbase.domain.unit import Input, Unit

Row = dict[str, Any]


def seed(unit: Unit) -> dict[str, Row]:
    """The demo items, made by the unit's user in the unit's transaction (its caller
    commits); by name: organization, person, product, deal, deal_product, activity."""
    org = service.create(
        unit,
        ORGANIZATION,
        Input({"name": "Northwind Robotics"}, own={"address": {"value": "Tartu mnt 2, Tallinn", "country": "Estonia"}}),
    )
    person = service.create(
        unit,
        PERSON,
        Input(
            {"name": "Mia Tamm", "org_id": org["id"]},
            own={"emails": [{"value": "mia@northwind.example", "primary": True, "label": "work"}]},
        ),
    )
    product = service.create(
        unit,
        PRODUCT,
        Input({"name": "Welding arm", "code": "WA-100"}, own={"prices": [{"currency": "EUR", "price": 1200}]}),
    )
    deal = service.create(
        unit,
        DEAL,
        Input({"title": "Northwind welding line", "person_id": person["id"], "org_id": org["id"], "currency": "EUR"}),
    )
    line = service.create(
        unit,
        DEAL_PRODUCT,
        Input({"deal_id": deal["id"], "product_id": product["id"], "item_price": 1200, "quantity": 3}),
    )
    activity = service.create(
        unit,
        ACTIVITY,
        Input(
            {"subject": "Kick-off call", "type": "call", "deal_id": deal["id"], "person_id": person["id"], "org_id": org["id"]}
        ),
    )
    return {
        "organization": org,
        "person": person,
        "product": product,
        "deal": service.load(unit, DEAL, deal["id"]),
        "deal_product": {"id": line["id"]},
        "activity": activity,
    }
