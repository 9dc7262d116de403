"""Property: a saved filter lists (v2 and v1) exactly the deals a plain Python evaluation of its
conditions picks, for random condition trees over one random set of deals (values, statuses,
dates, custom values, nulls, related persons), on every backend.

The evaluation here is written from the documented meaning of the operators
(``domain/filters.py``), not from the SQL compiler.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import pytest
from factories import data, make_deal, make_field, make_person
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dealbase.clock

TODAY = date(2026, 6, 15)
WORDS = ("apple", "Apple pie", "APPLE", "50% off", "a_b", "pear", "b")
NUMBERS = (0, 5, 10.5, 100, -3)
DATES = ("2026-05-31", "2026-06-01", "2026-06-15", "2026-06-16", "2026-07-01")
RELATIVE = ("today", "yesterday", "tomorrow", "this_week", "last_week", "this_month", "next_month", "before_today")
STATUSES = ("open", "won", "lost")

# symbolic field → (kind, operators); ``person_name`` is the deal's person's name.
TEXT_OPS = (
    "=",
    "!=",
    "IS NULL",
    "IS NOT NULL",
    "LIKE '%$%'",
    "LIKE '$%'",
    "NOT LIKE '$%'",
    "NOT LIKE '%$%'",
    "LIKE '%$'",
)
ORDER_OPS = ("=", "!=", "<", ">", "<=", ">=", "IS NULL", "IS NOT NULL")
FIELDS = {
    "title": ("text", ("=", "LIKE '%$%'", "LIKE '$%'", "NOT LIKE '$%'", "NOT LIKE '%$'")),
    "value": ("num", ORDER_OPS),
    "probability": ("num", ORDER_OPS),
    "status": ("choice", ("=", "!=")),
    "expected_close_date": ("day", ORDER_OPS),
    "c_text": ("text", TEXT_OPS),
    "c_num": ("num", ORDER_OPS),
    "c_money": ("num", ORDER_OPS),
    "c_date": ("day", ORDER_OPS),
    "c_enum": ("option", ("=", "!=", "IS NULL", "IS NOT NULL")),
    "c_set": ("set", ("=", "!=", "contains", "not_contains", "IS NULL", "IS NOT NULL")),
    "person_name": ("text", TEXT_OPS),
}


@st.composite
def conditions(draw) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(FIELDS)))
    kind, ops = FIELDS[name]
    op = draw(st.sampled_from(ops))
    if kind == "text":
        value = draw(st.sampled_from(WORDS))
    elif kind == "num":
        value = draw(st.sampled_from(NUMBERS))
    elif kind == "choice":
        value = draw(st.sampled_from(STATUSES))
    elif kind == "day":
        value = draw(st.sampled_from(DATES + RELATIVE))
    else:
        value = draw(st.integers(0, 2))  # an option's index
    return {"field": name, "op": op, "value": value}


def groups(depth: int = 0):
    leaf = conditions()
    if depth >= 1:
        # At most 2 × 3 × 2 = 12 conditions in a tree: Pipedrive takes up to 16.
        items = st.lists(leaf, max_size=2)
    else:
        items = st.lists(st.one_of(leaf, groups(depth + 1)), max_size=3)
    return st.fixed_dictionaries({"glue": st.sampled_from(("and", "or")), "conditions": items})


trees = st.lists(groups(), min_size=1, max_size=2).map(lambda gs: {"glue": "and", "conditions": gs})


# -- the plain evaluation ----------------------------------------------------------------------


def interval(value: str) -> tuple[str | None, str | None]:
    """A date or relative date → its ``[lo, hi)`` days, worked out by hand from TODAY."""
    day = timedelta(days=1)
    monday = TODAY - timedelta(days=TODAY.weekday())
    spans = {
        "today": (TODAY, TODAY + day),
        "yesterday": (TODAY - day, TODAY),
        "tomorrow": (TODAY + day, TODAY + 2 * day),
        "this_week": (monday, monday + 7 * day),
        "last_week": (monday - 7 * day, monday),
        "this_month": (date(2026, 6, 1), date(2026, 7, 1)),
        "next_month": (date(2026, 7, 1), date(2026, 8, 1)),
        "before_today": (None, TODAY),
    }
    if value in spans:
        lo, hi = spans[value]
    else:
        lo = date.fromisoformat(value)
        hi = lo + day
    return (lo.isoformat() if lo else None, hi.isoformat() if hi else None)


NEGATIONS = {"!=": "=", "NOT LIKE '$%'": "LIKE '$%'", "NOT LIKE '%$%'": "LIKE '%$%'", "NOT LIKE '%$'": "LIKE '%$'"}


def holds(x: Any, op: str, value: Any, kind: str) -> bool:
    if kind == "set":
        has = bool(x) and value in x
        return {
            "IS NULL": not x,
            "IS NOT NULL": bool(x),
            "=": has,
            "contains": has,
            "!=": not has,
            "not_contains": not has,
        }[op]
    if op == "IS NULL":
        return x is None
    if op == "IS NOT NULL":
        return x is not None
    if op in NEGATIONS:
        return x is None or not holds(x, NEGATIONS[op], value, kind)
    if x is None:
        return False
    if kind == "text":
        x, value = x.lower(), value.lower()
        if op == "LIKE '%$%'":
            return value in x
        if op == "LIKE '$%'":
            return x.startswith(value)
        if op == "LIKE '%$'":
            return x.endswith(value)
    if kind == "day":
        x = x[:10]
        lo, hi = interval(value)
        return {
            "=": (lo is None or x >= lo) and (hi is None or x < hi),
            "<": lo is not None and x < lo,
            "<=": hi is None or x < hi,
            ">": hi is not None and x >= hi,
            ">=": lo is None or x >= lo,
        }[op]
    return {
        "=": x == value,
        "<": x < value,
        ">": x > value,
        "<=": x <= value,
        ">=": x >= value,
    }[op]


class World:
    """The shared random deals, as the API shows them, and how to reach each field."""

    def __init__(self, api, seed: int) -> None:
        rnd = random.Random(seed)
        self.api = api
        self.custom = {
            "c_text": make_field(api, field_type="varchar"),
            "c_num": make_field(api, field_type="double"),
            "c_money": make_field(api, field_type="monetary"),
            "c_date": make_field(api, field_type="date"),
            "c_enum": make_field(api, field_type="enum", options=[{"label": w} for w in ("x", "y", "z")]),
            "c_set": make_field(api, field_type="set", options=[{"label": w} for w in ("p", "q", "r")]),
        }
        self.options = {k: [o["id"] for o in self.custom[k]["options"]] for k in ("c_enum", "c_set")}
        persons = [make_person(api, name=rnd.choice(WORDS)) for _ in range(4)]
        self.person_names = {p["id"]: p["name"] for p in persons}

        def maybe(values):
            return rnd.choice((None, *values))

        for _ in range(30):
            body: dict[str, Any] = {
                "title": rnd.choice([w for w in WORDS if w]),
                "value": rnd.choice(NUMBERS),
                "status": rnd.choice(STATUSES),
                "probability": maybe((0, 5, 100)),
                "expected_close_date": maybe(DATES),
                "person_id": maybe([p["id"] for p in persons]),
            }
            values = {
                "c_text": maybe(WORDS),
                "c_num": maybe(NUMBERS),
                "c_money": None if rnd.random() < 0.3 else {"value": rnd.choice(NUMBERS), "currency": "EUR"},
                "c_date": maybe(DATES),
                "c_enum": maybe(self.options["c_enum"]),
                "c_set": maybe([rnd.sample(self.options["c_set"], k) for k in (1, 2, 3)]),
            }
            body["custom_fields"] = {self.custom[k]["field_code"]: v for k, v in values.items() if v is not None}
            make_deal(api, **{k: v for k, v in body.items() if v is not None})
        data(api.delete(f"/api/v2/persons/{persons[-1]['id']}"))  # a deal's person may be deleted
        del self.person_names[persons[-1]["id"]]
        deals = data(api.get("/api/v2/deals", params={"limit": 500}))
        fields = data(api.get("/v1/dealFields", params={"limit": 500}))
        self.ids = {f["key"]: str(f["id"]) for f in fields}
        self.person_field = next(str(f["id"]) for f in data(api.get("/v1/personFields")) if f["key"] == "name")
        self.deals = deals

    def x(self, deal: dict[str, Any], field: str) -> Any:
        if field == "person_name":
            return self.person_names.get(deal["person_id"], None)
        if field.startswith("c_"):
            raw = deal["custom_fields"].get(self.custom[field]["field_code"])
            return raw["value"] if field == "c_money" and raw is not None else raw
        return deal[field]

    def condition(self, c: dict[str, Any]) -> dict[str, Any]:
        field, value = c["field"], c["value"]
        kind = FIELDS[field][0]
        if kind in ("option", "set"):
            value = self.options[field][value]
        if field == "person_name":
            return {"object": "person", "field_id": self.person_field, "operator": c["op"], "value": value}
        key = self.custom[field]["field_code"] if field.startswith("c_") else field
        return {"object": "deal", "field_id": self.ids[key], "operator": c["op"], "value": value, "extra_value": None}

    def wire(self, tree: dict[str, Any]) -> dict[str, Any]:
        items = [self.wire(i) if "glue" in i else self.condition(i) for i in tree["conditions"]]
        return {"glue": tree["glue"], "conditions": items}

    def matches(self, deal: dict[str, Any], tree: dict[str, Any]) -> bool:
        results = []
        for item in tree["conditions"]:
            if "glue" in item:
                results.append(self.matches(deal, item))
                continue
            field = item["field"]
            kind = FIELDS[field][0]
            value = item["value"]
            if kind in ("option", "set"):
                value = self.options[field][value]
            if field == "person_name" and deal["person_id"] not in self.person_names:
                results.append(False)  # no live person: a condition on it cannot hold
                continue
            results.append(holds(self.x(deal, field), item["op"], value, "text" if kind == "choice" else kind))
        if not results:
            return True
        return all(results) if tree["glue"] == "and" else any(results)


@pytest.fixture
def world(api, monkeypatch):
    monkeypatch.setattr(dealbase.clock, "now", lambda: f"{TODAY.isoformat()} 12:00:00")
    return World(api, seed=4)


@pytest.mark.slow  # sixty filter trees, each against the same deals
@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=trees)
def test_filtered_deals_are_those_the_conditions_pick(world, tree):
    api = world.api
    made = data(api.post("/v1/filters", json={"name": "P", "type": "deals", "conditions": world.wire(tree)}))
    listed = data(api.get("/api/v2/deals", params={"filter_id": made["id"], "limit": 500}))
    expected = [d["id"] for d in world.deals if world.matches(d, tree)]
    assert [d["id"] for d in listed] == expected
    classic = data(api.get("/v1/deals", params={"filter_id": made["id"], "limit": 500})) or []
    assert [d["id"] for d in classic] == expected
