"""Users an admin adds and deactivates (``POST /v1/users``, ``PUT /v1/users/{id}``), finding
users, the caller's settings and connections, and each user's own API token (the CLI's
``dealbase user create`` / ``dealbase user token``).

As Pipedrive: only admins add or change users (403 in the error envelope otherwise); a
deactivated user's API token and OAuth access tokens answer 401 on their very next request,
on any server process sharing the database; their items stay theirs.
"""

from __future__ import annotations

import signal

import pytest
from conftest import TOKEN, Api
from factories import UNAUTHORIZED, data, make_deal, make_user, refused
from test_oauth import CALLBACK, bearer, tokens_for
from test_recents import recents, unchecked
from typer.testing import CliRunner

from dealbase.cli import app as cli
from dealbase.domain.oauth import register_app
from dealbase.domain.permissions import ADMIN_SET, REGULAR_SET
from dealbase.store import users as users_store

try:
    from tests.support import serve
except ImportError:  # pytest put tests/ itself on sys.path
    from support import serve

NOT_ALLOWED = "You do not have permissions to do this."
REGULAR_ACCESS = [
    {"app": "sales", "admin": False, "permission_set_id": REGULAR_SET["sales"].id},
    {"app": "global", "admin": False, "permission_set_id": REGULAR_SET["global"].id},
]
ADMIN_ACCESS = [{"app": app, "admin": True, "permission_set_id": s.id} for app, s in ADMIN_SET.items()]
NON_ADMIN_TOKEN = "ab" * 20
ALL_USERS = "/v1/users"


def token_of(engine, company, user_id: int) -> str:
    with engine.connect() as conn:
        token = users_store.api_token(conn, company.company_id, user_id)
    assert token is not None and len(token) == 40
    return token


def add_user(api, **body) -> dict:
    return data(api.post(ALL_USERS, json={"email": "bo@acme.test", **body}))


def emails(api) -> list[str]:
    return [u["email"] for u in data(api.get(ALL_USERS))]


def test_an_admin_adds_a_user_who_has_a_token_of_their_own(api, client, engine, company):
    bo = add_user(api, name="Bo Builder")
    assert bo["email"] == "bo@acme.test" and bo["name"] == "Bo Builder" and bo["id"] > 1
    assert bo["active_flag"] is True and bo["is_deleted"] is False and bo["is_you"] is False
    assert bo["access"] == REGULAR_ACCESS
    # in no role: the company's default role
    assert bo["has_created_company"] is False and bo["role_id"] == 1
    assert emails(api) == ["ada@acme.test", "bo@acme.test"]
    assert data(api.get(f"/v1/users/{bo['id']}")) == bo

    as_bo = Api(client, token_of(engine, company, bo["id"]))
    me = data(as_bo.get("/v1/users/me"))
    assert me["id"] == bo["id"] and me["is_you"] is True and me["company_name"] == "Acme"
    deal = make_deal(as_bo)
    assert deal["owner_id"] == bo["id"] and deal["creator_user_id"] == bo["id"]


def test_without_a_name_the_user_is_named_by_address(api):
    # the spec's addUserRequest has no name: an invited user is shown by their address
    assert add_user(api, email="cy@acme.test")["name"] == "cy@acme.test"


def test_access_decides_admin_rights(api, client, engine, company):
    access = [{"app": "global", "admin": True}, {"app": "sales", "permission_set_id": REGULAR_SET["sales"].id}]
    dee = add_user(api, email="dee@acme.test", access=access)
    # an admin of global or sales is an admin of the company: every app's admin set
    assert dee["access"] == ADMIN_ACCESS
    # an admin, but not the one who made the company
    assert dee["has_created_company"] is False
    assert [u["has_created_company"] for u in data(api.get(ALL_USERS))] == [True, False]
    # an admin may add users in turn
    as_dee = Api(client, token_of(engine, company, dee["id"]))
    assert add_user(as_dee, email="eve@acme.test")["email"] == "eve@acme.test"
    assert add_user(api, email="inactive@acme.test", active_flag=False)["active_flag"] is False


def test_access_gives_permission_sets_and_the_role_shown_is_the_users_role(api, client, engine, company):
    access = [{"app": "sales"}, {"app": "account_settings"}, {"app": "projects", "admin": True}]
    fay = add_user(api, email="fay@acme.test", access=access)
    # not an admin: the apps' regular sets, and the one set of each app without one
    assert sorted(fay["access"], key=lambda a: a["app"]) == [
        {"app": "account_settings", "admin": True, "permission_set_id": ADMIN_SET["account_settings"].id},
        {"app": "global", "admin": False, "permission_set_id": REGULAR_SET["global"].id},
        {"app": "projects", "admin": True, "permission_set_id": ADMIN_SET["projects"].id},
        {"app": "sales", "admin": False, "permission_set_id": REGULAR_SET["sales"].id},
    ]
    holders = data(api.get(f"/v1/permissionSets/{ADMIN_SET['account_settings'].id}/assignments"))
    assert [h["user_id"] for h in holders] == [1, fay["id"]]
    # the account settings set lets her set up roles, though she is no admin
    as_fay = Api(client, token_of(engine, company, fay["id"]))
    refused(as_fay.post(ALL_USERS, json={"email": "x@acme.test"}), NOT_ALLOWED, 403)
    role = data(as_fay.post("/v1/roles", json={"name": "Closers"}))["id"]
    data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": fay["id"]}))
    assert data(api.get(f"/v1/users/{fay['id']}"))["role_id"] == role
    assert [u["role_id"] for u in data(api.get(ALL_USERS))] == [1, role]
    data(api.delete(f"/v1/roles/{role}"))
    assert data(api.get(f"/v1/users/{fay['id']}"))["role_id"] == 1  # the default role again


def test_a_non_admin_may_neither_add_nor_change_users(api, client, engine):
    bo_id = make_user(engine, token=NON_ADMIN_TOKEN)
    as_bo = Api(client, NON_ADMIN_TOKEN)
    before = data(api.get(ALL_USERS))
    refused(as_bo.post(ALL_USERS, json={"email": "x@acme.test"}), NOT_ALLOWED, 403)
    refused(as_bo.put("/v1/users/1", json={"active_flag": False}), NOT_ALLOWED, 403)
    refused(as_bo.put(f"/v1/users/{bo_id}", json={"active_flag": False}), NOT_ALLOWED, 403)
    assert data(api.get(ALL_USERS)) == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Validation failed: email: is required"),
        ({"email": 7}, "Validation failed: email: is required"),
        ({"email": "not an address"}, "Validation failed: email: must be an e-mail address"),
        ({"email": "ADA@acme.test"}, "A user with the e-mail address ADA@acme.test already exists"),
        ({"email": "x@acme.test", "access": "sales"}, "Validation failed: access: must be a non-empty array"),
        ({"email": "x@acme.test", "access": []}, "Validation failed: access: must be a non-empty array"),
        ({"email": "x@acme.test", "access": ["sales"]}, "Validation failed: access[0]: must be an object"),
        (
            {"email": "x@acme.test", "access": [{"app": "crm"}]},
            "Validation failed: access[0].app: must be one of sales, projects, campaigns, global, account_settings",
        ),
        (
            # in the spec's list of apps, but no permission set is of it
            {"email": "x@acme.test", "access": [{"app": "partnership"}]},
            "Validation failed: access[0].app: must be one of sales, projects, campaigns, global, account_settings",
        ),
        (
            {"email": "x@acme.test", "access": [{"app": "sales", "permission_set_id": "set-1"}]},
            "Validation failed: access[0].permission_set_id: no permission set set-1 in sales",
        ),
        (
            {"email": "x@acme.test", "access": [{"app": "global", "permission_set_id": ADMIN_SET["sales"].id}]},
            f"Validation failed: access[0].permission_set_id: no permission set {ADMIN_SET['sales'].id} in global",
        ),
        (
            {"email": "x@acme.test", "access": [{"app": "sales"}, {"app": "sales", "admin": True}]},
            "Validation failed: access[1].app: sales is given twice",
        ),
        (
            {"email": "x@acme.test", "access": [{"app": "sales", "admin": "yes"}]},
            "Validation failed: access[0].admin: must be a boolean",
        ),
        (
            {"email": "x@acme.test", "access": [{"app": "sales", "permission_set_id": 5}]},
            "Validation failed: access[0].permission_set_id: must be a string",
        ),
        ({"email": "x@acme.test", "active_flag": "maybe"}, "Validation failed: active_flag: must be a boolean"),
    ],
)
def test_bad_users_are_refused_and_nothing_is_added(api, body, message):
    before = data(api.get(ALL_USERS))
    refused(api.post(ALL_USERS, json=body), message)
    assert data(api.get(ALL_USERS)) == before


def test_a_body_that_is_no_object_is_refused(api):
    refused(api.post(ALL_USERS, json=[{"email": "x@acme.test"}]), "The request body must be a JSON object")
    assert emails(api) == ["ada@acme.test"]


def test_a_deactivated_user_is_refused_at_once_and_keeps_their_deals(api, client, engine, company):
    bo = add_user(api)
    as_bo = Api(client, token_of(engine, company, bo["id"]))
    deal = make_deal(as_bo)  # the token is now remembered by the server
    changed = data(api.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    assert changed["active_flag"] is False and changed["is_deleted"] is True and changed["id"] == bo["id"]
    response = as_bo.get("/v1/users/me")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    # their deal stays, theirs
    kept = data(api.get(f"/api/v2/deals/{deal['id']}"))
    assert kept["owner_id"] == bo["id"] and kept["title"] == deal["title"]
    assert data(api.get(f"/v1/users/{bo['id']}"))["active_flag"] is False
    # active again: the same token works again
    assert data(api.put(f"/v1/users/{bo['id']}", json={"active_flag": "1"}))["active_flag"] is True
    assert data(as_bo.get("/v1/users/me"))["id"] == bo["id"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/deals/{deal}",  # the users version read with the row (and the fields version)
        "/api/v2/deals?limit=5",  # read with the fields version
        "/v1/users/me",  # read on its own at the end: the request reads no counter
        "/api/v2/deals/999999",  # a 404 is not answered for a stale caller either
    ],
)
def test_a_remembered_token_answers_a_read_only_while_its_users_version_holds(api, client, engine, company, path):
    """A read for a remembered API token runs unchecked and is checked at its end against
    the users version it read (api/auth.py): a change to another user runs it again and it
    answers as before; a deactivation makes it a 401, whatever it would have answered."""
    bo = add_user(api)
    as_bo = Api(client, token_of(engine, company, bo["id"]))
    deal = make_deal(as_bo)
    path = path.format(deal=deal["id"])
    expected = as_bo.get(path)  # the token is now remembered by the server
    assert expected.status_code in (200, 404)
    data(api.post(ALL_USERS, json={"email": "cy@acme.test"}))  # the company's users version moves
    again = as_bo.get(path)
    assert (again.status_code, again.json()) == (expected.status_code, expected.json())
    data(api.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    response = as_bo.get(path)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_deactivation_ends_the_users_oauth_access_at_once(api, client, engine, company):
    bo = add_user(api, access=[{"app": "sales", "admin": True}])
    with engine.connect().execution_options(dealbase_write=True) as conn:
        client_id, secret = register_app(conn, company.company_id, "Bo's app", [CALLBACK], ["deals:full"])
        conn.commit()
    app = {"client_id": client_id, "client_secret": secret}
    tokens = tokens_for(client, app, token=token_of(engine, company, bo["id"]))
    as_app = bearer(client, tokens["access_token"])
    assert data(as_app.get("/api/v2/deals")) == []
    data(api.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    response = as_app.get("/api/v2/deals")
    assert response.status_code == 401


def test_adding_and_deactivating_are_changes_recents_show(api):
    bo = add_user(api)
    data(api.put(f"/v1/users/{bo['id']}", json={"active_flag": False}))
    entries = recents(unchecked(api), items="user")["data"]
    assert [e["id"] for e in entries] == [1, bo["id"]]
    [shown] = entries[1]["data"]
    assert shown == data(api.get(f"/v1/users/{bo['id']}")) and shown["active_flag"] is False


def test_updating_users_refuses_bad_input_and_changes_nothing(api, engine):
    bo_id = make_user(engine)
    before = data(api.get(ALL_USERS))
    refused(api.put(f"/v1/users/{bo_id}", json={}), "Validation failed: active_flag: is required")
    refused(
        api.put(f"/v1/users/{bo_id}", json={"active_flag": "no way"}),
        "Validation failed: active_flag: must be a boolean",
    )
    refused(api.put("/v1/users/1", json={"active_flag": False}), "You cannot deactivate yourself")
    refused(api.put("/v1/users/9999", json={"active_flag": False}), "User not found or not accessible.", 404)
    assert data(api.get(ALL_USERS)) == before


def test_another_companys_user_is_not_found(api, other_api):
    other_id = data(other_api.get("/v1/users/me"))["id"]
    refused(api.put(f"/v1/users/{other_id}", json={"active_flag": False}), "User not found or not accessible.", 404)
    assert data(other_api.get("/v1/users/me"))["active_flag"] is True


def test_find_users_by_name_or_address(api, other_api):
    add_user(api, email="bo@builders.test", name="Bo Builder")
    add_user(api, email="cy@acme.test", name="Cy Ada")

    def found(**params) -> list[str]:
        return [u["name"] for u in data(api.get("/v1/users/find", params=params))]

    assert found(term="ada") == ["Ada Admin", "Cy Ada"]
    assert found(term="BUILD") == ["Bo Builder"]
    assert found(term="ada", search_by_email=1) == ["Ada Admin"]
    assert found(term="acme.test", search_by_email=1) == ["Ada Admin", "Cy Ada"]
    assert found(term="%") == [] and found(term="nobody") == []
    assert [u["name"] for u in data(other_api.get("/v1/users/find", params={"term": "a"}))] != found(term="a")
    refused(api.get("/v1/users/find"), "Validation failed: term: is required")
    refused(
        api.get("/v1/users/find", params={"term": "a", "search_by_email": "x"}),
        "Invalid 'search_by_email' parameter: must be a boolean",
    )


def test_user_settings_and_connections(api):
    settings = data(api.get("/v1/userSettings"))
    assert settings["list_limit"] == 100 and settings["beta_app"] is False
    assert settings["callto_link_syntax"] == "callto:[number]"
    assert data(api.get("/v1/userConnections")) == {"google": None}


# -- the CLI ---------------------------------------------------------------------------


def _cli(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_creates_users_and_prints_and_regenerates_their_tokens(database_url, company, client):
    made = _cli("user", "create", "--email", "cli@acme.test", "--name", "Cli User", "--database-url", database_url)
    token = made.strip().splitlines()[-1]
    me = data(Api(client, token).get("/v1/users/me"))
    assert me["name"] == "Cli User" and me["email"] == "cli@acme.test"
    assert me["access"] == REGULAR_ACCESS
    assert _cli("user", "token", "CLI@acme.test", "--database-url", database_url).strip() == token

    fresh = _cli("user", "token", "cli@acme.test", "--regenerate", "--database-url", database_url).strip()
    assert fresh != token and len(fresh) == 40
    response = Api(client, token).get("/v1/users/me")
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert data(Api(client, fresh).get("/v1/users/me"))["id"] == me["id"]

    admin = _cli(
        "user", "create", "--email", "boss@acme.test", "--name", "Boss", "--admin", "--database-url", database_url
    )
    as_boss = Api(client, admin.strip().splitlines()[-1])
    assert data(as_boss.get("/v1/users/me"))["access"] == ADMIN_ACCESS
    assert data(as_boss.post(ALL_USERS, json={"email": "hire@acme.test"}))["email"] == "hire@acme.test"


def test_cli_refuses_what_the_api_refuses(database_url, company):
    result = CliRunner().invoke(
        cli, ["user", "create", "--email", "ada@acme.test", "--name", "Again", "--database-url", database_url]
    )
    assert result.exit_code != 0 and "already exists" in result.output
    result = CliRunner().invoke(cli, ["user", "token", "nobody@acme.test", "--database-url", database_url])
    assert result.exit_code == 1 and "No user with the e-mail address nobody@acme.test" in result.output


# -- several server processes ---------------------------------------------------------------


@pytest.mark.slow
def test_a_deactivation_holds_at_once_on_another_server_process(database_url, tmp_path, engine):
    if not database_url.startswith("postgres"):
        pytest.skip("several server processes share one database only on PostgreSQL (SQLite: one process)")
    import httpx2

    env = {"DEALBASE_LOG_LEVEL": "warning", "DEALBASE_WEBHOOKS_DISPATCH": "0"}
    servers = [serve.start(database_url, tmp_path, TOKEN, env, name=name) for name in ("one", "two")]
    try:
        with httpx2.Client(base_url=servers[0].url, headers={"x-api-token": TOKEN}, timeout=10) as admin:
            company_id = admin.get("/v1/users/me").json()["data"]["company_id"]
            bo = admin.post(ALL_USERS, json={"email": "bo@acme.test"}).json()["data"]
            with engine.connect() as conn:
                bo_token = users_store.api_token(conn, company_id, bo["id"])
            with httpx2.Client(base_url=servers[1].url, headers={"x-api-token": bo_token}, timeout=10) as as_bo:
                for _ in range(3):  # remembered by the second process
                    assert as_bo.get("/v1/users/me").status_code == 200
                assert admin.put(f"/v1/users/{bo['id']}", json={"active_flag": False}).status_code == 200
                response = as_bo.get("/v1/users/me")
                assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    finally:
        for server in servers:
            server.kill(signal.SIGTERM)
