"""Saved filters (classic v1): CRUD, helpers, and ``filter_id`` on the lists of v1 and v2."""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_field, make_org, make_person, make_pipeline, make_stage

import dealbase.clock


def field_id(api, key: str, entity: str = "deal") -> str:
    """The v1 id of a field (system or custom) by its key, as a string (how filters give it)."""
    fields = data(api.get(f"/v1/{entity}Fields", params={"limit": 500}))
    return str(next(f["id"] for f in fields if f["key"] == key))


def cond(field: str, operator: str, value=None, obj: str = "deal", extra=None) -> dict:
    return {"object": obj, "field_id": field, "operator": operator, "value": value, "extra_value": extra}


def tree(all_of=(), any_of=()) -> dict:
    return {
        "glue": "and",
        "conditions": [{"glue": "and", "conditions": list(all_of)}, {"glue": "or", "conditions": list(any_of)}],
    }


def make_filter(api, conditions, kind: str = "deals", **extra) -> dict:
    return data(api.post("/v1/filters", json={"name": "F", "type": kind, "conditions": conditions, **extra}))


def ids_v2(api, path: str, filter_id: int, **params) -> list:
    return [d["id"] for d in data(api.get(f"/api/v2/{path}", params={"filter_id": filter_id, **params}))]


def ids_v1(api, path: str, filter_id: int, **params) -> list:
    return [d["id"] for d in data(api.get(f"/v1/{path}", params={"filter_id": filter_id, **params})) or []]


# -- CRUD --------------------------------------------------------------------------------


def test_add_get_list_update_delete(api):
    stage = field_id(api, "stage_id")
    made = make_filter(api, tree([cond(stage, "=", "2")]))
    assert made["name"] == "F" and made["type"] == "deals" and made["active_flag"] is True
    assert made["user_id"] == 1 and made["visible_to"] == "1" and made["temporary_flag"] is False
    assert made["is_editable"] is True and made["filter_code"] is None and made["custom_view_id"] is None
    first = made["conditions"]["conditions"][0]["conditions"][0]
    assert first == {
        "object": "deal",
        "field_id": stage,
        "operator": "=",
        "value": "2",
        "extra_value": None,
        "json_value_flag": False,
        "field_code": "stage_id",
    }
    assert made["conditions"]["conditions"][1] == {"glue": "or", "conditions": []}
    assert data(api.get(f"/v1/filters/{made['id']}"))["conditions"] == made["conditions"]
    people = make_filter(api, tree([cond(field_id(api, "name", "person"), "LIKE '%$%'", "a", "person")]), "people")
    listed = data(api.get("/v1/filters"))
    assert [f["id"] for f in listed] == [made["id"], people["id"]] and "conditions" not in listed[0]
    assert [f["id"] for f in data(api.get("/v1/filters", params={"type": "people"}))] == [people["id"]]
    changed = data(api.put(f"/v1/filters/{made['id']}", json={"name": "G", "conditions": tree([cond(stage, "!=", 1)])}))
    assert changed["name"] == "G" and changed["conditions"]["conditions"][0]["conditions"][0]["operator"] == "!="
    assert changed["type"] == "deals"
    assert data(api.delete(f"/v1/filters/{made['id']}")) == {"id": made["id"]}
    error(api.get(f"/v1/filters/{made['id']}"), 404)
    assert data(api.delete("/v1/filters", params={"ids": str(people["id"])})) == {"id": [people["id"]]}
    assert data(api.get("/v1/filters")) == []


def test_helpers_list_operators_by_type_and_relative_dates(api):
    found = data(api.get("/v1/filters/helpers"))
    ops = found["operators"]
    assert ops["int"][">="] == "is more or equal to" and ops["date"]["<"] == "is earlier than"
    assert list(ops["title"]) == ["=", "LIKE '%$%'", "LIKE '$%'", "NOT LIKE '$%'"]
    assert ops["daterange"]["includes"] == "does include" and ops["stage"]["has_been"] == "has been"
    assert found["deprecated_operators"]["LIKE '%$'"] == "ends with"
    dates = found["relative_dates"]
    assert (
        dates["Relative dates"]["1_months_ago"] == "1 month ago"
        and dates["Relative dates"]["in_2_weeks"] == "in 2 weeks"
    )
    assert dates["Relative dates"]["later_or_today"] == "today or later"
    assert "this_quarter" in dates["Relative date intervals"]
    assert found["address_field_components"]["postal_code"] == "Postal code"


# -- filter_id on lists ------------------------------------------------------------------


def test_stage_filter_made_in_v1_lists_exactly_its_deals_in_v2_and_v1(api):
    pipe = make_pipeline(api)
    s1, s2 = make_stage(api, pipe["id"]), make_stage(api, pipe["id"])
    a = make_deal(api, stage_id=s1["id"])
    make_deal(api, stage_id=s2["id"])
    c = make_deal(api, stage_id=s1["id"], status="won")
    deleted = make_deal(api, stage_id=s1["id"])
    data(api.delete(f"/api/v2/deals/{deleted['id']}"))
    f = make_filter(api, tree([cond(field_id(api, "stage_id"), "=", str(s1["id"]))]))
    assert ids_v2(api, "deals", f["id"]) == [a["id"], c["id"]]
    # filter_id overrides the quick filters and status in v2
    assert ids_v2(api, "deals", f["id"], owner_id=999, status="lost") == [a["id"], c["id"]]
    assert ids_v1(api, "deals", f["id"]) == [a["id"], c["id"]]
    assert ids_v1(api, "deals", f["id"], status="won") == [c["id"]]
    assert ids_v1(api, f"pipelines/{pipe['id']}/deals", f["id"]) == [a["id"], c["id"]]
    summary = data(api.get("/v1/deals/summary", params={"filter_id": f["id"]}))
    assert summary["total_count"] == 2


def test_has_been_in_a_stage_counts_the_stages_a_deal_went_through(api):
    pipe = make_pipeline(api)
    s1, s2, s3 = (make_stage(api, pipe["id"]) for _ in range(3))
    moved = make_deal(api, stage_id=s1["id"])
    data(api.patch(f"/api/v2/deals/{moved['id']}", json={"stage_id": s2["id"]}))
    stayed = make_deal(api, stage_id=s1["id"])
    later = make_deal(api, stage_id=s3["id"])
    data(api.put(f"/v1/deals/{later['id']}", json={"stage_id": s2["id"]}))
    stage = field_id(api, "stage_id")
    been = make_filter(api, tree([cond(stage, "has_been", s1["id"])]))
    assert ids_v2(api, "deals", been["id"]) == [moved["id"], stayed["id"]]
    both = make_filter(api, tree([cond(stage, "has_been", s2["id"]), cond(stage, "!=", s2["id"])]))
    assert ids_v2(api, "deals", both["id"]) == []
    now_in = make_filter(api, tree([cond(stage, "has_been", s2["id"])]))
    assert ids_v2(api, "deals", now_in["id"]) == [moved["id"], later["id"]]


def test_nested_and_or_groups(api):
    value, title = field_id(api, "value"), field_id(api, "title")
    small = make_deal(api, title="Small apple", value=10)
    big = make_deal(api, title="Big apple", value=1000)
    pear = make_deal(api, title="Big pear", value=2000)
    small_pear = make_deal(api, title="Small pear", value=5)
    f = make_filter(api, tree([cond(value, ">=", "10")], [cond(title, "LIKE '%$%'", "APPLE"), cond(value, ">", 1500)]))
    assert ids_v2(api, "deals", f["id"]) == [small["id"], big["id"], pear["id"]]
    either = {
        "glue": "or",
        "conditions": [
            {"glue": "and", "conditions": [cond(title, "LIKE '$%'", "big"), cond(value, "<", "1500")]},
            {"glue": "and", "conditions": [cond(title, "NOT LIKE '$%'", "big"), cond(value, "<=", 5)]},
        ],
    }
    f2 = make_filter(api, {"glue": "and", "conditions": [either]})
    assert ids_v2(api, "deals", f2["id"]) == [big["id"], small_pear["id"]]
    error(api.post("/v1/filters", json={"name": "F", "type": "deals", "conditions": either}), 400)


def test_custom_fields_of_each_kind(api):
    text = make_field(api, field_type="varchar")
    num = make_field(api, field_type="double")
    money = make_field(api, field_type="monetary")
    day = make_field(api, field_type="date")
    enum = make_field(api, field_type="enum", options=[{"label": "Hot"}, {"label": "Cold"}])
    many = make_field(api, field_type="set", options=[{"label": "A"}, {"label": "B"}])
    hot, cold = (o["id"] for o in enum["options"])
    opt_a, opt_b = (o["id"] for o in many["options"])
    d1 = make_deal(
        api,
        custom_fields={
            text["field_code"]: "Alpha",
            num["field_code"]: 3,
            day["field_code"]: "2024-05-01",
            enum["field_code"]: hot,
            many["field_code"]: [opt_a, opt_b],
            money["field_code"]: {"value": 50, "currency": "EUR"},
        },
    )
    d2 = make_deal(
        api,
        custom_fields={
            text["field_code"]: "beta",
            num["field_code"]: 7.5,
            enum["field_code"]: cold,
            many["field_code"]: [opt_b],
        },
    )
    d3 = make_deal(api)

    def match(field, op, value=None, extra=None):
        f = make_filter(api, tree([cond(field_id(api, field["field_code"]), op, value, extra=extra)]))
        return ids_v2(api, "deals", f["id"])

    assert match(text, "=", "ALPHA") == [d1["id"]]
    assert match(text, "!=", "alpha") == [d2["id"], d3["id"]]
    assert match(text, "IS NULL") == [d3["id"]]
    assert match(num, ">", "3") == [d2["id"]] and match(num, "<=", 3) == [d1["id"]]
    assert match(money, ">=", 50) == [d1["id"]]
    assert match(day, "=", "2024-05-01") == [d1["id"]] and match(day, "<", "2024-05-01") == []
    assert match(day, ">=", "2024-05-01") == [d1["id"]]
    assert match(enum, "=", str(hot)) == [d1["id"]] and match(enum, "!=", hot) == [d2["id"], d3["id"]]
    assert match(many, "=", opt_a) == [d1["id"]] and match(many, "contains", opt_b) == [d1["id"], d2["id"]]
    assert match(many, "not_contains", opt_a) == [d2["id"], d3["id"]] and match(many, "IS NULL") == [d3["id"]]
    # by key as well as by id, and in v1
    f = make_filter(api, tree([cond(text["field_code"], "LIKE '$%'", "al")]))
    assert ids_v1(api, "deals", f["id"]) == [d1["id"]]


def test_relative_dates_follow_the_clock(api, monkeypatch):
    close = field_id(api, "expected_close_date")
    june = make_deal(api, expected_close_date="2026-06-10")
    july = make_deal(api, expected_close_date="2026-07-02")
    make_deal(api)
    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-06-15 12:00:00")
    this_month = make_filter(api, tree([cond(close, "=", None, extra="this_month")]))
    assert ids_v2(api, "deals", this_month["id"]) == [june["id"]]
    later = make_filter(api, tree([cond(close, ">", "this_month")]))
    assert ids_v2(api, "deals", later["id"]) == [july["id"]]
    before = make_filter(api, tree([cond(close, "=", None, extra="before_today")]))
    assert ids_v2(api, "deals", before["id"]) == [june["id"]]
    monkeypatch.setattr(dealbase.clock, "now", lambda: "2026-07-01 00:00:00")
    assert ids_v2(api, "deals", this_month["id"]) == [july["id"]]
    assert ids_v2(api, "deals", before["id"]) == [june["id"]]


def test_conditions_on_related_objects(api):
    org = make_org(api, name="Acme Ltd")
    other = make_org(api, name="Other")
    ann = make_person(api, name="Ann", org_id=org["id"])
    bob = make_person(api, name="Bob", org_id=other["id"])
    d1 = make_deal(api, person_id=ann["id"], org_id=org["id"])
    d2 = make_deal(api, person_id=bob["id"])
    make_deal(api)
    by_org = make_filter(api, tree([cond(field_id(api, "name", "organization"), "LIKE '$%'", "acme", "organization")]))
    assert ids_v2(api, "deals", by_org["id"]) == [d1["id"]]
    by_person = make_filter(api, tree([cond(field_id(api, "name", "person"), "=", "bob", "person")]))
    assert ids_v2(api, "deals", by_person["id"]) == [d2["id"]]
    people = make_filter(
        api, tree([cond(field_id(api, "name", "organization"), "=", "Other", "organization")]), "people"
    )
    assert ids_v2(api, "persons", people["id"]) == [bob["id"]]
    assert ids_v1(api, "persons", people["id"]) == [bob["id"]]
    orgs = make_filter(api, tree([cond(field_id(api, "value"), ">=", 0, obj="deal")]), "org")
    assert ids_v2(api, "organizations", orgs["id"]) == [org["id"]]


def test_filters_of_other_types_lists(api):
    make_person(api, name="Zed")
    product = data(api.post("/api/v2/products", json={"name": "Widget"}), 201)
    data(api.post("/api/v2/products", json={"name": "Gadget"}), 201)
    f = make_filter(api, tree([cond(field_id(api, "name", "product"), "LIKE '%$%'", "idg", "product")]), "products")
    assert ids_v2(api, "products", f["id"]) == [product["id"]]
    deal = make_deal(api)
    act = data(api.post("/api/v2/activities", json={"subject": "Call", "type": "call", "deal_id": deal["id"]}))
    data(api.post("/api/v2/activities", json={"subject": "Other", "type": "call"}))
    acts = make_filter(api, tree([cond(field_id(api, "value"), "IS NOT NULL", obj="deal")]), "activity")
    assert ids_v2(api, "activities", acts["id"]) == [act["id"]]
    assert ids_v1(api, "activities", acts["id"]) == [act["id"]]


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "conditions, words",
    [
        (tree([cond("999999", "=", "1")]), "unknown deal field_id 999999"),
        (tree([cond("title", ">", "x")]), "operator '>'"),
        (tree([cond("value", "LIKE '%$%'", "x")]), "operator"),
        (tree([cond("value", "=", "abc")]), "must be a number"),
        (tree([cond("expected_close_date", "=", "tomorrowish")]), "date"),
        (tree([cond("title", "=", "x", obj="product")]), "object 'product'"),
        (tree([cond("user_id", "belongs_to_team", "1")]), "not supported"),
        (tree([cond("title", "=", "x")] * 17), "at most 16"),
        ({"glue": "xor", "conditions": []}, "glue"),
        ({"glue": "or", "conditions": []}, "top-level"),
        ("not json", "JSON"),
    ],
)
def test_bad_conditions_are_400_naming_the_problem(api, conditions, words):
    message = error(api.post("/v1/filters", json={"name": "F", "type": "deals", "conditions": conditions}), 400)
    assert words in message
    assert data(api.get("/v1/filters")) == []


def test_bad_filter_bodies_and_ids(api, other_api):
    error(api.post("/v1/filters", json={"name": "F", "type": "nope", "conditions": tree()}), 400)
    error(api.post("/v1/filters", json={"type": "deals", "conditions": tree()}), 400)
    error(api.post("/v1/filters", json={"name": "F", "type": "deals"}), 400)
    f = make_filter(api, tree())
    error(api.put(f"/v1/filters/{f['id']}", json={"name": "No conditions"}), 400)
    error(api.put("/v1/filters/999999", json={"conditions": tree()}), 404)
    assert data(api.get(f"/v1/filters/{f['id']}"))["name"] == "F"
    # Another company's filter is not there, for reads, writes and lists.
    error(other_api.get(f"/v1/filters/{f['id']}"), 404)
    error(other_api.delete(f"/v1/filters/{f['id']}"), 404)
    error(other_api.get("/api/v2/deals", params={"filter_id": f["id"]}), 404)
    assert data(other_api.get("/v1/filters")) == []
    # Unknown, deleted and other-type filters are 404 on lists; a malformed id a 400.
    error(api.get("/api/v2/deals", params={"filter_id": 999999}), 404)
    error(api.get("/api/v2/persons", params={"filter_id": f["id"]}), 404)
    error(api.get("/v1/leads", params={"filter_id": f["id"]}), 404)
    error(api.get("/api/v2/deals", params={"filter_id": "x"}), 400)
    data(api.delete(f"/v1/filters/{f['id']}"))
    error(api.get("/api/v2/deals", params={"filter_id": f["id"]}), 404)


def test_an_empty_filter_lists_everything_live(api):
    a, b = make_deal(api), make_deal(api)
    f = make_filter(api, tree())
    assert ids_v2(api, "deals", f["id"]) == [a["id"], b["id"]]


def test_date_and_time_ranges(api):
    span = make_field(api, field_type="daterange")
    clock = make_field(api, field_type="timerange")
    a = make_deal(
        api,
        custom_fields={
            span["field_code"]: {"value": "2026-03-01", "until": "2026-03-10"},
            clock["field_code"]: {"value": "09:00", "until": "11:30"},
        },
    )
    b = make_deal(
        api,
        custom_fields={
            span["field_code"]: {"value": "2026-03-08", "until": "2026-04-01"},
            clock["field_code"]: {"value": "13:00", "until": "14:00"},
        },
    )
    c = make_deal(api)

    def match(field, op, value=None):
        f = make_filter(api, tree([cond(field_id(api, field["field_code"]), op, value)]))
        return ids_v2(api, "deals", f["id"])

    assert match(span, "includes", "2026-03-09") == [a["id"], b["id"]]
    assert match(span, "includes", "2026-03-20") == [b["id"]]
    assert match(span, "=", "2026-03-01") == [a["id"]] and match(span, "!=", "2026-03-01") == [b["id"], c["id"]]
    assert match(span, "ends_before", "2026-03-11") == [a["id"]] and match(span, "ends_e_after", "2026-03-10") == [
        a["id"],
        b["id"],
    ]
    assert match(span, "ends_at", "2026-04-01") == [b["id"]] and match(span, "does_not_end_at", "2026-04-01") == [
        a["id"],
        c["id"],
    ]
    assert match(span, "IS NULL") == [c["id"]]
    assert match(clock, "<", "10:00") == [a["id"]] and match(clock, ">=", "13:00") == [b["id"]]
    assert match(clock, "includes", "10:15") == [a["id"]] and match(clock, "ends_e_before", "11:30") == [a["id"]]
    error(
        api.post(
            "/v1/filters",
            json={
                "name": "F",
                "type": "deals",
                "conditions": tree([cond(field_id(api, clock["field_code"]), "<", "25:00")]),
            },
        ),
        400,
    )


def test_lead_filters_list_leads(api):
    title = field_id(api, "title", "lead")
    person = make_person(api)
    hot = data(api.post("/v1/leads", json={"title": "Hot lead", "person_id": person["id"]}), 201)
    data(api.post("/v1/leads", json={"title": "Cold lead", "person_id": person["id"]}), 201)
    f = make_filter(api, tree([cond(title, "LIKE '$%'", "hot", "lead")]), "leads")
    assert [lead["id"] for lead in data(api.get("/v1/leads", params={"filter_id": f["id"]}))] == [hot["id"]]
    error(api.get("/api/v2/deals", params={"filter_id": f["id"]}), 404)


def test_filter_writes_record_change_events(api, engine):
    from sqlalchemy import select

    from dealbase.store.tables import change_events

    f = make_filter(api, tree())
    data(api.put(f"/v1/filters/{f['id']}", json={"name": "Renamed", "conditions": tree()}))
    data(api.delete(f"/v1/filters/{f['id']}"))
    with engine.connect() as conn:
        rows = conn.execute(select(change_events.c.action).where(change_events.c.entity == "filter")).scalars().all()
    assert rows == ["create", "change", "delete"]
