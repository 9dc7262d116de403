"""The control plane under /_dealbase/: there only with a control token, and only for its bearer."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from dealbase.app import create_app

CONTROL_TOKEN = "control-secret-token"


@pytest.fixture
def control(engine, company, files_dir, base_settings):
    settings = base_settings.model_copy(
        update={"database_url": str(engine.url), "files_dir": str(files_dir), "control_token": CONTROL_TOKEN}
    )
    with TestClient(create_app(settings, engine=engine)) as c:
        yield c


def bearer(token: str = CONTROL_TOKEN) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_without_a_control_token_there_is_no_control_plane(client):
    got = client.get("/_dealbase/", headers=bearer())
    assert got.status_code == 404
    assert got.json() == {
        "success": False,
        "error": "Not found",
        "error_info": "Please check developers.pipedrive.com",
        "data": None,
        "additional_data": None,
    }


@pytest.mark.parametrize(
    "headers", [{}, bearer("wrong"), {"authorization": CONTROL_TOKEN}, {"x-api-token": CONTROL_TOKEN}]
)
def test_a_missing_or_wrong_control_token_is_a_401(control, headers):
    got = control.get("/_dealbase/", headers=headers)
    assert got.status_code == 401
    assert got.json()["success"] is False and got.json()["error"] == "Control token missing or wrong"
    assert len(got.headers["x-correlation-id"]) == 36


def test_the_index_lists_the_control_routes(control):
    got = control.get("/_dealbase/", headers=bearer())
    assert got.status_code == 200
    body = got.json()
    assert body["control_plane"] == "/_dealbase"
    assert {"path": "/", "methods": "GET"} in body["routes"]


def test_an_api_token_is_not_a_control_token(control):
    from support.database import TOKEN  # the company's admin token

    assert control.get("/_dealbase/", headers=bearer(TOKEN)).status_code == 401
