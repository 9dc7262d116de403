"""Roles: the hierarchy, assignments, settings applied to creates, and pipelines (``/v1/roles``)."""

from __future__ import annotations

from itertools import count

from factories import data, make_deal, make_pipeline, make_user, refused
from support.rows import count as row_count

from dealbase.domain import permissions
from dealbase.domain.unit import Unit
from dealbase.store.tables import role_assignments, roles

_tokens = (f"{n:040x}" for n in count(0xAB0000))


def _regular(client, engine, **kw):
    from conftest import Api

    token = next(_tokens)
    user_id = make_user(engine, token=token, **kw)
    return user_id, Api(client, token)


def _role(api, name: str, parent: int | None = None) -> int:
    body = {"name": name} | ({"parent_role_id": parent} if parent is not None else {})
    return data(api.post("/v1/roles", json=body))["id"]


def test_roles_form_a_hierarchy_with_levels_and_counts(api, engine):
    sales = _role(api, "Sales")
    east = _role(api, "East", sales)
    _role(api, "East nights", east)
    listed = data(api.get("/v1/roles"))
    assert [(r["name"], r["parent_role_id"], r["level"], r["sub_role_count"]) for r in listed] == [
        ("Sales", None, 1, "1"),
        ("East", sales, 2, "1"),
        ("East nights", east, 3, "0"),
    ]
    assert all(r["active_flag"] is True and r["assignment_count"] == "0" for r in listed)
    page = api.get("/v1/roles", params={"limit": 2}).json()
    assert [r["name"] for r in page["data"]] == ["Sales", "East"]
    assert page["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }

    one = api.get(f"/v1/roles/{east}").json()
    assert one["data"]["name"] == "East" and one["data"]["parent_role_id"] == sales and "level" not in one["data"]
    assert one["additional_data"]["settings"]["deal_default_visibility"] == 3

    assert data(api.put(f"/v1/roles/{east}", json={"name": "East coast"})) == {"id": east}
    assert data(api.get(f"/v1/roles/{east}"))["name"] == "East coast"


def test_a_cycle_or_a_missing_parent_is_refused_and_nothing_changes(api):
    top = _role(api, "Top")
    middle = _role(api, "Middle", top)
    bottom = _role(api, "Bottom", middle)
    cycle = "Validation failed: parent_role_id: a role cannot be placed under itself or one of its sub-roles"
    refused(api.put(f"/v1/roles/{top}", json={"parent_role_id": bottom, "name": "Renamed"}), cycle)
    refused(api.put(f"/v1/roles/{middle}", json={"parent_role_id": middle}), cycle)
    refused(
        api.post("/v1/roles", json={"name": "Lost", "parent_role_id": 999999}),
        "Validation failed: parent_role_id: Role with id 999999 not found",
    )
    refused(api.post("/v1/roles", json={"parent_role_id": top}), "Validation failed: name: is required")
    assert [(r["name"], r["parent_role_id"]) for r in data(api.get("/v1/roles"))] == [
        ("Top", None),
        ("Middle", top),
        ("Bottom", middle),
    ]
    # moving a role under a role of another branch is fine
    side = _role(api, "Side")
    data(api.put(f"/v1/roles/{bottom}", json={"parent_role_id": side}))
    data(api.put(f"/v1/roles/{top}", json={"parent_role_id": None}))
    assert data(api.get(f"/v1/roles/{bottom}"))["parent_role_id"] == side


def test_deleting_a_role_moves_its_sub_roles_up_and_its_users_out(api, client, engine):
    top = _role(api, "Top")
    middle = _role(api, "Middle", top)
    bottom = _role(api, "Bottom", middle)
    user_id, _ = _regular(client, engine)
    data(api.post(f"/v1/roles/{middle}/assignments", json={"user_id": user_id}))
    assert data(api.delete(f"/v1/roles/{middle}")) == {"id": middle}
    assert data(api.get(f"/v1/roles/{bottom}"))["parent_role_id"] == top
    assert [r["id"] for r in data(api.get("/v1/roles"))] == [top, bottom]
    assert data(api.get(f"/v1/users/{user_id}/roleAssignments")) == []
    refused(api.get(f"/v1/roles/{middle}"), "Role not found", 404)


def test_assignments_put_a_user_in_one_role(api, client, engine):
    first, second = _role(api, "First"), _role(api, "Second", None)
    user_id, _ = _regular(client, engine)
    assert data(api.post(f"/v1/roles/{first}/assignments", json={"user_id": user_id})) == {
        "user_id": user_id,
        "role_id": first,
    }
    assert data(api.get(f"/v1/roles/{first}"))["assignment_count"] == "1"
    assert data(api.get(f"/v1/roles/{first}/assignments")) == [
        {
            "user_id": user_id,
            "role_id": first,
            "parent_role_id": None,
            "name": "First",
            "active_flag": True,
            "type": "1",
        }
    ]
    data(api.post(f"/v1/roles/{second}/assignments", json={"user_id": user_id}))  # moves them
    assert data(api.get(f"/v1/roles/{first}/assignments")) == []
    assert [a["role_id"] for a in data(api.get(f"/v1/users/{user_id}/roleAssignments"))] == [second]
    refused(
        api.delete(f"/v1/roles/{first}/assignments", json={"user_id": user_id}),
        f"Validation failed: user_id: User with id {user_id} is not assigned to role {first}",
    )
    assert data(api.delete(f"/v1/roles/{second}/assignments", json={"user_id": user_id})) == {"id": second}
    assert data(api.get(f"/v1/users/{user_id}/roleAssignments")) == []


def test_assigning_a_missing_user_or_to_a_missing_role_is_refused(api, client, engine):
    role = _role(api, "Only")
    user_id, _ = _regular(client, engine)
    refused(
        api.post(f"/v1/roles/{role}/assignments", json={"user_id": 999999}),
        "Validation failed: user_id: User with id 999999 not found",
    )
    refused(api.post(f"/v1/roles/{role}/assignments", json={}), "Validation failed: user_id: is required")
    for odd in ("²", 10**30, True, "1.5"):
        refused(
            api.post(f"/v1/roles/{role}/assignments", json={"user_id": odd}),
            "Validation failed: user_id: must be an integer",
        )
    refused(
        api.post(f"/v1/roles/{role}/assignments", json={"user_id": 2**40}),
        f"Validation failed: user_id: User with id {2**40} not found",
    )
    refused(api.post("/v1/roles/999999/assignments", json={"user_id": user_id}), "Role not found", 404)
    refused(api.get("/v1/users/999999/roleAssignments"), "User not found or not accessible.", 404)
    assert row_count(engine, role_assignments) == 0


def test_a_regular_user_may_not_write_roles(api, client, engine):
    role = _role(api, "Kept")
    user_id, regular = _regular(client, engine)
    denied = "You do not have permissions to do this."
    refused(regular.post("/v1/roles", json={"name": "Mine"}), denied, 403)
    refused(regular.put(f"/v1/roles/{role}", json={"name": "Taken"}), denied, 403)
    refused(regular.post(f"/v1/roles/{role}/assignments", json={"user_id": user_id}), denied, 403)
    refused(regular.delete(f"/v1/roles/{role}"), denied, 403)
    refused(
        regular.post(f"/v1/roles/{role}/settings", json={"setting_key": "deal_default_visibility", "value": 1}),
        denied,
        403,
    )
    assert [r["name"] for r in data(regular.get("/v1/roles"))] == ["Kept"]  # reading is allowed
    assert row_count(engine, roles) == 1 and row_count(engine, role_assignments) == 0
    # the account settings set lets a user who is not an admin set the company up
    with engine.begin() as conn:
        permissions.assign(Unit(conn, 1, {"id": 1}), user_id, "account_settings", admin=True)
    assert data(regular.put(f"/v1/roles/{role}", json={"name": "Taken"})) == {"id": role}
    assert data(api.get(f"/v1/roles/{role}"))["name"] == "Taken"


def test_role_settings_apply_to_its_users_creates(api, client, engine):
    role = _role(api, "Private")
    user_id, regular = _regular(client, engine)
    data(api.post(f"/v1/roles/{role}/assignments", json={"user_id": user_id}))
    assert data(api.get(f"/v1/roles/{role}/settings")) == dict.fromkeys(
        (
            "deal_default_visibility",
            "lead_default_visibility",
            "org_default_visibility",
            "person_default_visibility",
            "product_default_visibility",
        ),
        3,
    )
    for key in ("deal_default_visibility", "person_default_visibility", "lead_default_visibility"):
        assert data(api.post(f"/v1/roles/{role}/settings", json={"setting_key": key, "value": 1})) == {
            "id": role,
            key: 1,
        }
    assert data(api.get(f"/v1/users/{user_id}/roleSettings"))["deal_default_visibility"] == 1
    assert data(api.get("/v1/users/1/roleSettings"))["deal_default_visibility"] == 3  # the default role

    assert make_deal(regular, title="Quiet")["visible_to"] == 1
    assert make_deal(regular, title="Open", visible_to=3)["visible_to"] == 3
    assert data(regular.post("/v1/deals", json={"title": "Old client"}), 201)["visible_to"] == "1"
    person = data(regular.post("/api/v2/persons", json={"name": "Pat"}))
    assert person["visible_to"] == 1
    # a setting the role leaves unset: the company's default
    assert data(regular.post("/api/v2/organizations", json={"name": "Org"}))["visible_to"] == 3
    lead = data(regular.post("/v1/leads", json={"title": "Lead", "person_id": person["id"]}), 201)
    assert lead["visible_to"] == "1"
    assert make_deal(api, title="Admin's")["visible_to"] == 3  # the admin is in no role


def test_role_settings_refuse_what_the_plan_does_not_offer(api):
    role = _role(api, "Choosy")
    post = lambda body: api.post(f"/v1/roles/{role}/settings", json=body)  # noqa: E731
    refused(
        post({"setting_key": "deal_default_visibility", "value": 7}),
        "Validation failed: value: must be one of 1, 3 on the company's plan",
    )
    refused(
        post({"setting_key": "deal_access_level", "value": 1}),
        "Validation failed: setting_key: must be one of deal_default_visibility, lead_default_visibility, org_default_visibility, person_default_visibility, product_default_visibility",
    )
    refused(post({"setting_key": "deal_default_visibility"}), "Validation failed: value: is required")
    refused(
        post({"setting_key": "deal_default_visibility", "value": "x"}), "Validation failed: value: must be an integer"
    )
    assert data(api.get(f"/v1/roles/{role}/settings"))["deal_default_visibility"] == 3


def test_role_pipelines_hide_and_show(api):
    role = _role(api, "Narrow")
    second = make_pipeline(api, name="Second")["id"]
    assert data(api.get(f"/v1/roles/{role}/pipelines")) == {"pipeline_ids": [1, second], "visible": True}
    hidden = data(api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [second]}}))
    assert hidden == {"pipeline_ids": [1], "visible": True}
    assert data(api.get(f"/v1/roles/{role}/pipelines", params={"visible": "false"})) == {
        "pipeline_ids": [second],
        "visible": False,
    }
    third = make_pipeline(api, name="Third")["id"]  # a new pipeline: visible to every role
    assert data(api.get(f"/v1/roles/{role}/pipelines"))["pipeline_ids"] == [1, third]
    shown = data(
        api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"add": f"[{second}]", "remove": "[1]"}})
    )
    assert shown == {"pipeline_ids": [second, third], "visible": True}
    refused(
        api.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"add": [999999]}}),
        "Validation failed: visible_pipeline_ids.add: Pipeline with id 999999 not found",
    )
    refused(api.put(f"/v1/roles/{role}/pipelines", json={}), "Validation failed: visible_pipeline_ids: is required")
    assert data(api.get(f"/v1/roles/{role}/pipelines", params={"visible": "false"}))["pipeline_ids"] == [1]


def test_a_plan_with_visibility_groups_offers_five_and_seven(api, engine, company):
    from sqlalchemy import update

    from dealbase.store.tables import companies

    with engine.begin() as conn:
        conn.execute(update(companies).where(companies.c.id == company.company_id).values(plan="premium"))
    role = _role(api, "Grouped")
    body = {"setting_key": "product_default_visibility", "value": 7}
    assert data(api.post(f"/v1/roles/{role}/settings", json=body)) == {"id": role, "product_default_visibility": 7}
    refused(
        api.post(f"/v1/roles/{role}/settings", json={"setting_key": "org_default_visibility", "value": 2}),
        "Validation failed: value: must be one of 1, 3, 5, 7 on the company's plan",
    )
    assert data(api.get(f"/v1/roles/{role}/settings"))["product_default_visibility"] == 7
