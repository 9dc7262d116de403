"""Bad input gets a clear 4xx in the Pipedrive envelope, and writes nothing."""

from __future__ import annotations

import pytest
from factories import error, make_deal
from support.rows import counts

from dealbase.store.tables import change_events, deals, organizations, persons

INJECTION = "id; DROP TABLE deals; --"

# (method, url, kwargs, status, words the message must contain)
CASES = [
    ("POST", "/api/v2/deals", {"json": {}}, 400, "title"),
    ("POST", "/api/v2/deals", {"json": {"title": ""}}, 400, "title"),
    ("POST", "/v1/deals", {"json": {"value": 5}}, 400, "title"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "value": "100"}}, 400, "value"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "visible_to": "3"}}, 400, "visible_to"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "visible_to": 4}}, 400, "visible_to"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "is_archived": 1}}, 400, "is_archived"),
    ("POST", "/api/v2/deals", {"json": {"title": 42}}, 400, "title"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "stage_id": 999999}}, 400, "stage_id"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "person_id": 999999}}, 400, "person_id"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "org_id": -1}}, 400, "org_id"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "status": "maybe"}}, 400, "status"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "currency": "XXY"}}, 400, "currency"),
    (
        "POST",
        "/api/v2/deals",
        {"json": {"title": "x", "expected_close_date": "2024-13-45"}},
        400,
        "expected_close_date",
    ),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "probability": 101}}, 400, "probability"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "label_ids": ["a"]}}, 400, "label_ids"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "custom_fields": {"abc": 1}}}, 400, "custom_fields"),
    ("POST", "/api/v2/deals", {"json": {"title": "x" * 256}}, 400, "title"),
    ("POST", "/api/v2/deals", {"json": {"title": "x", "value": 1e300}}, 400, "value"),
    ("POST", "/api/v2/deals", {"json": ["title"]}, 400, "object"),
    (
        "POST",
        "/api/v2/deals",
        {"content": b'{"title": "x",', "headers": {"content-type": "application/json"}},
        400,
        "JSON",
    ),
    (
        "POST",
        "/api/v2/deals",
        {"content": b"title=x", "headers": {"content-type": "application/x-www-form-urlencoded"}},
        400,
        "content type",
    ),
    ("POST", "/api/v2/persons", {"json": {"name": "x", "emails": "a@b.test"}}, 400, "emails"),
    ("POST", "/api/v2/persons", {"json": {"name": "x", "emails": [{"value": "a", "primary": "yes"}]}}, 400, "primary"),
    ("POST", "/api/v2/organizations", {"json": {"name": "x", "address": "Main St"}}, 400, "address"),
    ("POST", "/api/v2/stages", {"json": {"name": "x", "pipeline_id": "1"}}, 400, "pipeline_id"),
    ("PATCH", "/api/v2/deals/999999", {"json": {"title": "x"}}, 404, "Deal not found"),
    ("GET", "/api/v2/deals/999999", {}, 404, "Deal not found"),
    ("GET", "/api/v2/deals/abc", {}, 400, "id"),
    ("GET", "/v1/deals/abc", {}, 400, "id"),
    ("DELETE", "/api/v2/persons/999999", {}, 404, "Person not found"),
    ("GET", "/api/v2/deals", {"params": {"limit": 10000}}, 400, "limit"),
    ("GET", "/api/v2/deals", {"params": {"limit": "ten"}}, 400, "limit"),
    ("GET", "/api/v2/deals", {"params": {"sort_by": INJECTION}}, 400, "sort_by"),
    ("GET", "/api/v2/deals", {"params": {"sort_direction": "sideways"}}, 400, "sort_direction"),
    ("GET", "/api/v2/deals", {"params": {"ids": INJECTION}}, 400, "ids"),
    ("GET", "/api/v2/deals", {"params": {"ids": ",".join(str(i) for i in range(1, 102))}}, 400, "ids"),
    ("GET", "/api/v2/deals", {"params": {"status": "open' OR 1=1 --"}}, 400, "status"),
    ("GET", "/api/v2/deals", {"params": {"owner_id": "1 OR 1=1"}}, 400, "owner_id"),
    ("GET", "/api/v2/deals", {"params": {"updated_since": "yesterday"}}, 400, "updated_since"),
    ("GET", "/api/v2/deals", {"params": {"filter_id": 7}}, 404, "Filter"),
    ("GET", "/v1/deals", {"params": {"sort": INJECTION}}, 400, "sort"),
    ("GET", "/v1/deals", {"params": {"sort": "title SIDEWAYS"}}, 400, "sort"),
    ("GET", "/v1/deals", {"params": {"start": -1}}, 400, "start"),
    ("GET", "/v1/deals", {"params": {"status": "everything"}}, 400, "status"),
    ("DELETE", "/v1/deals", {"params": {"ids": INJECTION}}, 400, "ids"),
    ("DELETE", "/v1/deals", {}, 400, "ids"),
    ("GET", "/v1/persons", {"params": {"first_char": "ab"}}, 400, "first_char"),
]


@pytest.mark.parametrize("method,url,kwargs,status,words", CASES, ids=[f"{c[0]} {c[1]} {c[2]}"[:90] for c in CASES])
def test_bad_input_is_a_clear_4xx_and_writes_nothing(api, engine, method, url, kwargs, status, words):
    make_deal(api)
    before = counts(engine, deals, persons, organizations, change_events)
    message = error(api.request(method, url, **kwargs), status)
    assert words.lower() in message.lower(), message
    assert counts(engine, deals, persons, organizations, change_events) == before


def test_a_rejected_update_changes_nothing(api):
    deal = make_deal(api, title="Stable", value=10)
    error(api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Changed", "value": "oops"}), 400)
    got = api.get(f"/api/v2/deals/{deal['id']}").json()["data"]
    assert got["title"] == "Stable" and got["value"] == 10 and got["update_time"] == deal["update_time"]


def test_oversized_body_is_413(api):
    big = b'{"title": "' + b"x" * 2_000_000 + b'"}'
    error(api.post("/api/v2/deals", content=big, headers={"content-type": "application/json"}), 413)
