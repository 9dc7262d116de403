"""Permission sets (``/v1/permissionSets``), a user's permissions, and their enforcement: an
operation a user's sets do not allow is refused in Pipedrive's 403 envelope, nothing written."""

from __future__ import annotations

from itertools import count

import pytest
from factories import data, make_deal, make_field, make_person, make_user, refused
from support.rows import counts
from test_oauth import CALLBACK, bearer, tokens_for

from dealbase.domain import permissions
from dealbase.domain.oauth import register_app
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import deals, fields, permission_set_assignments, persons, users

DENIED = "You do not have permissions to do this."
_tokens = (f"{n:040x}" for n in count(0xCD0000))


def _regular(client, engine):
    from conftest import Api

    token = next(_tokens)
    return make_user(engine, token=token), Api(client, token)


def _set(api, app: str, kind: str) -> dict:
    return next(s for s in data(api.get("/v1/permissionSets", params={"app": app})) if s["type"] == kind)


def _assign(engine, company_id: int, user_id: int, app: str, **how) -> None:
    with engine.begin() as conn:
        admin = repo.get(conn, users, company_id, 1)
        permissions.assign(Unit(conn, company_id, admin), user_id, app, **how)


def test_the_default_sets_and_who_holds_them(api, client, engine):
    user_id, _ = _regular(client, engine)
    listed = data(api.get("/v1/permissionSets"))
    assert [(s["app"], s["type"], s["name"]) for s in listed] == [
        ("sales", "admin", "Deals admin"),
        ("sales", "regular", "Deals regular user"),
        ("global", "admin", "Global admin"),
        ("global", "regular", "Global regular user"),
        ("projects", "admin", "Projects admin"),
        ("campaigns", "admin", "Campaigns admin"),
        ("account_settings", "admin", "Account settings"),
    ]
    counted = {s["name"]: s["assignment_count"] for s in listed}
    assert counted["Deals admin"] == 1 and counted["Deals regular user"] == 1 and counted["Account settings"] == 1
    assert [s["name"] for s in data(api.get("/v1/permissionSets", params={"app": "global"}))] == [
        "Global admin",
        "Global regular user",
    ]
    regular = _set(api, "sales", "regular")
    one = data(api.get(f"/v1/permissionSets/{regular['id']}"))
    assert one["contents"] == ["can_bulk_edit_items", "can_change_visibility_of_items", "can_see_deals_list_summary"]
    assert one["assignment_count"] == 1 and one["app"] == "sales"
    admin_set = _set(api, "sales", "admin")
    assert "can_delete_deals" in data(api.get(f"/v1/permissionSets/{admin_set['id']}"))["contents"]
    assert data(api.get(f"/v1/permissionSets/{regular['id']}/assignments")) == [
        {"user_id": user_id, "permission_set_id": regular["id"], "name": "Deals regular user"}
    ]
    assert [a["user_id"] for a in data(api.get(f"/v1/permissionSets/{admin_set['id']}/assignments"))] == [1]


def test_unknown_sets_and_apps_are_refused(api):
    refused(api.get("/v1/permissionSets/00000000-0000-0000-0000-000000000000"), "Permission set not found", 404)
    refused(api.get("/v1/permissionSets/nope/assignments"), "Permission set not found", 404)
    refused(
        api.get("/v1/permissionSets", params={"app": "mail"}),
        "Invalid 'app' parameter: must be one of sales, projects, campaigns, global, account_settings",
    )


def test_a_users_permissions_are_those_of_their_sets(api, client, engine):
    user_id, _ = _regular(client, engine)
    mine = data(api.get("/v1/users/1/permissions"))
    assert len(mine) == len(permissions.ALL) and all(mine.values())
    theirs = data(api.get(f"/v1/users/{user_id}/permissions"))
    assert theirs["can_use_api"] is True and theirs["can_delete_deals"] is False and theirs["can_merge_people"] is False
    assert sorted(k for k, v in theirs.items() if v) == sorted(permissions.REGULAR_SALES + permissions.REGULAR_GLOBAL)
    _assign(engine, 1, user_id, "sales", admin=True)
    theirs = data(api.get(f"/v1/users/{user_id}/permissions"))
    assert (
        theirs["can_delete_deals"] is True and theirs["can_merge_deals"] is True and theirs["can_merge_people"] is False
    )
    refused(api.get("/v1/users/999999/permissions"), "User not found or not accessible.", 404)


def test_assigning_an_unknown_set_or_a_set_of_another_app_is_refused(engine, company):
    with engine.begin() as conn:
        unit = Unit(conn, company.company_id, {"id": 1})
        global_regular = permissions.REGULAR_SET["global"].id
        for how, message in (
            ({"permission_set_id": "00000000-0000-0000-0000-000000000000"}, "not found"),
            ({"permission_set_id": global_regular}, "not found for app sales"),
        ):
            with pytest.raises(BadInput, match=message):
                permissions.assign(unit, 1, "sales", **how)
        with pytest.raises(BadInput, match="access.app"):
            permissions.assign(unit, 1, "mail", admin=True)
    assert counts(engine, permission_set_assignments)["permission_set_assignments"] == 0


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_deleting_a_deal_needs_the_permission(api, client, engine, company, version):
    user_id, regular = _regular(client, engine)
    deal = make_deal(regular, title="Mine")
    url = f"/api/v2/deals/{deal['id']}" if version == "v2" else f"/v1/deals/{deal['id']}"
    before = counts(engine, deals)
    refused(regular.delete(url), DENIED, 403)
    assert counts(engine, deals) == before
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["is_deleted"] is False
    refused(regular.delete("/v1/deals", params={"ids": str(deal["id"])}), DENIED, 403)
    refused(regular.put(f"/v1/deals/{deal['id']}", json={"status": "deleted"}), DENIED, 403)  # v1's delete-by-update
    assert data(regular.put(f"/v1/deals/{deal['id']}", json={"status": "won"}))["status"] == "won"

    _assign(engine, company.company_id, user_id, "sales", permission_set_id=_set(api, "sales", "admin")["id"])
    assert data(regular.delete(url))["id"] == deal["id"]
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["is_deleted"] is True


def test_admins_are_never_refused(api):
    deal = make_deal(api)
    assert data(api.delete(f"/api/v2/deals/{deal['id']}"))["id"] == deal["id"]


def test_merging_custom_fields_and_visibility_are_governed(api, client, engine):
    _, regular = _regular(client, engine)
    kept, gone = make_person(regular, name="Kept"), make_person(regular, name="Gone")
    before = counts(engine, persons, fields, deals)
    refused(regular.put(f"/v1/persons/{gone['id']}/merge", json={"merge_with_id": kept["id"]}), DENIED, 403)
    refused(regular.post("/api/v2/dealFields", json={"field_name": "Size", "field_type": "varchar"}), DENIED, 403)
    refused(regular.post("/v1/dealFields", json={"name": "Size", "field_type": "varchar"}), DENIED, 403)
    field = make_field(api)
    refused(regular.delete(f"/api/v2/dealFields/{field['field_code']}"), DENIED, 403)
    assert counts(engine, persons, fields, deals) == before | {"fields": before["fields"] + 1}
    deal = make_deal(regular)
    # what the regular set allows goes through: a plain edit, and a visibility change
    assert (
        data(regular.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed", "visible_to": 1}))["visible_to"]
        == 1
    )
    assert data(regular.put(f"/v1/persons/{kept['id']}", json={"name": "Kept too"}))["name"] == "Kept too"


def test_editing_a_deals_close_dates_needs_the_permission(api, client, engine, company):
    user_id, regular = _regular(client, engine)
    deal = make_deal(regular)
    won = {"status": "won", "won_time": "2026-01-02T03:04:05Z"}
    refused(regular.patch(f"/api/v2/deals/{deal['id']}", json=won), DENIED, 403)
    assert data(api.get(f"/api/v2/deals/{deal['id']}"))["status"] == "open"
    assert data(regular.patch(f"/api/v2/deals/{deal['id']}", json={"status": "won"}))["status"] == "won"
    _assign(engine, company.company_id, user_id, "sales", admin=True)
    assert data(regular.patch(f"/api/v2/deals/{deal['id']}", json=won))["won_time"] == "2026-01-02T03:04:05Z"


def test_every_governed_operation_is_a_real_one():
    from dealbase.api.operations import OPERATIONS

    names = {name for _api, _method, _path, name in OPERATIONS}
    assert sorted((set(permissions.GOVERNED) | set(permissions.GOVERNED_KEYS)) - names) == []
    held = set(permissions.ALL) | {permissions.ACCOUNT_SETUP}
    assert set(permissions.GOVERNED.values()) <= held
    assert {p for keys in permissions.GOVERNED_KEYS.values() for _k, p, _v in keys} <= held


def test_a_users_access_names_the_set_of_each_app(engine, company):
    user_id = make_user(engine)
    with engine.begin() as conn:
        unit = Unit(conn, company.company_id, {"id": 1})
        admin, user = (repo.get(conn, users, company.company_id, i) for i in (1, user_id))
        assert [(a["app"], a["admin"]) for a in permissions.access(unit, admin)] == [
            ("sales", True),
            ("global", True),
            ("projects", True),
            ("campaigns", True),
            ("account_settings", True),
        ]
        regular = permissions.REGULAR_SET
        assert permissions.access(unit, user) == [
            {"app": "sales", "admin": False, "permission_set_id": regular["sales"].id},
            {"app": "global", "admin": False, "permission_set_id": regular["global"].id},
        ]
        permissions.assign(unit, user_id, "projects", admin=True)
        permissions.assign(unit, user_id, "sales", admin=False)  # back to the app's default
        assert [(a["app"], a["admin"]) for a in permissions.access(unit, user)] == [
            ("sales", False),
            ("global", False),
            ("projects", True),
        ]


def test_an_app_acting_for_a_user_has_that_users_permissions(api, client, engine, company):
    token = next(_tokens)
    user_id = make_user(engine, token=token)
    with engine.connect().execution_options(dealbase_write=True) as conn:
        client_id, secret = register_app(conn, company.company_id, "Sync", [CALLBACK], ["deals:full"])
        conn.commit()
    app = {"client_id": client_id, "client_secret": secret}
    acting = bearer(client, tokens_for(client, app, token=token)["access_token"])
    deal = make_deal(api)
    refused(acting.delete(f"/api/v2/deals/{deal['id']}"), DENIED, 403)
    _assign(engine, company.company_id, user_id, "sales", admin=True)
    assert data(acting.delete(f"/api/v2/deals/{deal['id']}"))["id"] == deal["id"]
