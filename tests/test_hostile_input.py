"""Hostile input (issue 10): a null for a column that cannot hold one, an id past 32 bits, a
NUL character. Each is a 4xx in Pipedrive's envelope, alike on SQLite and PostgreSQL (where
each once failed the write or the query with a 500), and writes nothing."""

from __future__ import annotations

import pytest
from factories import data, error, make_deal, make_person, make_pipeline, make_stage
from support.rows import counts

BIG = 2**31  # one past PostgreSQL's integer


def refused(response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {
        "success": False,
        "error": message,
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


# -- a null for a column that cannot hold one ------------------------------------------------


def test_a_null_pipeline_probability_switch_is_a_400_in_both_versions(api, engine):
    pipeline = make_pipeline(api)
    before, url = counts(engine), f"/api/v2/pipelines/{pipeline['id']}"
    message = "Validation failed: is_deal_probability_enabled: must not be null"
    refused(api.patch(url, json={"is_deal_probability_enabled": None}), 400, message)
    refused(api.post("/api/v2/pipelines", json={"name": "P", "is_deal_probability_enabled": None}), 400, message)
    # v1 turns "" into null for non-text fields, as Pipedrive's v1 does: the same refusal
    for value in (None, ""):
        response = api.put(f"/v1/pipelines/{pipeline['id']}", json={"deal_probability": value})
        refused(response, 400, "Validation failed: deal_probability: must not be null")
    assert counts(engine) == before
    assert data(api.get(url)) == pipeline


def _stage(api):
    return make_stage(api, make_pipeline(api)["id"])


# (how to make the row, url of the row, method, body, message); every declared field whose
# column is NOT NULL and which no entity rule fills in on null
NULLS = [
    (_stage, "/api/v2/stages/{id}", "PATCH", {"order_nr": None}, "order_nr: must not be null"),
    (_stage, "/api/v2/stages/{id}", "PATCH", {"deal_probability": None}, "deal_probability: must not be null"),
    (_stage, "/api/v2/stages/{id}", "PATCH", {"is_deal_rot_enabled": None}, "is_deal_rot_enabled: must not be null"),
    (_stage, "/v1/stages/{id}", "PUT", {"rotten_flag": ""}, "rotten_flag: must not be null"),
    (_stage, "/v1/stages/{id}", "PUT", {"order_nr": None}, "order_nr: must not be null"),
    (
        lambda api: data(api.post("/v1/notes", json={"content": "c", "deal_id": make_deal(api)["id"]})),
        "/v1/notes/{id}",
        "PUT",
        {"pinned_to_deal_flag": None},
        "pinned_to_deal_flag: must not be null",
    ),
    (
        lambda api: data(api.post("/v1/notes", json={"content": "c", "deal_id": make_deal(api)["id"]})),
        "/v1/notes/{id}",
        "PUT",
        {"add_time": ""},
        "add_time: must not be null",
    ),
    (
        lambda api: data(api.post("/v1/activityTypes", json={"name": "Demo", "icon_key": "call"})),
        "/v1/activityTypes/{id}",
        "PUT",
        {"order_nr": None},
        "order_nr: must not be null",
    ),
]


@pytest.mark.parametrize("make,url,method,body,message", NULLS, ids=[f"{c[2]} {c[1]} {c[3]}" for c in NULLS])
def test_a_null_for_a_not_null_column_is_a_400_and_changes_nothing(api, engine, make, url, method, body, message):
    row = make(api)
    url = url.format(id=row["id"])
    before_read = api.get(url).json()
    before = counts(engine)
    refused(api.request(method, url, json=body), 400, f"Validation failed: {message}")
    assert counts(engine) == before
    assert api.get(url).json() == before_read


def test_a_null_on_create_is_a_400_and_makes_nothing(api, engine):
    person = make_person(api)
    before = counts(engine)
    for key in ("is_archived", "was_seen"):
        response = api.post("/v1/leads", json={"title": "L", "person_id": person["id"], key: None})
        refused(response, 400, f"Validation failed: {key}: must not be null")
    deal = make_deal(api)
    before = counts(engine)
    response = api.post("/v1/notes", json={"content": "c", "deal_id": deal["id"], "pinned_to_deal_flag": ""})
    refused(response, 400, "Validation failed: pinned_to_deal_flag: must not be null")
    assert counts(engine) == before


def test_a_null_an_entity_rule_fills_in_is_still_taken(api):
    """Nulls that mean "the default" to an entity stay accepted: a deal's is_archived."""
    deal = make_deal(api)
    assert data(api.patch(f"/api/v2/deals/{deal['id']}", json={"is_archived": None}))["is_archived"] is False


# -- ids past 32 bits ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method,url,message",
    [
        ("GET", f"/api/v2/deals/{BIG}", "Deal not found"),
        ("PATCH", f"/api/v2/deals/{BIG}", "Deal not found"),
        ("DELETE", f"/api/v2/deals/{BIG}", "Deal not found"),
        ("GET", f"/v1/deals/{BIG}", "Deal not found"),
        ("PUT", f"/v1/deals/{BIG}", "Deal not found"),
        ("DELETE", f"/v1/deals/{BIG}", "Deal not found"),
        ("DELETE", f"/v1/deals?ids=1,{BIG}", "Deal not found"),
        ("GET", f"/v1/persons/{BIG}/deals", "Person not found"),
        ("GET", f"/api/v2/deals/{BIG}/products", "Deal not found"),
        ("GET", f"/api/v2/pipelines/{BIG}", "Pipeline not found"),
        ("GET", f"/api/v2/deals?filter_id={BIG}", "Filter not found"),
        ("GET", f"/v1/deals?filter_id={BIG}", "Filter not found"),
    ],
)
def test_a_path_id_past_32_bits_is_an_unknown_id(api, engine, method, url, message):
    make_deal(api)
    small = url.replace(str(BIG), "999999")
    before = counts(engine)
    answer = api.request(method, small).json()  # what any id no row has gets
    refused(api.request(method, url, json={"title": "x"} if method in ("PATCH", "PUT") else None), 404, message)
    assert answer["error"] == message
    assert counts(engine) == before


@pytest.mark.parametrize(
    "url,params,empty",
    [
        ("/api/v2/deals", {"person_id": BIG}, []),
        ("/api/v2/deals", {"ids": f"{BIG}"}, []),
        ("/api/v2/deals", {"stage_id": BIG}, []),
        ("/api/v2/activities", {"deal_id": BIG}, []),
        ("/api/v2/persons", {"org_id": BIG}, []),
        ("/v1/deals", {"user_id": BIG}, None),
        ("/v1/notes", {"deal_id": BIG}, None),
        ("/v1/stages", {"pipeline_id": BIG}, None),
    ],
)
def test_a_list_filter_past_32_bits_matches_nothing(api, url, params, empty):
    deal = make_deal(api)
    data(api.post("/api/v2/activities", json={"subject": "Call", "deal_id": deal["id"]}))
    assert data(api.get(url, params=params)) == empty


def test_a_body_reference_past_32_bits_is_not_found_and_writes_nothing(api, engine):
    deal = make_deal(api)
    before = counts(engine)
    for version in ("/api/v2/deals", "/v1/deals"):
        response = api.post(version, json={"title": "x", "person_id": BIG})
        refused(response, 400, f"Validation failed: person_id: Person with id {BIG} not found")
    response = api.post(f"/v1/deals/{deal['id']}/followers", json={"user_id": BIG})
    refused(response, 400, f"Validation failed: user_id: User with id {BIG} not found")
    response = api.put(f"/v1/deals/{deal['id']}/merge", json={"merge_with_id": BIG})
    refused(response, 400, f"Validation failed: merge_with_id: Deal with id {BIG} not found")
    assert counts(engine) == before


def test_a_plain_integer_past_32_bits_is_a_400(api, engine):
    before = counts(engine)
    response = api.post("/api/v2/activities", json={"subject": "Call", "priority": BIG})
    refused(response, 400, "Validation failed: priority: must be an integer from -2147483648 to 2147483647")
    assert counts(engine) == before


def test_a_uuid_path_id_still_answers_404(api):
    deal = make_deal(api)
    url = f"/api/v2/deals/{deal['id']}/discounts/{BIG}"
    refused(api.delete(url), 404, "Discount not found")


# -- NUL characters --------------------------------------------------------------------------

NUL_BODIES = [
    ("POST", "/api/v2/deals", {"title": "a\x00b"}, "title"),
    ("POST", "/v1/persons", {"name": "a\x00b"}, "name"),
    ("POST", "/api/v2/persons", {"name": "P", "emails": [{"value": "a\x00@b.test", "primary": True}]}, "emails[0].value"),
    ("POST", "/v1/persons", {"name": "P", "phone": ["1", "2\x00"]}, "phone[1]"),
    ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"abc": "a\x00"}}, "custom_fields.abc"),
    ("POST", "/v1/notes", {"content": "<p>a\x00</p>"}, "content"),
    ("POST", "/api/v2/deals", {"title": "x", "a\x00b": 1}, "a\\u0000b"),
]


@pytest.mark.parametrize("method,url,body,where", NUL_BODIES, ids=[f"{c[1]} {c[3]}" for c in NUL_BODIES])
def test_a_nul_in_a_body_is_a_400_naming_where_and_writes_nothing(api, engine, method, url, body, where):
    make_deal(api)
    before = counts(engine)
    refused(api.request(method, url, json=body), 400, f"Validation failed: {where}: must not contain NUL characters")
    assert counts(engine) == before


def test_a_nul_in_an_update_or_a_form_changes_nothing(api, engine):
    deal = make_deal(api, title="Stable")
    before = counts(engine)
    response = api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "a\x00b"})
    refused(response, 400, "Validation failed: title: must not contain NUL characters")
    response = api.put(f"/v1/deals/{deal['id']}", data={"title": "a\x00b"})
    refused(response, 400, "Validation failed: title: must not contain NUL characters")
    assert counts(engine) == before
    assert data(api.get(f"/api/v2/deals/{deal['id']}")) == deal


@pytest.mark.parametrize(
    "url,params,name",
    [
        ("/v1/itemSearch", {"term": "a\x00b"}, "term"),
        ("/api/v2/deals/search", {"term": "ab\x00c"}, "term"),
        ("/v1/persons/search", {"term": "ab\x00cd"}, "term"),
        ("/v1/deals", {"status": "open\x00"}, "status"),
        ("/api/v2/deals", {"sort_by": "id\x00"}, "sort_by"),
    ],
)
def test_a_nul_in_a_query_parameter_is_a_400_naming_it(api, url, params, name):
    refused(api.get(url, params=params), 400, f"Invalid '{name}' parameter: must not contain NUL characters")


def test_a_nul_in_a_path_parameter_is_a_400(api):
    refused(api.get("/v1/goals/a%00b/results"), 400, "Invalid 'id' parameter: must not contain NUL characters")



@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
def test_a_time_an_offset_carries_out_of_range_is_a_400(api, engine, moment):
    before = counts(engine)
    got = api.post("/api/v2/deals", json={"title": "Far", "status": "won", "won_time": moment})
    assert "must be a date-time" in error(got, 400)
    assert counts(engine) == before
