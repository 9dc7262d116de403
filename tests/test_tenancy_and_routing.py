"""Auth, tenancy, routing: 401, another company's ids as 404, 404/405/501 routes."""

from __future__ import annotations

import pytest
from factories import UNAUTHORIZED, data, error, make_deal, make_org, make_person, make_pipeline

from dealbase.api.router import Handlers, Router


def test_missing_or_bad_token_is_pipedrives_401(anonymous):
    # a NUL in the token is this 401 too, not the 400 of a NUL in other parameters
    bad = ({}, {"headers": {"x-api-token": "nope"}}, {"headers": {"x-api-token": ""}}, {"params": {"api_token": "a\x00"}})
    for request in bad:
        response = anonymous.get("/api/v2/deals", **request)
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED


def test_token_in_query_parameter(anonymous, api):
    from conftest import TOKEN

    assert anonymous.get("/v1/deals", params={"api_token": TOKEN}).status_code == 200
    assert anonymous.get("/api/v2/deals", params={"api_token": TOKEN}).status_code == 200


def test_another_companys_data_is_never_reachable(api, other_api):
    deal = make_deal(api)
    person = make_person(api)
    org = make_org(api)
    pipeline = make_pipeline(api)
    for url in (
        f"/api/v2/deals/{deal['id']}",
        f"/v1/deals/{deal['id']}",
        f"/api/v2/persons/{person['id']}",
        f"/v1/organizations/{org['id']}",
        f"/api/v2/pipelines/{pipeline['id']}",
        "/v1/stages/1",
    ):
        error(other_api.get(url), 404)
    error(other_api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "mine now"}), 404)
    error(other_api.put(f"/v1/deals/{deal['id']}", json={"title": "mine now"}), 404)
    error(other_api.delete(f"/api/v2/deals/{deal['id']}"), 404)
    error(other_api.delete("/v1/deals", params={"ids": str(deal["id"])}), 404)
    # Nor can they point their rows at ours.
    error(other_api.post("/api/v2/deals", json={"title": "x", "person_id": person["id"]}), 400)
    error(other_api.post("/api/v2/deals", json={"title": "x", "stage_id": 1}), 400)
    assert data(other_api.get("/api/v2/deals")) == []
    assert data(other_api.get("/v1/deals")) is None
    assert data(other_api.get("/api/v2/deals", params={"ids": str(deal["id"])})) == []
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["title"] == deal["title"]


def test_unknown_route_is_404_and_wrong_method_405(api):
    error(api.get("/api/v2/nothing-here"), 404)
    error(api.get("/v3/deals"), 404)
    error(api.put("/api/v2/deals/1", json={}), 405)
    error(api.request("PATCH", "/v1/deals/1", json={}), 405)


@pytest.mark.parametrize(
    "path",
    ["/v1", "/v1/", "/api/v2/", "/api/v1", "/oauth/", "/_dealbase/", "/_dealbase/blobs/1/x.png", "/nothing/here"],
)
def test_paths_outside_every_part_are_pipedrives_404(api, path):
    # (``/`` is the web app's board: tests/test_web.py)
    response = api.get(path)
    assert error(response, 404) == "Not found"
    assert response.headers["x-correlation-id"]


def test_another_app_mounts_beside_the_api(app, client, api):
    """The room kept for a web app and docs: any ASGI app, under its own path."""

    async def docs(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": scope["path"].encode()})

    app.mount("/docs", docs)
    assert client.get("/docs/deals").text == "/docs/deals"
    assert data(api.get("/v1/users/me"))["id"] == 1
    assert error(api.get("/documents"), 404) == "Not found"
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"  # the web app's, still


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/deals/1",
        "/api/v2/",
        "/api/v2",
        "/api/v2x/deals",
        "/v1/deals",
        "/v1",
        "/api/v1/deals/1/flow",
        "/api/v1/",
        "/oauth/token",
        "/api/v2/deals/1\n",
        "/api/v2/de\nals/1",
        "/api/v2//deals",
    ],
)
@pytest.mark.parametrize("root_path", ["", "/crm"])
def test_the_apis_shortcut_goes_where_starlettes_routing_would(path, root_path):
    """``DealbaseApp.api_part`` skips Starlette's scan of the mounts for the API: same part,
    same ``root_path``, or it leaves the request to Starlette."""
    from starlette.routing import Match

    from dealbase.app import create_app
    from dealbase.settings import Settings

    app = create_app(Settings(database_url="sqlite://"))
    scope = {"type": "http", "method": "GET", "path": root_path + path, "root_path": root_path}
    shortcut = dict(scope)
    part = app.api_part(shortcut)
    if part is None:
        return
    route, child_scope = next((r, s) for r in app.parts.routes for m, s in [r.matches(scope)] if m is Match.FULL)
    assert route.app is part
    assert child_scope["root_path"] == shortcut["root_path"]


def test_registration_refuses_unknown_operations_and_twice_handled_ones():
    handlers = Handlers()
    handlers.operation("v2", "get_deals")(lambda ctx: None)
    router = Router()
    router.include(handlers)
    assert router.operations[("v2", "get_deals")].handler is not None
    with pytest.raises(RuntimeError, match="handled twice"):
        router.include(handlers)
    unknown = Handlers()
    unknown.operation("v2", "get_nothing")(lambda ctx: None)
    with pytest.raises(RuntimeError, match="route table"):
        Router().include(unknown)


@pytest.mark.parametrize("method,url", [("GET", "/api/v2/deals"), ("POST", "/v1/persons"), ("GET", "/v1/callLogs")])
def test_an_operation_without_a_handler_answers_501(engine, company, files_dir, base_settings, method, url):
    """The route table knows every operation of the specs; one no handler module registered
    (here: none registered at all) answers 501 in the error envelope, after authentication."""
    from conftest import TOKEN, Api
    from starlette.testclient import TestClient

    from dealbase.app import DealbaseApp

    settings = base_settings.model_copy(update={"database_url": str(engine.url), "files_dir": str(files_dir)})
    with TestClient(DealbaseApp(settings, engine)) as unwired:
        assert error(Api(unwired, "f" * 40).request(method, url), 401) == "unauthorized access"
        response = Api(unwired, TOKEN).request(method, url, json={} if method == "POST" else None)
    assert error(response, 501) == "Not implemented"
