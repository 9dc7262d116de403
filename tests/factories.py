"""Factories: make things through the API, the way a client would."""

from __future__ import annotations

from itertools import count
from typing import Any

_n = count(1)


def _data(response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def make_pipeline(api, **fields) -> dict[str, Any]:
    return _data(api.post("/api/v2/pipelines", json={"name": f"Pipeline {next(_n)}", **fields}))


def make_stage(api, pipeline_id: int, **fields) -> dict[str, Any]:
    body = {"name": f"Stage {next(_n)}", "pipeline_id": pipeline_id, **fields}
    return _data(api.post("/api/v2/stages", json=body))


def make_org(api, **fields) -> dict[str, Any]:
    return _data(api.post("/api/v2/organizations", json={"name": f"Org {next(_n)}", **fields}))


def make_person(api, **fields) -> dict[str, Any]:
    return _data(api.post("/api/v2/persons", json={"name": f"Person {next(_n)}", **fields}))


def make_deal(api, **fields) -> dict[str, Any]:
    return _data(api.post("/api/v2/deals", json={"title": f"Deal {next(_n)}", **fields}))


def data(response, status: int = 200) -> Any:
    return _data(response, status)


def error(response, status: int) -> str:
    """Assert the whole Pipedrive error envelope and return its message."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert body["error_info"] == "Please check developers.pipedrive.com"
    return body["error"]


# The API gateway's own answers (a body shape of their own, with ``errorCode``).
UNAUTHORIZED = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": "Please check developers.pipedrive.com",
}
OVER_LIMIT = {
    "success": False,
    "error": "Request over limit",
    "errorCode": 429,
    "error_info": "Please check developers.pipedrive.com",
    "data": None,
    "additional_data": None,
}


def refused(response, message: str, status: int = 400, additional_data: dict | None = None) -> None:
    """Assert the whole error envelope, message included, to the letter."""
    assert (response.status_code, response.json()) == (
        status,
        {
            "success": False,
            "error": message,
            "error_info": "Please check developers.pipedrive.com",
            "data": None,
            "additional_data": additional_data,
        },
    )


def refused_in_order(api, urls, refusals: list[tuple[str, str, str, int]], **fixed) -> None:
    """Bad parameters read in the order ``refusals`` lists them, ``(name, value, message,
    status)``: a request with all of them is refused for the first, without that one for the
    next, and so on; ``fixed`` goes with every request."""
    given = {name: value for name, value, _, _ in refusals}
    for name, _, message, status in refusals:
        for url in urls:
            refused(api.get(url, params={**fixed, **given}), message, status)
        del given[name]


def make_product(api, **fields) -> dict[str, Any]:
    return data(api.post("/api/v2/products", json={"name": f"Product {next(_n)}", **fields}), 201)


def make_field(api, entity: str = "deal", field_type: str = "varchar", **fields) -> dict[str, Any]:
    """A custom field made through v2 (``entity``: deal, person, organization)."""
    body = {"field_name": f"Field {next(_n)}", "field_type": field_type, **fields}
    return _data(api.post(f"/api/v2/{entity}Fields", json=body))


def make_lead(api, **fields) -> dict[str, Any]:
    """A lead made through v1 (with a new person unless a person or organization is given)."""
    if "person_id" not in fields and "organization_id" not in fields:
        fields["person_id"] = make_person(api)["id"]
    return _data(api.post("/v1/leads", json={"title": f"Lead {next(_n)}", **fields}), 201)


def make_user(
    engine, company_id: int = 1, *, name: str | None = None, is_admin: bool = False, token: str | None = None
) -> int:
    """A user of the company, written directly (the API has no way to invite users);
    ``token``: an API token of theirs."""
    from dealbase.store import repository as repo
    from dealbase.store.tables import api_tokens, users

    n = next(_n)
    values = {
        "name": name or f"User {n}",
        "email": f"user{n}@acme.test",
        "is_admin": is_admin,
        "created": "2026-01-01 00:00:00",
    }
    with engine.begin() as conn:
        user_id = repo.insert_row(conn, users, company_id, values)
        if token is not None:
            stamp = values["created"]
            conn.execute(
                api_tokens.insert().values(token=token, user_id=user_id, company_id=company_id, add_time=stamp)
            )
        return user_id
