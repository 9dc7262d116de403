"""Legacy teams (``/v1/legacyTeams``): teams, their members, and a user's teams."""

from __future__ import annotations

from itertools import count

from factories import data, make_user, refused
from support.rows import counts

from dealbase.store.tables import legacy_team_users, legacy_teams

_tokens = (f"{n:040x}" for n in count(0xEF0000))


def _team(api, **body) -> dict:
    return data(api.post("/v1/legacyTeams", json={"name": "Closers", "manager_id": 1, **body}))


def test_a_team_is_made_changed_and_listed(api, engine):
    a, b = make_user(engine, name="A"), make_user(engine, name="B")
    team = _team(api, description="Berlin office", users=[a, b, a])
    assert {k: team[k] for k in ("name", "description", "manager_id", "users", "active_flag", "deleted_flag")} == {
        "name": "Closers",
        "description": "Berlin office",
        "manager_id": 1,
        "users": [a, b],
        "active_flag": 1,
        "deleted_flag": 0,
    }
    assert team["created_by_user_id"] == 1 and len(team["add_time"]) == 19
    other = _team(api, name="Agents", manager_id=a)
    assert other["users"] == [] and other["description"] == ""
    assert data(api.get(f"/v1/legacyTeams/{team['id']}")) == team
    assert "users" not in data(api.get(f"/v1/legacyTeams/{team['id']}", params={"skip_users": 1}))

    changed = data(api.put(f"/v1/legacyTeams/{team['id']}", json={"name": "Openers", "users": [b], "active_flag": 0}))
    assert (changed["name"], changed["users"], changed["active_flag"]) == ("Openers", [b], 0)
    by_name = data(api.get("/v1/legacyTeams", params={"order_by": "name"}))
    assert [t["name"] for t in by_name] == ["Agents", "Openers"]
    assert [t["id"] for t in data(api.get("/v1/legacyTeams"))] == [team["id"], other["id"]]
    gone = data(api.put(f"/v1/legacyTeams/{other['id']}", json={"deleted_flag": 1}))
    assert gone["deleted_flag"] == 1
    assert [t["deleted_flag"] for t in data(api.get("/v1/legacyTeams"))] == [0, 1]


def test_members_are_added_removed_and_found_by_user(api, engine):
    a, b, c = (make_user(engine) for _ in range(3))
    team = _team(api, users=[a])
    second = _team(api, name="Second", users=[a, c])
    assert data(api.post(f"/v1/legacyTeams/{team['id']}/users", json={"users": [b, a]})) == [a, b]
    assert data(api.get(f"/v1/legacyTeams/{team['id']}/users")) == [a, b]
    assert data(api.delete(f"/v1/legacyTeams/{team['id']}/users", json={"users": [a]})) == [b]
    assert [t["id"] for t in data(api.get(f"/v1/legacyTeams/user/{c}"))] == [second["id"]]
    assert [t["id"] for t in data(api.get(f"/v1/legacyTeams/user/{a}"))] == [second["id"]]
    assert data(api.get("/v1/legacyTeams/user/1")) == []
    refused(api.get("/v1/legacyTeams/user/999999"), "User not found or not accessible.", 404)


def test_bad_teams_are_refused_and_nothing_is_written(api, client, engine):
    from conftest import Api

    token = next(_tokens)
    user_id = make_user(engine, token=token)
    regular = Api(client, token)
    team = _team(api)
    before = counts(engine, legacy_teams, legacy_team_users)
    refused(api.post("/v1/legacyTeams", json={"name": "No boss"}), "Validation failed: manager_id: is required")
    refused(api.post("/v1/legacyTeams", json={"manager_id": 1}), "Validation failed: name: is required")
    refused(
        api.post("/v1/legacyTeams", json={"name": "Ghosts", "manager_id": 999999}),
        "Validation failed: manager_id: User with id 999999 not found",
    )
    refused(
        api.post("/v1/legacyTeams", json={"name": "Ghosts", "manager_id": 1, "users": [1, 999999]}),
        "Validation failed: users: User with id 999999 not found",
    )
    refused(
        api.put(f"/v1/legacyTeams/{team['id']}", json={"active_flag": 2}),
        "Validation failed: active_flag: must be 0 or 1",
    )
    refused(api.post(f"/v1/legacyTeams/{team['id']}/users", json={}), "Validation failed: users: is required")
    refused(
        api.post(f"/v1/legacyTeams/{team['id']}/users", json={"users": ["x"]}),
        "Validation failed: users: must be an integer",
    )
    refused(api.get("/v1/legacyTeams/999999"), "Team 999999 does not exist", 404)
    refused(api.post("/v1/legacyTeams/999999/users", json={"users": [1]}), "Team 999999 does not exist", 404)
    denied = "You do not have permissions to do this."
    refused(regular.post("/v1/legacyTeams", json={"name": "Mine", "manager_id": user_id}), denied, 403)
    refused(regular.put(f"/v1/legacyTeams/{team['id']}", json={"name": "Taken"}), denied, 403)
    refused(regular.post(f"/v1/legacyTeams/{team['id']}/users", json={"users": [user_id]}), denied, 403)
    refused(regular.delete(f"/v1/legacyTeams/{team['id']}/users", json={"users": [1]}), denied, 403)
    assert counts(engine, legacy_teams, legacy_team_users) == before
    assert data(regular.get(f"/v1/legacyTeams/{team['id']}"))["name"] == "Closers"
