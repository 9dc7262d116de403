"""The OAuth 2.0 server and scopes, as a Marketplace app meets Pipedrive's.

Pipedrive (oauth.pipedrive.com): the consent page redirects to the app's callback with
``code`` and ``state`` (``error=user_denied`` on Cancel); ``POST /oauth/token`` takes a form
with the client's Basic auth and answers ``access_token, token_type, refresh_token, scope,
expires_in, api_domain``; codes live five minutes and work once; a refresh answers the same
refresh token. On the API an access token goes in ``Authorization: Bearer``; an unknown or
expired one is a 401, one without the operation's scope the gateway's 403.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import OTHER_TOKEN, TOKEN, Api
from factories import data, make_deal
from starlette.testclient import TestClient
from typer.testing import CliRunner

from dealbase import clock
from dealbase.app import create_app
from dealbase.cli import app as cli
from dealbase.domain.oauth import register_app
from dealbase.settings import Settings

try:
    from tests.support import serve, spec
except ImportError:
    from support import serve, spec

CALLBACK = "https://app.example/callback"
ERROR_INFO = "Please check developers.pipedrive.com"
SCOPE_403 = {"success": False, "error": "Scope and URL mismatch", "errorCode": 403, "error_info": ERROR_INFO}
INVALID_TOKEN_401 = {
    "success": False,
    "error": "Invalid token: access_token is invalid",
    "errorCode": 401,
    "error_info": ERROR_INFO,
}


# ------------------------------------------------------------------ helpers


@pytest.fixture
def make_app(engine, company):
    """Registers an app in a company (default: the test company); answers its credentials."""

    def make(scopes=("deals:full", "contacts:read"), uris=(CALLBACK,), company_id=None, name="Acme Sync"):
        with engine.connect().execution_options(dealbase_write=True) as conn:
            client_id, secret = register_app(conn, company_id or company.company_id, name, list(uris), list(scopes))
            conn.commit()
        return {"client_id": client_id, "client_secret": secret}

    return make


def basic(app: dict) -> dict:
    raw = f"{app['client_id']}:{app['client_secret']}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def approve(client, app, *, token=TOKEN, state="s-1", **fields):
    form = {"client_id": app["client_id"], "redirect_uri": CALLBACK, "state": state, **fields}
    return client.post("/oauth/authorize", data=form, headers={"x-api-token": token}, follow_redirects=False)


def code_for(client, app, **kw) -> str:
    response = approve(client, app, **kw)
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.headers["location"]).query)["code"][0]


def token_request(client, form: dict, headers: dict | None = None):
    """POST /oauth/token; a 200 is checked against the spec's schema, an error against the envelope."""
    response = client.post("/oauth/token", data=form, headers=headers or {})
    assert response.headers["content-type"].startswith("application/json"), response.text
    if spec.specs_available():
        spec.validate_response("POST", "/oauth/token", response.status_code, response.json())
    return response


def exchange(client, app, code: str):
    return token_request(
        client, {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}, basic(app)
    )


def tokens_for(client, app, **kw) -> dict:
    response = exchange(client, app, code_for(client, app, **kw))
    assert response.status_code == 200, response.text
    return response.json()


def oauth_error(response, status: int, code: str, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"success": False, "message": message, "error": code, "error_description": message}


def bearer(client, access_token: str) -> Api:
    """A client calling with ``Authorization: Bearer`` (no API token); responses schema-checked."""

    class BearerApi(Api):
        def request(self, method, url, **kw):
            kw["headers"] = {"Authorization": f"Bearer {access_token}", **(kw.get("headers") or {})}
            return super().request(method, url, **kw)

    return BearerApi(client, None)


@pytest.fixture
def later(monkeypatch):
    """Stops the server's clock now; ``move(seconds)`` sets it ``seconds`` past that (a token
    made on a busy machine a second after the start would otherwise expire a second later)."""
    start = clock.now()
    monkeypatch.setattr(clock, "now", lambda: start)

    def move(seconds: int) -> None:
        monkeypatch.setattr(clock, "now", lambda: clock.later(seconds, start))

    return move


# ------------------------------------------------------------- the flow


def test_authorization_code_flow_gives_a_working_bearer_token(client, make_app, api):
    app = make_app()
    response = approve(client, app, state="xyz 1/2")
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == CALLBACK
    query = parse_qs(location.query)
    assert query["state"] == ["xyz 1/2"] and len(query["code"][0]) > 20 and "error" not in query

    answer = exchange(client, app, query["code"][0])
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    tokens = answer.json()
    assert set(tokens) == {"access_token", "token_type", "refresh_token", "scope", "expires_in", "api_domain"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "base,deals:full,contacts:read"
    assert tokens["expires_in"] == 3599
    assert tokens["api_domain"] == "http://127.0.0.1:8000"

    caller = bearer(client, tokens["access_token"])
    deal = data(caller.post("/api/v2/deals", json={"title": "Via OAuth"}))
    assert deal["title"] == "Via OAuth"
    assert [d["id"] for d in data(caller.get("/api/v2/deals"))] == [deal["id"]]
    assert data(caller.get(f"/v1/deals/{deal['id']}"))["title"] == "Via OAuth"
    me = data(caller.get("/v1/users/me"))
    assert me["email"] == "ada@acme.test"
    # the API token is untouched and still has every right
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["title"] == "Via OAuth"


def test_consent_page_shows_the_app_its_scopes_and_a_form(client, make_app):
    app = make_app(name="Acme <Sync>")
    params = {"client_id": app["client_id"], "redirect_uri": CALLBACK, "state": 'st"ate'}
    response = client.get("/oauth/authorize", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert "Acme &lt;Sync&gt; asks for access to Acme" in page
    for scope in ("base", "deals:full", "contacts:read"):
        assert f"<code>{scope}</code>" in page
    assert '<form method="post" action="/oauth/authorize">' in page
    assert f'name="client_id" value="{app["client_id"]}"' in page
    assert 'name="state" value="st&quot;ate"' in page
    assert 'name="api_token"' in page and 'value="approve"' in page and 'value="deny"' in page


def test_consent_form_posts_the_api_token_as_a_field(client, make_app):
    app = make_app()
    form = {"client_id": app["client_id"], "redirect_uri": CALLBACK, "api_token": TOKEN, "decision": "approve"}
    response = client.post("/oauth/authorize", data=form, follow_redirects=False)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert "code" in query and "state" not in query


def test_cancel_redirects_with_user_denied(client, make_app):
    app = make_app()
    response = approve(client, app, token="", state="abc", decision="deny")
    assert response.status_code == 302
    assert response.headers["location"] == f"{CALLBACK}?error=user_denied&state=abc"


def test_callback_keeps_its_own_query(client, make_app):
    uri = "https://app.example/cb?tenant=7"
    app = make_app(uris=(uri,))
    form = {"client_id": app["client_id"], "redirect_uri": uri, "state": "s"}
    response = client.post("/oauth/authorize", data=form, headers={"x-api-token": TOKEN}, follow_redirects=False)
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["tenant"] == ["7"] and query["state"] == ["s"] and "code" in query


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"client_id": "nope", "redirect_uri": CALLBACK}, "Invalid client: client is invalid"),
        ({"client_id": None, "redirect_uri": CALLBACK}, "Missing parameter: client_id"),
        ({"redirect_uri": "https://evil.example/cb"}, "Invalid request: redirect_uri is invalid"),
        ({}, "Invalid request: redirect_uri is not a valid URI"),
        ({"redirect_uri": "not a uri"}, "Invalid request: redirect_uri is not a valid URI"),
    ],
)
def test_consent_page_refuses_unknown_apps_and_callbacks(client, make_app, params, message):
    app = make_app()
    query = {k: v for k, v in {"client_id": app["client_id"], **params}.items() if v is not None}
    response = client.get("/oauth/authorize", params=query, follow_redirects=False)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")
    assert message in response.text
    # never a redirect to a callback the app did not register
    posted = client.post("/oauth/authorize", data=query, headers={"x-api-token": TOKEN}, follow_redirects=False)
    assert posted.status_code == 400
    assert posted.json()["message"] == message


def test_approval_needs_the_users_api_token(client, make_app):
    app = make_app()
    for token in ("", "wrong"):
        response = approve(client, app, token=token)
        assert response.status_code == 401
        assert response.json() == {
            "success": False,
            "error": "unauthorized access",
            "errorCode": 401,
            "error_info": ERROR_INFO,
        }


def test_an_app_installs_only_in_its_own_company(client, make_app, other_company):
    app = make_app()
    response = approve(client, app, token=OTHER_TOKEN)
    oauth_error(response, 403, "access_denied", "App cannot be installed for requested company")
    # an app of the other company gets a token that sees only that company's data
    theirs = make_app(company_id=other_company.company_id)
    tokens = tokens_for(client, theirs, token=OTHER_TOKEN)
    mine = make_deal(Api(client, TOKEN))
    caller = bearer(client, tokens["access_token"])
    assert data(caller.get("/api/v2/deals")) == []
    assert caller.get(f"/api/v2/deals/{mine['id']}").status_code == 404


def test_scope_parameter_narrows_the_grant(client, make_app):
    app = make_app(scopes=("deals:full", "contacts:read"))
    tokens = tokens_for(client, app, scope="contacts:read")
    assert tokens["scope"] == "base,contacts:read"
    response = approve(client, app, scope="admin")
    oauth_error(response, 400, "invalid_scope", "Invalid scope: requested scope is invalid")


# ------------------------------------------------------------ token errors


def test_client_credentials_in_the_form_are_accepted(client, make_app):
    app = make_app()
    form = {"grant_type": "authorization_code", "code": code_for(client, app), "redirect_uri": CALLBACK, **app}
    response = token_request(client, form)
    assert response.status_code == 200
    assert response.json()["scope"] == "base,deals:full,contacts:read"


def test_token_request_errors_are_pipedrives(client, make_app):
    app = make_app()
    code = code_for(client, app)
    good = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}
    wrong_secret = basic({**app, "client_secret": "0" * 40})

    oauth_error(
        token_request(client, good), 400, "invalid_client", "Invalid client: cannot retrieve client credentials"
    )
    oauth_error(token_request(client, good, wrong_secret), 400, "invalid_client", "Invalid client: client is invalid")
    other = basic({"client_id": "nope", "client_secret": app["client_secret"]})
    oauth_error(token_request(client, good, other), 400, "invalid_client", "Invalid client: client is invalid")
    as_json = client.post("/oauth/token", json=good, headers=basic(app))
    oauth_error(as_json, 400, "invalid_request", "Invalid request: content must be application/x-www-form-urlencoded")
    no_grant = {k: v for k, v in good.items() if k != "grant_type"}
    oauth_error(token_request(client, no_grant, basic(app)), 400, "invalid_request", "Missing parameter: grant_type")
    password = {**good, "grant_type": "password"}
    oauth_error(
        token_request(client, password, basic(app)),
        400,
        "unsupported_grant_type",
        "Unsupported grant type: grant_type is invalid",
    )
    elsewhere = {**good, "redirect_uri": "https://app.example/other"}
    oauth_error(
        token_request(client, elsewhere, basic(app)), 400, "invalid_request", "Invalid request: redirect_uri is invalid"
    )
    no_uri = {k: v for k, v in good.items() if k != "redirect_uri"}
    oauth_error(
        token_request(client, no_uri, basic(app)),
        400,
        "invalid_request",
        "Invalid request: redirect_uri is not a valid URI",
    )
    bogus = {**good, "code": "not-a-code"}
    oauth_error(
        token_request(client, bogus, basic(app)), 400, "invalid_grant", "Invalid grant: authorization_code is invalid"
    )
    # none of those spent the code: it still works, once
    assert exchange(client, app, code).status_code == 200
    oauth_error(exchange(client, app, code), 400, "invalid_grant", "Invalid grant: authorization_code is invalid")


def test_a_code_belongs_to_its_app(client, make_app):
    mine, other = make_app(), make_app(name="Other")
    code = code_for(client, mine)
    oauth_error(exchange(client, other, code), 400, "invalid_grant", "Invalid grant: authorization_code is invalid")
    assert exchange(client, mine, code).status_code == 200


def test_a_code_expires_after_five_minutes(client, make_app, later):
    app = make_app()
    code, fresh = code_for(client, app), code_for(client, app)
    later(299)
    assert exchange(client, app, fresh).status_code == 200
    later(300)
    oauth_error(exchange(client, app, code), 400, "invalid_grant", "Invalid grant: authorization_code has expired")


def test_trailing_slash_token_route_is_the_same_endpoint(client, make_app):
    app = make_app()
    tokens = tokens_for(client, app)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    response = client.post("/oauth/token/", data=form, headers=basic(app))
    assert response.status_code == 200
    if spec.specs_available():
        spec.validate_response("POST", "/oauth/token/", 200, response.json())
    assert response.json()["refresh_token"] == tokens["refresh_token"]


# ------------------------------------------------------ expiry and refresh


def test_expired_access_token_is_401_and_refresh_gives_a_working_one(client, make_app, later):
    app = make_app()
    tokens = tokens_for(client, app)
    caller = bearer(client, tokens["access_token"])
    assert caller.get("/api/v2/deals").status_code == 200
    later(3598)
    assert caller.get("/api/v2/deals").status_code == 200
    later(3599)
    response = caller.get("/api/v2/deals")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN_401

    refreshed = token_request(
        client, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, basic(app)
    )
    assert refreshed.status_code == 200
    fresh = refreshed.json()
    assert fresh["refresh_token"] == tokens["refresh_token"]  # not rotated, as Pipedrive documents
    assert fresh["access_token"] != tokens["access_token"]
    assert fresh["scope"] == tokens["scope"] and fresh["expires_in"] == 3599
    assert bearer(client, fresh["access_token"]).get("/api/v2/deals").status_code == 200
    assert caller.get("/api/v2/deals").status_code == 401


def test_old_access_token_lives_on_after_a_refresh(client, make_app):
    app = make_app()
    tokens = tokens_for(client, app)
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    fresh = token_request(client, form, basic(app)).json()
    for access in (tokens["access_token"], fresh["access_token"]):
        assert bearer(client, access).get("/api/v2/deals").status_code == 200


def test_refresh_token_errors(client, make_app, later):
    app, other = make_app(), make_app(name="Other")
    tokens = tokens_for(client, app)
    refresh = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    message = "Invalid grant: refresh_token is invalid"
    oauth_error(token_request(client, refresh, basic(other)), 400, "invalid_grant", message)
    bad = {**refresh, "refresh_token": "nope"}
    oauth_error(token_request(client, bad, basic(app)), 400, "invalid_grant", message)
    missing = {"grant_type": "refresh_token"}
    oauth_error(token_request(client, missing, basic(app)), 400, "invalid_request", "Missing parameter: refresh_token")
    # each use moves the 60 days on; unused for 60 days it is gone
    later(59 * 86_400)
    assert token_request(client, refresh, basic(app)).status_code == 200
    later(59 * 86_400 + 59 * 86_400)
    assert token_request(client, refresh, basic(app)).status_code == 200
    later(59 * 86_400 + 59 * 86_400 + 60 * 86_400)
    oauth_error(token_request(client, refresh, basic(app)), 400, "invalid_grant", message)


def test_access_token_lifetime_is_a_setting(engine, company, make_app):
    settings = Settings(database_url=str(engine.url), oauth_access_token_seconds=60, public_url="https://crm.example/")
    with TestClient(create_app(settings, engine=engine)) as client:
        tokens = tokens_for(client, make_app())
    assert tokens["expires_in"] == 60
    assert tokens["api_domain"] == "https://crm.example"


# ------------------------------------------------------------- revocation


def revoke(client, app, token: str, hint: str | None = None):
    form = {"token": token, **({"token_type_hint": hint} if hint else {})}
    response = client.post("/oauth/revoke", data=form, headers=basic(app))
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}


def test_revoking_an_access_token(client, make_app):
    app = make_app()
    tokens = tokens_for(client, app)
    revoke(client, app, tokens["access_token"], "access_token")
    response = bearer(client, tokens["access_token"]).get("/api/v2/deals")
    assert response.status_code == 401 and response.json() == INVALID_TOKEN_401
    # the refresh token still gives new access tokens
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert token_request(client, form, basic(app)).status_code == 200


def test_revoking_the_refresh_token_uninstalls(client, make_app):
    app = make_app()
    tokens = tokens_for(client, app)
    revoke(client, app, tokens["refresh_token"])
    assert bearer(client, tokens["access_token"]).get("/api/v2/deals").status_code == 401
    form = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    oauth_error(
        token_request(client, form, basic(app)), 400, "invalid_grant", "Invalid grant: refresh_token is invalid"
    )


def test_revoke_answers_200_for_unknown_tokens_and_leaves_other_apps_alone(client, make_app):
    app, other = make_app(), make_app(name="Other")
    tokens = tokens_for(client, app)
    revoke(client, app, "never-issued")
    revoke(client, other, tokens["access_token"])
    assert bearer(client, tokens["access_token"]).get("/api/v2/deals").status_code == 200
    response = client.post("/oauth/revoke", data={"token": tokens["access_token"]})
    oauth_error(response, 400, "invalid_client", "Invalid client: cannot retrieve client credentials")


# ------------------------------------------------------------------ scopes


def test_read_scope_reads_but_does_not_write(client, make_app, api):
    deal = make_deal(api, title="Seen")
    app = make_app(scopes=("deals:read",))
    caller = bearer(client, tokens_for(client, app)["access_token"])
    assert [d["title"] for d in data(caller.get("/api/v2/deals"))] == ["Seen"]
    assert data(caller.get(f"/api/v2/deals/{deal['id']}"))["title"] == "Seen"
    assert data(caller.get("/v1/deals"))[0]["title"] == "Seen"
    for method, url, body in (
        ("POST", "/api/v2/deals", {"title": "Nope"}),
        ("PATCH", f"/api/v2/deals/{deal['id']}", {"title": "Nope"}),
        ("POST", "/v1/deals", {"title": "Nope"}),
        ("DELETE", f"/v1/deals/{deal['id']}", None),
        ("GET", "/api/v2/persons", None),
        ("GET", "/v1/persons", None),
        ("GET", "/api/v2/itemSearch?term=Seen", None),
    ):
        response = caller.request(method, url, json=body)
        assert response.status_code == 403, (method, url)
        assert response.json() == SCOPE_403
    assert [d["title"] for d in data(api.get("/api/v2/deals"))] == ["Seen"]
    # base alone allows the user's own settings
    assert data(caller.get("/v1/users/me"))["email"] == "ada@acme.test"


def test_any_listed_scope_allows_an_operation(client, make_app, api):
    make_deal(api, title="Noted")
    # GET /v1/notes lists deals:read, deals:full, contacts:read and contacts:full
    caller = bearer(client, tokens_for(client, make_app(scopes=("contacts:read",)))["access_token"])
    assert caller.get("/v1/notes").status_code == 200
    assert caller.get("/api/v2/deals").status_code == 403


def test_scope_is_checked_before_an_unbuilt_operation_answers_501(client, make_app):
    caller = bearer(client, tokens_for(client, make_app(scopes=("deals:read",)))["access_token"])
    # /v1/mailbox/mailThreads needs mail:read; dealbase does not build it
    assert caller.get("/v1/mailbox/mailThreads?folder=inbox").json() == SCOPE_403


def test_malformed_or_unknown_bearer(client, api):
    for header in ("Bearer", "Token abc", "Basic Zm9vOmJhcg==", "Bearer a b"):
        response = client.get("/api/v2/deals", headers={"Authorization": header})
        assert response.status_code == 400, header
        assert response.json() == {
            "success": False,
            "error": "Invalid request: malformed authorization header",
            "errorCode": 400,
            "error_info": ERROR_INFO,
        }
    response = client.get("/v1/deals", headers={"Authorization": "Bearer " + "x" * 64})
    assert response.status_code == 401 and response.json() == INVALID_TOKEN_401
    # an API token is not an access token
    assert client.get("/v1/deals", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 401
    # an API token beside an Authorization header wins
    both = client.get("/v1/deals", headers={"Authorization": "Bearer nope", "x-api-token": TOKEN})
    assert both.status_code == 200


def test_the_request_context_says_which_credential_called(engine, company, make_app, client):
    from dealbase.api.auth import Authenticator, Credential

    tokens = tokens_for(client, make_app(scopes=("deals:read",)))
    authenticate = Authenticator()
    with engine.connect() as conn:
        by_token = authenticate(conn, TOKEN)
        by_bearer = authenticate(conn, None, f"Bearer {tokens['access_token']}")
    assert by_token.credential == Credential("token", company.user_id)
    assert by_token.user["id"] == by_bearer.user["id"] == company.user_id
    kind, token_id, app_id, scopes = by_bearer.credential
    assert kind == "oauth" and token_id > 0 and app_id > 0
    assert scopes == frozenset({"base", "deals:read"})
    assert "oauth_token_id" not in by_bearer.user


# -------------------------------------------------------------------- CLI


def test_cli_app_create_prints_working_credentials(database_url, company, client):
    result = CliRunner().invoke(
        cli,
        [
            "app", "create", "--name", "CLI app", "--redirect-uri", CALLBACK,
            "--scopes", "deals:read", "contacts:read,products:read", "--database-url", database_url,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.splitlines() if ": " in line)
    app = {"client_id": lines["client_id"], "client_secret": lines["client_secret"]}
    assert lines["scopes"] == "base,deals:read,contacts:read,products:read"
    assert tokens_for(client, app)["scope"] == "base,deals:read,contacts:read,products:read"


def test_cli_app_create_refuses_unknown_scopes_and_bad_uris(database_url, company):
    runner = CliRunner()
    base = ["app", "create", "--name", "X", "--database-url", database_url]
    result = runner.invoke(cli, [*base, "--redirect-uri", CALLBACK, "--scopes", "deals:rule"])
    assert result.exit_code == 2 and "deals:rule" in result.output
    result = runner.invoke(cli, [*base, "--redirect-uri", "/relative", "--scopes", "deals:read"])
    assert result.exit_code == 2 and "/relative" in result.output


# ------------------------------------------------- curl against `dealbase serve`


def _curl(*args: str) -> str:
    done = subprocess.run(["curl", "-sS", *args], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_flow_with_curl_alone_against_dealbase_serve(database_url, tmp_path):
    import json

    env = {**os.environ, "DEALBASE_API_TOKEN": TOKEN, "DEALBASE_DATABASE_URL": database_url}
    with serve.start(database_url, tmp_path, TOKEN) as server:
        base = server.url
        made = subprocess.run(
            [sys.executable, "-m", "dealbase", "app", "create", "--name", "Curl app",
             "--redirect-uri", CALLBACK, "--scopes", "deals:read"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        lines = dict(line.split(": ", 1) for line in made.stdout.splitlines() if ": " in line)
        client_id, secret = lines["client_id"], lines["client_secret"]

        page = _curl(f"{base}/oauth/authorize?client_id={client_id}&redirect_uri={CALLBACK}&state=k")
        assert "Curl app" in page
        location = _curl(
            "-o", "/dev/null", "-w", "%{redirect_url}", "-H", f"x-api-token: {TOKEN}",
            "--data-urlencode", f"client_id={client_id}", "--data-urlencode", f"redirect_uri={CALLBACK}",
            "--data-urlencode", "state=k", f"{base}/oauth/authorize",
        )  # fmt: skip
        query = parse_qs(urlsplit(location).query)
        assert query["state"] == ["k"]
        tokens = json.loads(
            _curl(
                "-u",
                f"{client_id}:{secret}",
                "--data-urlencode",
                "grant_type=authorization_code",
                "--data-urlencode",
                f"code={query['code'][0]}",
                "--data-urlencode",
                f"redirect_uri={CALLBACK}",
                f"{base}/oauth/token",
            )  # fmt: skip
        )
        assert tokens["api_domain"] == base and tokens["scope"] == "base,deals:read"
        auth = f"Authorization: Bearer {tokens['access_token']}"
        deals = json.loads(_curl("-H", auth, f"{tokens['api_domain']}/api/v2/deals"))
        assert deals["success"] is True and deals["data"] == []
        denied = _curl(
            "-w", "\n%{http_code}", "-H", auth, "-H", "content-type: application/json",
            "-d", '{"title":"x"}', f"{base}/api/v2/deals",
        )  # fmt: skip
        body, status = denied.rsplit("\n", 1)
        assert status == "403" and json.loads(body) == SCOPE_403
        refreshed = json.loads(
            _curl(
                "-u",
                f"{client_id}:{secret}",
                "-d",
                "grant_type=refresh_token",
                "--data-urlencode",
                f"refresh_token={tokens['refresh_token']}",
                f"{base}/oauth/token",
            )  # fmt: skip
        )
        auth = f"Authorization: Bearer {refreshed['access_token']}"
        assert json.loads(_curl("-H", auth, f"{base}/v1/deals"))["success"] is True


def test_hostile_input_is_a_4xx_never_a_5xx(client, make_app):
    app = make_app()
    for client_id in ("\x00", "x" * 500, "é"):
        params = {"client_id": client_id, "redirect_uri": CALLBACK}
        assert client.get("/oauth/authorize", params=params).status_code == 400
        posted = client.post("/oauth/authorize", data=params, headers={"x-api-token": TOKEN})
        oauth_error(posted, 400, "invalid_client", "Invalid client: client is invalid")
        form = {"grant_type": "authorization_code", "client_id": client_id, "client_secret": "\x00"}
        oauth_error(client.post("/oauth/token", data=form), 400, "invalid_client", "Invalid client: client is invalid")
    response = approve(client, app, token="\x00")
    assert response.status_code == 401
    assert client.get("/v1/deals", params={"api_token": "\x00"}).status_code == 401
    garbage = {"Authorization": "Basic !!!", "content-type": "application/x-www-form-urlencoded"}
    response = client.post("/oauth/token", content=b"grant_type=refresh_token&refresh_token=%00", headers=garbage)
    oauth_error(response, 400, "invalid_client", "Invalid client: cannot retrieve client credentials")
    form = {"grant_type": "refresh_token", "refresh_token": "\x00" * 3}
    oauth_error(
        token_request(client, form, basic(app)), 400, "invalid_grant", "Invalid grant: refresh_token is invalid"
    )


def test_with_rate_limits_an_apps_window_is_its_own_and_four_times_a_tokens(engine, company, make_app, files_dir):
    settings = Settings(database_url=str(engine.url), files_dir=str(files_dir), rate_limits=True, plan="lite")
    with TestClient(create_app(settings, engine)) as client:
        app = make_app(scopes=("deals:read",))
        tokens = tokens_for(client, app)
        as_app = bearer(client, tokens["access_token"])
        first = as_app.get("/api/v2/deals")
        assert first.status_code == 200
        assert first.headers["x-ratelimit-limit"] == "80"  # Lite's 20, four times
        assert first.headers["x-ratelimit-remaining"] == "79"
        refused = as_app.post("/api/v2/deals", json={"title": "No scope"})
        assert refused.status_code == 403
        assert refused.headers["x-ratelimit-remaining"] == "78"
        # the user's own API token has a window of its own; the company one budget
        mine = Api(client, TOKEN).get("/api/v2/deals")
        assert (mine.headers["x-ratelimit-limit"], mine.headers["x-ratelimit-remaining"]) == ("20", "19")
        spent = 30_000 - int(mine.headers["x-daily-ratelimit-token-remaining"])
        assert spent == 10 + 5 + 10


def test_an_apps_webhooks_are_its_own_and_go_when_it_is_uninstalled(engine, company, make_app, files_dir):
    settings = Settings(
        database_url=str(engine.url), files_dir=str(files_dir), webhooks_allow_private=True, webhooks_dispatch=False
    )
    hook = {"subscription_url": "http://127.0.0.1:9/hook", "event_action": "*", "event_object": "deal", "name": "h"}
    with TestClient(create_app(settings, engine)) as client:
        app = make_app(scopes=("admin",))
        tokens = tokens_for(client, app)
        as_app, as_user = bearer(client, tokens["access_token"]), Api(client, TOKEN)
        made = as_app.post("/v1/webhooks", json=hook)
        assert made.status_code == 201, made.text
        assert made.json()["data"]["type"] == "application"
        general = as_user.post("/v1/webhooks", json={**hook, "name": "mine"}).json()["data"]
        assert general["type"] == "general"
        # each sees only its own kind; the user cannot delete the app's, nor the app the user's
        assert [w["id"] for w in as_app.get("/v1/webhooks").json()["data"]] == [made.json()["data"]["id"]]
        assert [w["id"] for w in as_user.get("/v1/webhooks").json()["data"]] == [general["id"]]
        assert as_user.delete(f"/v1/webhooks/{made.json()['data']['id']}").status_code == 404
        assert as_app.delete(f"/v1/webhooks/{general['id']}").status_code == 404
        # without the admin scope an app may not make webhooks
        reader = tokens_for(client, make_app(scopes=("deals:read",), name="Reader"))
        assert bearer(client, reader["access_token"]).post("/v1/webhooks", json=hook).status_code == 403
        # the user revokes the app (its refresh token): the app's webhooks go, the user's stay
        form = {"token": tokens["refresh_token"]}
        assert client.post("/oauth/revoke", data=form, headers=basic(app)).status_code == 200
        assert [w["id"] for w in as_user.get("/v1/webhooks").json()["data"]] == [general["id"]]
        again = tokens_for(client, app)
        assert bearer(client, again["access_token"]).get("/v1/webhooks").json()["data"] == []
