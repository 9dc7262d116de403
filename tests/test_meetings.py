"""Meetings' user provider links (``/v1/meetings/userProviderLinks``): a video call
integration links the user who installed it, saves the link again, and removes it."""

from __future__ import annotations

from factories import make_user, refused
from support.rows import counts

from dealbase.store.repository import all_rows
from dealbase.store.tables import user_provider_links

LINK = "1e3943c9-6395-462b-b432-1f252c017f3d"
URL = "/v1/meetings/userProviderLinks"


def _body(company, **body) -> dict:
    return {
        "user_provider_id": LINK,
        "user_id": 1,
        "company_id": company.company_id,
        "marketplace_client_id": "57da5c3c55a82bb4",
        **body,
    }


def _links(engine, company) -> list[tuple]:
    with engine.connect() as conn:
        rows = all_rows(conn, user_provider_links, company.company_id, order_by=[user_provider_links.c.id])
    return [(r["user_provider_id"], r["user_id"], r["marketplace_client_id"]) for r in rows]


def test_a_link_is_saved_saved_again_and_removed(api, engine, company):
    saved = api.post(URL, json=_body(company, user_provider_id=LINK.upper()))
    assert saved.json() == {"success": True, "data": {"message": "The user was added successfully"}}
    assert _links(engine, company) == [(LINK, 1, "57da5c3c55a82bb4")]
    other = make_user(engine)
    assert api.post(URL, json=_body(company, user_id=str(other))).status_code == 200
    assert _links(engine, company) == [(LINK, other, "57da5c3c55a82bb4")]
    removed = api.delete(f"{URL}/{LINK}")
    assert removed.json() == {"success": True, "data": {"message": "The user data was successfully removed"}}
    assert _links(engine, company) == []
    refused(api.delete(f"{URL}/{LINK}"), "User provider link not found", 404)


def _refused_with_message(response, status: int, message: str) -> None:
    assert (response.status_code, response.json()) == (
        status,
        {
            "success": False,
            "error": message,
            "message": message,
            "error_info": "Please check developers.pipedrive.com",
            "data": None,
            "additional_data": None,
        },
    )


def test_bad_links_are_refused_and_nothing_is_written(api, other_api, engine, company):
    api.post(URL, json=_body(company))
    before = counts(engine, user_provider_links)
    missing = "Missing user id or company id"
    _refused_with_message(api.post(URL, json=_body(company, user_id=None)), 401, missing)
    _refused_with_message(api.post(URL, json=_body(company, company_id=None)), 401, missing)
    _refused_with_message(
        api.post(URL, json=_body(company, company_id=company.company_id + 1)), 403, "Incorrect parameter provided"
    )
    refused(api.post(URL, json=_body(company, user_provider_id="nope")), "user_provider_id must be a UUID")
    refused(api.post(URL, json=_body(company, user_provider_id=None)), "user_provider_id is required")
    refused(api.post(URL, json=_body(company, user_id=999999)), "User with id 999999 not found")
    refused(api.post(URL, json=_body(company, user_id="x")), "Validation failed: user_id: must be an integer")
    refused(
        api.post(URL, json=_body(company, marketplace_client_id=7)),
        "marketplace_client_id must be a non-empty string of at most 64 characters",
    )
    _refused_with_message(api.delete(f"{URL}/not-a-uuid"), 403, "Incorrect parameter provided")
    # another company's link is not found
    refused(other_api.delete(f"{URL}/{LINK}"), "User provider link not found", 404)
    assert counts(engine, user_provider_links) == before
