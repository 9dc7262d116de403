"""Roles, teams and permission set assignments go with a company's snapshot and its reset."""

from __future__ import annotations

import pytest
import test_control_plane
from factories import data, make_user
from starlette.testclient import TestClient
from test_control_plane import bearer
from test_snapshots import restore, take

from dealbase.domain import permissions
from dealbase.domain.unit import Unit

control = test_control_plane.control


@pytest.fixture
def client(control) -> TestClient:
    return control


def test_a_restore_brings_back_a_hierarchy_whose_parent_came_later(control, api, company, engine):
    first = data(api.post("/v1/roles", json={"name": "First"}))["id"]
    second = data(api.post("/v1/roles", json={"name": "Second"}))["id"]
    data(api.put(f"/v1/roles/{first}", json={"parent_role_id": second}))  # a row pointing at a later one
    user_id = make_user(engine)
    data(api.post(f"/v1/roles/{first}/assignments", json={"user_id": user_id}))
    team = data(api.post("/v1/legacyTeams", json={"name": "T", "manager_id": 1, "users": [user_id]}))
    with engine.begin() as conn:
        permissions.assign(Unit(conn, company.company_id, {"id": 1}), user_id, "sales", admin=True)
    saved = data(api.get("/v1/roles")), data(api.get(f"/v1/users/{user_id}/permissions"))
    take(control, company.company_id, "roles")

    got = control.post(f"/_dealbase/companies/{company.company_id}/reset", json={}, headers=bearer())
    assert got.status_code == 200, got.text
    assert data(api.get("/v1/roles")) == [] and data(api.get("/v1/legacyTeams")) == []

    assert restore(control, company.company_id, "roles").status_code == 200
    assert (data(api.get("/v1/roles")), data(api.get(f"/v1/users/{user_id}/permissions"))) == saved
    assert data(api.get(f"/v1/legacyTeams/{team['id']}/users")) == [user_id]
