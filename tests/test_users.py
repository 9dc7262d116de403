"""Users and currencies."""

from __future__ import annotations

from factories import data, error


def test_me_describes_the_caller_and_company(api):
    me = data(api.get("/v1/users/me"))
    assert me["id"] == 1 and me["name"] == "Ada Admin" and me["email"] == "ada@acme.test"
    assert me["is_you"] is True and me["company_name"] == "Acme" and me["company_domain"] == "acme"
    assert me["default_currency"] == "USD" and me["language"] == {"language_code": "en", "country_code": "US"}


def test_users_list_and_get(api, other_api):
    users = data(api.get("/v1/users"))
    assert [u["email"] for u in users] == ["ada@acme.test"]
    # Never changed: last modified when made (Pipedrive's users always have a ``modified``).
    assert users[0]["modified"] == users[0]["created"] and users[0]["modified"] is not None
    assert data(api.get("/v1/users/1"))["name"] == "Ada Admin"
    other_id = data(other_api.get("/v1/users/me"))["id"]
    assert error(api.get(f"/v1/users/{other_id}"), 404) == "User not found or not accessible."


def test_currencies(api):
    currencies = data(api.get("/v1/currencies"))
    by_code = {c["code"]: c for c in currencies}
    assert (
        by_code["EUR"]["name"] == "Euro" and by_code["EUR"]["symbol"] == "€" and by_code["EUR"]["decimal_points"] == 2
    )
    assert by_code["JPY"]["decimal_points"] == 0
    found = data(api.get("/v1/currencies", params={"term": "dollar"}))
    assert "USD" in {c["code"] for c in found} and "EUR" not in {c["code"] for c in found}
