"""The demo data set, written through the domain's write service alone (no HTTP, no request).

``seed(unit, seed_value=…, deals=…)`` fills a company with what a Pipedrive sandbox holds:
users, a second pipeline with its stages, custom fields of the common types, products,
organizations, persons with e-mails and phones, deals in every status and stage with products
and custom values, past and future activities of every type, notes, leads with labels, a
saved filter and a goal. Every row goes through ``domain/service.py`` (custom fields through
``domain/field_writes.py``, the goal through ``domain/goals.py``) like an API write, so the
counters, change events, search texts and followers are what the API shows for items made
through it.

It is deterministic: every choice comes from ``random.Random(seed_value)`` and every time
from the unit's clock, so the same seed gives the same rows and values in a new company (and
the same integer ids in a new database; UUIDs and custom field keys are made fresh, as the
API makes them). ``deals`` scales it: organizations, persons, activities, notes and leads
grow in proportion.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import orjson

from dealbase.domain import deal_products, field_writes, goals, service
from dealbase.domain.activities import ACTIVITY
from dealbase.domain.activity_types import ACTIVITY_TYPE
from dealbase.domain.deal_products import DEAL_PRODUCT
from dealbase.domain.deals import DEAL
from dealbase.domain.fields import system_fields
from dealbase.domain.filters import FILTER
from dealbase.domain.leads import LEAD, LEAD_LABEL
from dealbase.domain.notes import NOTE
from dealbase.domain.organizations import ORGANIZATION
from dealbase.domain.persons import PERSON
from dealbase.domain.pipelines import PIPELINE
from dealbase.domain.products import PRODUCT
from dealbase.domain.stages import STAGE
from dealbase.domain.unit import Input, Unit
from dealbase.domain.users import USER
from dealbase.errors import BadInput
from dealbase.store import repository as repo

Row = dict[str, Any]

MAX_DEALS = 100_000

FIRST_NAMES = (
    "Mia", "Liam", "Sofia", "Noah", "Emma", "Oliver", "Ava", "Lucas", "Isla", "Elias", "Maya", "Leo",
    "Hanna", "Mateo", "Zoe", "Arjun", "Priya", "Kenji", "Yuki", "Amara", "Tariq", "Ingrid", "Pablo",
    "Chloe", "Anton", "Freya", "Omar", "Nora", "Felix", "Lena",
)  # fmt: skip
LAST_NAMES = (
    "Tamm", "Smith", "Garcia", "Müller", "Rossi", "Kowalski", "Nguyen", "Haddad", "Okafor", "Larsen",
    "Silva", "Tanaka", "Novak", "Dubois", "Kim", "Patel", "Jensen", "Moreau", "Costa", "Berg",
)  # fmt: skip
COMPANY_WORDS = (
    "Northwind", "Bluefin", "Cedar", "Granite", "Lumen", "Harbor", "Vertex", "Aurora", "Summit", "Juniper",
    "Quarry", "Beacon", "Falcon", "Meridian", "Orchid", "Pioneer", "Redwood", "Silverline", "Tidewater", "Zenith",
)  # fmt: skip
COMPANY_KINDS = (
    "Robotics", "Logistics", "Foods", "Analytics", "Clinics", "Energy", "Studios", "Outfitters", "Labs", "Motors",
)  # fmt: skip
CITIES = (
    ("Tallinn", "Estonia"), ("Berlin", "Germany"), ("Lisbon", "Portugal"), ("Austin", "United States"),
    ("Toronto", "Canada"), ("Melbourne", "Australia"), ("Osaka", "Japan"), ("Lyon", "France"),
)  # fmt: skip
STREETS = ("Harbour Road", "Main Street", "Tartu mnt", "Market Square", "King Street", "Rua Augusta")
CURRENCIES = ("EUR", "USD", "GBP")
# name, code, price (EUR), whether it is sold monthly
PRODUCTS = (
    ("Welding arm", "WA-100", 1200),
    ("Conveyor belt module", "CB-220", 850),
    ("Vision sensor", "VS-310", 430),
    ("Maintenance plan (monthly)", "MP-001", 199),
    ("Operator training day", "TR-010", 950),
    ("Spare parts kit", "SP-050", 120),
    ("Control cabinet", "CC-400", 2600),
    ("Integration consulting hour", "IC-001", 140),
)
DEAL_TOPICS = ("expansion", "pilot", "renewal", "upgrade", "rollout", "service contract", "retrofit", "new line")
LOST_REASONS = ("Price too high", "Went with a competitor", "No budget this year", "No decision maker", "Timing")
USERS = (("Sofia Rossi", True), ("Kenji Tanaka", False), ("Amara Okafor", False), ("Lucas Dubois", False))
SECOND_PIPELINE = ("Partnerships", (("Intro", 10), ("Evaluation", 40), ("Contract", 80)))
SUBJECTS = {
    "call": ("Discovery call", "Follow-up call", "Pricing call"),
    "meeting": ("On-site visit", "Product demo", "Quarterly review"),
    "task": ("Send proposal", "Prepare quote", "Update contract draft"),
    "deadline": ("Proposal deadline", "Budget approval", "Contract signature"),
    "email": ("Send case studies", "Share references", "Recap e-mail"),
    "lunch": ("Lunch with the team", "Business lunch", "Lunch and demo"),
}
NOTES = (
    "Asked for a discount on the second year.",
    "Decision expected after the board meeting.",
    "Wants an on-site demo with the operations lead.",
    "Budget confirmed; legal review pending.",
    "Competitor offered a lower price but longer delivery.",
    "Very happy with the pilot results so far.",
)
LEAD_TITLES = ("Inbound: pricing request", "Trade fair contact", "Webinar sign-up", "Referral", "Website chat")
# (entity, name, type, options)
CUSTOM_FIELDS = (
    (DEAL, "Source channel", "enum", ("Website", "Referral", "Trade fair", "Cold outreach", "Partner")),
    (DEAL, "Competitors", "set", ("Acme Corp", "Globex", "Initech", "Umbrella")),
    (DEAL, "Budget", "monetary", ()),
    (DEAL, "Contract start", "date", ()),
    (DEAL, "Decision notes", "text", ()),
    (DEAL, "Units", "double", ()),
    (ORGANIZATION, "Industry", "enum", ("Manufacturing", "Retail", "Healthcare", "Logistics", "Software")),
    (ORGANIZATION, "Employees", "double", ()),
    (PERSON, "Job title", "varchar", ()),
    (PERSON, "Preferred contact", "enum", ("E-mail", "Phone", "Meeting")),
)


class _Demo:
    """One seeding: the unit, its random source, its today, and what was made so far."""

    def __init__(self, unit: Unit, seed_value: int) -> None:
        self.unit = unit
        self.rng = random.Random(seed_value)
        self.today = date.fromisoformat(unit.clock()[:10])
        self.made: dict[str, int] = {}

    def create(self, entity, values: Row, **more: Any) -> Row:
        row = service.create(self.unit, entity, Input(values, **more))
        self.made[entity.plural] = self.made.get(entity.plural, 0) + 1
        return row

    def day(self, low: int, high: int) -> str:
        return (self.today + timedelta(days=self.rng.randint(low, high))).isoformat()

    def all(self, entity) -> list[Row]:
        t = entity.table
        return repo.all_rows(self.unit.conn, t, self.unit.company_id, t.c.is_deleted.is_(False), order_by=[t.c.id])


def seed(unit: Unit, *, seed_value: int = 1, deals: int = 100) -> dict[str, int]:
    """Write the demo data set as the unit's user in the unit's transaction (its caller
    commits); how many of each item type it made, by plural name. Refuses options out of
    range before it writes anything."""
    if not _whole(seed_value):
        raise BadInput("Validation failed: seed_value: must be an integer")
    if not _whole(deals) or not 1 <= deals <= MAX_DEALS:
        raise BadInput(f"Validation failed: deals: must be an integer from 1 to {MAX_DEALS}")
    d = _Demo(unit, seed_value)
    with service.batch(unit):  # counters and search texts once per row, at the end
        owners = [unit.user_id, *_users(d)]
        stages = _pipelines(d)
        custom = _custom_fields(d)
        products = _products(d)
        orgs = _organizations(d, max(2, deals // 4), owners, custom)
        persons = _persons(d, max(3, deals // 2), orgs, owners, custom)
        made_deals = _deals(d, deals, stages, persons, products, owners, custom)
        _activities(d, made_deals, owners)
        _notes(d, made_deals, max(1, deals // 3))
        _leads(d, max(3, deals // 5), persons, owners)
        _filter_and_goal(d)
    return d.made


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _users(d: _Demo) -> list[int]:
    ids = []
    for name, is_admin in USERS:
        email = f"{name.split()[0].lower()}@demo.example"
        values = {"name": name, "email": email, "is_admin": is_admin, "active_flag": True, "created": d.unit.clock()}
        ids.append(service.insert(d.unit, USER.table, values, event="user"))
    d.made["users"] = len(ids)
    return ids


def _pipelines(d: _Demo) -> list[Row]:
    """A second pipeline beside the company's first one; every live stage, in order."""
    name, stages = SECOND_PIPELINE
    pipeline = d.create(PIPELINE, {"name": name, "is_deal_probability_enabled": True})
    for stage, probability in stages:
        d.create(STAGE, {"name": stage, "pipeline_id": pipeline["id"], "deal_probability": probability})
    return d.all(STAGE)


def _custom_fields(d: _Demo) -> dict[str, Row]:
    """The custom fields, by name: their key and options."""
    made = {}
    for entity, name, field_type, options in CUSTOM_FIELDS:
        sent: Row = {"field_name": name, "field_type": field_type}
        if options:
            sent["options"] = [{"label": label} for label in options]
        made[name] = field_writes.create(d.unit, entity, Input({}, own=sent))
        made[name]["options"] = orjson.loads(made[name]["options"]) if made[name].get("options") else []
    d.made["fields"] = len(made)
    return made


def _option(d: _Demo, field: Row) -> int:
    return d.rng.choice(field["options"])["id"]


def _products(d: _Demo) -> list[tuple[Row, dict[str, int]]]:
    """The products, each with its price by currency."""
    made = []
    for name, code, price in PRODUCTS:
        prices = {c: round(price * rate) for c, rate in zip(CURRENCIES, (1, 1.1, 0.86))}
        own = {"prices": [{"currency": c, "price": p} for c, p in prices.items()]}
        made.append((d.create(PRODUCT, {"name": name, "code": code, "unit": "pcs"}, own=own), prices))
    return made


def _organizations(d: _Demo, count: int, owners: list[int], custom: dict[str, Row]) -> list[Row]:
    made, names = [], set()
    while len(made) < count:
        name = f"{d.rng.choice(COMPANY_WORDS)} {d.rng.choice(COMPANY_KINDS)}"
        if name in names:
            name = f"{name} {len(made) + 1}"
        names.add(name)
        city, country = d.rng.choice(CITIES)
        address = {"value": f"{d.rng.choice(STREETS)} {d.rng.randint(1, 90)}, {city}", "country": country}
        values = {
            custom["Industry"]["key"]: _option(d, custom["Industry"]),
            custom["Employees"]["key"]: d.rng.choice((12, 45, 120, 380, 1500)),
        }
        org = d.create(
            ORGANIZATION, {"name": name, "owner_id": d.rng.choice(owners)}, own={"address": address}, custom=values
        )
        made.append(org)
    return made


def _persons(d: _Demo, count: int, orgs: list[Row], owners: list[int], custom: dict[str, Row]) -> list[Row]:
    made = []
    for i in range(count):
        first, last = d.rng.choice(FIRST_NAMES), d.rng.choice(LAST_NAMES)
        org = orgs[i % len(orgs)] if i < len(orgs) or d.rng.random() < 0.85 else None
        domain = org["name"].split()[0].lower() if org else "mail"
        email = f"{first.lower()}.{last.lower()}{i + 1}@{domain}.example".replace("ü", "u")
        phone = f"+372 5{d.rng.randint(100, 999)} {d.rng.randint(1000, 9999)}"
        own = {
            "emails": [{"value": email, "primary": True, "label": "work"}],
            "phones": [{"value": phone, "primary": True, "label": "mobile"}],
        }
        values = {
            custom["Job title"]["key"]: d.rng.choice(("CEO", "Head of Operations", "Buyer", "CTO", "Plant manager")),
            custom["Preferred contact"]["key"]: _option(d, custom["Preferred contact"]),
        }
        person = {"name": f"{first} {last}", "owner_id": d.rng.choice(owners), "org_id": org["id"] if org else None}
        made.append(d.create(PERSON, person, own=own, custom=values))
    return made


def _deals(d: _Demo, count: int, stages: list[Row], persons: list[Row], products, owners, custom) -> list[Row]:
    """Deals over every stage (each one at least once) and status (open, won, lost each at
    least once), with one to three products each (written as one: the deal's value changes
    once)."""
    made = []
    for i in range(count):
        stage = stages[i] if i < len(stages) else d.rng.choice(stages)
        status = ("open", "won", "lost")[i % 3] if i < 3 else d.rng.choices(("open", "won", "lost"), (6, 3, 2))[0]
        person = d.rng.choice(persons)
        currency = d.rng.choices(CURRENCIES, (6, 3, 1))[0]
        values: Row = {
            "title": f"{_org_name(d, person)} {d.rng.choice(DEAL_TOPICS)}",
            "owner_id": d.rng.choice(owners),
            "person_id": person["id"],
            "org_id": person["org_id"],
            "stage_id": stage["id"],
            "currency": currency,
            "status": status,
            "expected_close_date": d.day(-30, 120),
        }
        if status == "lost":
            values["lost_reason"] = d.rng.choice(LOST_REASONS)
        deal_custom = {
            custom["Source channel"]["key"]: _option(d, custom["Source channel"]),
            custom["Competitors"]["key"]: d.rng.sample([o["id"] for o in custom["Competitors"]["options"]], 2),
            custom["Budget"]["key"]: {"value": d.rng.randrange(5_000, 100_000, 500), "currency": currency},
            custom["Contract start"]["key"]: d.day(0, 180),
            custom["Decision notes"]["key"]: d.rng.choice(NOTES),
            custom["Units"]["key"]: d.rng.randint(1, 40),
        }
        deal = d.create(DEAL, values, custom=deal_custom)
        with deal_products.lines_written(d.unit, deal):
            for product, prices in d.rng.sample(products, d.rng.randint(1, 3)):
                quantity = d.rng.randint(1, 10)
                line = {
                    "deal_id": deal["id"],
                    "product_id": product["id"],
                    "item_price": prices[currency],
                    "quantity": quantity,
                }
                d.create(DEAL_PRODUCT, line)
        made.append(deal)
    return made


def _org_name(d: _Demo, person: Row) -> str:
    if person["org_id"] is None:
        return person["name"]
    return d.unit.rows(ORGANIZATION.table, [person["org_id"]])[person["org_id"]]["name"]


def _activities(d: _Demo, deals: list[Row], owners: list[int]) -> None:
    """About one and a half activities a deal: every type both past (mostly done) and
    upcoming, with times on most."""
    types = [t["key_string"] for t in d.all(ACTIVITY_TYPE)]
    count = max(2 * len(types), len(deals) * 3 // 2)
    for i in range(count):
        kind = types[i % len(types)] if i < 2 * len(types) else d.rng.choice(types)
        past = i % 2 == 0 if i < 2 * len(types) else d.rng.random() < 0.5
        deal = deals[i % len(deals)] if i < len(deals) else d.rng.choice(deals)
        values = {
            "subject": d.rng.choice(SUBJECTS.get(kind, ("Check in",))),
            "type": kind,
            "owner_id": d.rng.choice(owners),
            "deal_id": deal["id"],
            "person_id": deal["person_id"],
            "org_id": deal["org_id"],
            "due_date": d.day(-60, -1) if past else d.day(0, 45),
            "due_time": d.rng.choice((None, "09:00", "10:30", "14:00", "16:15")),
            "duration": d.rng.choice((None, "00:30", "01:00")),
            "done": past and d.rng.random() < 0.8,
        }
        d.create(ACTIVITY, values)


def _notes(d: _Demo, deals: list[Row], count: int) -> None:
    for i in range(count):
        deal = deals[i % len(deals)]
        d.create(
            NOTE, {"content": d.rng.choice(NOTES), "deal_id": deal["id"], "person_id": deal["person_id"]}, api="v1"
        )


def _leads(d: _Demo, count: int, persons: list[Row], owners: list[int]) -> None:
    labels = [label["id"] for label in d.all(LEAD_LABEL)]
    for i in range(count):
        person = d.rng.choice(persons)
        chosen = [labels[i % len(labels)]] if i < len(labels) else d.rng.sample(labels, d.rng.randint(0, 2))
        values = {
            "title": f"{d.rng.choice(LEAD_TITLES)}: {person['name']}",
            "owner_id": d.rng.choice(owners),
            "person_id": person["id"],
            "org_id": person["org_id"],
            "label_ids": orjson.dumps(chosen).decode(),
            "value": orjson.dumps({"amount": d.rng.randrange(1_000, 30_000, 250), "currency": "EUR"}).decode(),
            "expected_close_date": d.day(10, 90),
        }
        d.create(LEAD, values)


def _filter_and_goal(d: _Demo) -> None:
    """A saved filter of the open deals worth 10,000 or more, and a company goal of won deals
    this quarter."""
    ids = {f.v1: f.id for f in system_fields(DEAL)}

    def cond(key: str, op: str, value: str) -> Row:
        return {"object": "deal", "field_id": str(ids[key]), "operator": op, "value": value, "extra_value": None}

    conditions = {
        "glue": "and",
        "conditions": [
            {"glue": "and", "conditions": [cond("status", "=", "open"), cond("value", ">=", "10000")]},
            {"glue": "or", "conditions": []},
        ],
    }
    d.create(FILTER, {"name": "Big open deals", "type": "deals", "conditions": conditions}, api="v1")
    quarter = date(d.today.year, 3 * ((d.today.month - 1) // 3) + 1, 1)
    body = {
        "title": "Deals won this quarter",
        "assignee": {"id": d.unit.user_id, "type": "person"},
        "type": {"name": "deals_won", "params": {"pipeline_id": None}},
        "expected_outcome": {"target": 20, "tracking_metric": "quantity"},
        "duration": {"start": quarter.isoformat(), "end": None},
        "interval": "quarterly",
    }
    goals.add(d.unit, goals.parse(d.unit, body, None))
    d.made["goals"] = 1
