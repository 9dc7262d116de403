"""How an id may be written, in paths, queries and bodies of v1 and v2.

One rule (``domain/ids.py: INTEGER``): ASCII digits, leading zeros allowed. ``01`` is 1, as
JavaScript's ``Number`` and the JSON-schema validators that coerce a path parameter to an
``integer`` read it (Pipedrive's v1 is a Node.js service, v2 validates against its OpenAPI
schema); ``%31`` is 1, since percent-encoding of an unreserved character is decoded before
routing (RFC 3986 §2.3, §6.2.2.2). Digits of other scripts (``１`` U+FF11, ``١`` U+0661,
``²``) are not numbers there: such an id is malformed and answers what ``abc`` answers.
"""

from __future__ import annotations

from urllib.parse import quote

from factories import data, make_deal, make_lead

# Full-width one, Arabic-Indic one, superscript two, a one with a newline after it.
ODD = ("\uff11", "\u0661", "\u00b2", "1\n")


def envelope(message: str) -> dict:
    return {
        "success": False,
        "error": message,
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


def answer(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()


def test_leading_zeros_and_percent_encoded_digits_name_the_same_item(api):
    deal = make_deal(api)
    assert deal["id"] == 1
    for base in ("/v1/deals", "/api/v2/deals"):
        plain = data(api.get(f"{base}/1"))
        for spelling in ("01", "001", "%31", "0%31"):
            assert data(api.get(f"{base}/{spelling}")) == plain
    assert data(api.get("/v1/deals/01/flow")) == data(api.get("/v1/deals/1/flow"))


def test_other_digits_in_a_path_id_are_a_malformed_id(api):
    make_deal(api)
    malformed = envelope("Invalid 'id' parameter: must be a positive integer")
    for base in ("/v1/deals/", "/api/v2/deals/", "/v1/users/"):
        assert answer(api.get(base + "abc"), 400) == malformed
        for spelling in ODD:
            assert answer(api.get(base + quote(spelling)), 400) == malformed, spelling
    assert answer(api.get("/v1/deals/%EF%BC%91/flow"), 400) == malformed
    assert answer(api.patch("/api/v2/deals/%EF%BC%91", json={"title": "No"}), 400) == malformed
    assert data(api.get("/api/v2/deals/1"))["title"] != "No"


def test_other_digits_in_query_ids_are_rejected(api):
    deal = make_deal(api)
    note = data(api.post("/v1/notes", json={"content": "n", "deal_id": deal["id"]}))
    listed = data(api.get("/v1/notes", params={"deal_id": "01"}))
    assert [n["id"] for n in listed] == [note["id"]]
    assert [d["id"] for d in data(api.get("/api/v2/deals", params={"ids": "01"}))] == [deal["id"]]
    for spelling in ODD[:3]:
        assert answer(api.get("/v1/notes", params={"deal_id": spelling}), 400) == envelope(
            "Invalid 'deal_id' parameter: must be an integer"
        )
        assert answer(api.get("/api/v2/activities", params={"deal_id": spelling}), 400) == envelope(
            "Invalid 'deal_id' parameter: must be an integer"
        )
        assert answer(api.get("/api/v2/deals", params={"ids": f"1,{spelling}"}), 400) == envelope(
            "Invalid 'ids' parameter: must be a comma-separated list of positive integers"
        )
        assert answer(api.get("/v1/deals", params={"start": spelling}), 400) == envelope(
            "Invalid 'start' parameter: must be an integer"
        )


def test_other_digits_in_body_ids_are_rejected_and_nothing_is_written(api):
    deal = make_deal(api)
    assert data(api.post("/v1/notes", json={"content": "zero", "deal_id": "01"}))["deal_id"] == deal["id"]
    for spelling in ODD[:3]:
        for sent in ({"json": {"content": "x", "deal_id": spelling}}, {"data": {"content": "x", "deal_id": spelling}}):
            assert answer(api.post("/v1/notes", **sent), 400) == envelope("Validation failed: deal_id: must be an integer")
    assert [n["content"] for n in data(api.get("/v1/notes"))] == ["zero"]
    # The same rule for numbers and times written as text in v1 bodies.
    assert answer(api.post("/v1/deals", json={"title": "x", "value": "\uff11\uff10\uff10"}), 400) == envelope(
        "Validation failed: value: must be a finite number"
    )
    assert answer(api.post("/v1/activities", json={"subject": "x", "due_time": "\uff11\uff10:00"}), 400) == envelope(
        "Validation failed: due_time: must be a time as HH:MM"
    )


def test_webhook_ids_in_other_digits_are_not_found_not_a_server_error(api):
    hook = {"subscription_url": "https://example.com/h", "event_action": "*", "event_object": "*", "name": "H"}
    assert answer(api.post("/v1/webhooks", json={**hook, "user_id": "\u00b2"}), 400) == {
        "success": False,
        "status": "error",
        "errors": {"user_id": ["user not found"]},
    }
    assert answer(api.delete("/v1/webhooks/%C2%B2"), 404) == {
        "success": False,
        "status": "error",
        "errors": {"id": ["not found"]},
    }


def test_a_recents_timestamp_in_other_digits_is_rejected(api):
    response = api.get("/v1/recents", params={"since_timestamp": "\uff12\uff10\uff12\uff14-01-01 00:00:00"})
    assert answer(response, 400) == envelope(
        "Invalid 'since_timestamp' parameter: must be a UTC time as YYYY-MM-DD HH:MM:SS"
    )


def test_uuid_ids_are_taken_in_either_case_and_no_other_spelling(api):
    lead = make_lead(api)
    assert data(api.get(f"/v1/leads/{lead['id'].upper()}")) == data(api.get(f"/v1/leads/{lead['id']}"))
    full_width = "\uff10" + lead["id"][1:]  # a full-width zero in place of the first digit
    for spelling in (lead["id"].replace("-", ""), "{" + lead["id"] + "}", "urn:uuid:" + lead["id"], full_width):
        assert answer(api.get(f"/v1/leads/{quote(spelling)}"), 404) == envelope("Lead not found"), spelling
    assert answer(api.get(f"/api/v2/leads/{lead['id']}/convert/status/{quote(full_width)}"), 400) == envelope(
        "Invalid 'conversion_id' parameter: must be a UUID"
    )
