"""Legacy teams (``/v1/legacyTeams``): named groups of users with a manager.

A team is never removed: ``deleted_flag`` marks it, and lists still show it with the flag,
as Pipedrive's do. Members are rows of ``legacy_team_users``.
"""

from __future__ import annotations

from typing import Any

from dealbase.domain import service
from dealbase.domain.roles import integer, json_object, name_of
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import legacy_team_users as members
from dealbase.store.tables import legacy_teams as teams
from dealbase.store.tables import users

Row = dict[str, Any]

EVENT = "legacyTeam"
MEMBER_EVENT = "legacyTeamUser"
ORDERS = ("id", "name", "manager_id", "active_flag")


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


def get(unit, team_id: int) -> Row | None:
    return repo.get(unit.conn, teams, unit.company_id, team_id)


def _user_id(unit, value: Any, key: str) -> int:
    value = integer(value, key)
    row = repo.get(unit.conn, users, unit.company_id, value)
    if row is None or not row["active_flag"]:
        raise _bad(key, f"User with id {value} not found")
    return value


def user_ids(unit, value: Any, key: str = "users") -> list[int]:
    """A list of the company's active users' ids, each once, checked."""
    if not isinstance(value, list):
        raise _bad(key, "must be a list of user ids")
    return list(dict.fromkeys(_user_id(unit, v, key) for v in value))


def _flag(value: Any, key: str) -> bool:
    if value in (0, 1) and not isinstance(value, float):
        return bool(value)
    raise _bad(key, "must be 0 or 1")


def parse(unit, body: Any, old: Row | None) -> tuple[Row, list[int] | None]:
    """A team's columns and, when given, its members, from a request body."""
    body = json_object(body)
    values: Row = {}
    if "name" in body or old is None:
        values["name"] = name_of(body.get("name"))
    if "manager_id" in body or old is None:
        if body.get("manager_id") is None:
            raise _bad("manager_id", "is required")
        values["manager_id"] = _user_id(unit, body["manager_id"], "manager_id")
    if "description" in body:
        description = body["description"]
        if description is not None and not isinstance(description, str):
            raise _bad("description", "must be a string")
        values["description"] = description
    if old is not None:
        for key, column in (("active_flag", "active_flag"), ("deleted_flag", "is_deleted")):
            if key in body:
                values[column] = _flag(body[key], key)
    wanted = user_ids(unit, body["users"]) if body.get("users") is not None else None
    return values, wanted


def members_of(unit, team_ids: list[int]) -> dict[int, list[int]]:
    """team id → its members' ids, in id order."""
    found: dict[int, list[int]] = {i: [] for i in team_ids}
    if team_ids:
        rows = repo.all_rows(
            unit.conn, members, unit.company_id, members.c.team_id.in_(team_ids), order_by=[members.c.user_id]
        )
        for row in rows:
            found[row["team_id"]].append(row["user_id"])
    return found


def add(unit, values: Row, wanted: list[int] | None) -> int:
    stamp = unit.clock()
    row = {**values, "created_by_user_id": unit.user_id, "add_time": stamp, "update_time": stamp}
    team_id = service.insert(unit, teams, row, event=EVENT, stamp=stamp)
    add_members(unit, team_id, wanted or [], stamp)
    return team_id


def update(unit, old: Row, values: Row, wanted: list[int] | None) -> None:
    stamp = unit.clock()
    changed = {k: v for k, v in values.items() if old[k] != v}
    if changed:
        service.change(unit, teams, old, {**changed, "update_time": stamp}, event=EVENT, stamp=stamp)
    if wanted is not None:
        present = members_of(unit, [old["id"]])[old["id"]]
        remove_members(unit, old["id"], [u for u in present if u not in wanted], stamp)
        add_members(unit, old["id"], wanted, stamp)


def add_members(unit, team_id: int, wanted: list[int], stamp: str | None = None) -> None:
    present = set(members_of(unit, [team_id])[team_id])
    for user_id in wanted:
        if user_id not in present:
            row = {"team_id": team_id, "user_id": user_id}
            service.insert(unit, members, row, event=MEMBER_EVENT, stamp=stamp)


def remove_members(unit, team_id: int, gone: list[int], stamp: str | None = None) -> None:
    if not gone:
        return
    where = (members.c.team_id == team_id, members.c.user_id.in_(gone))
    rows = repo.all_rows(unit.conn, members, unit.company_id, *where)
    service.remove(unit, members, *where, event=MEMBER_EVENT, rows=rows, stamp=stamp)


def listed(unit, order_by: str, user_id: int | None = None) -> list[Row]:
    """Every team (deleted ones too, flagged), or those ``user_id`` is in, ordered by ``order_by``."""
    where = []
    if user_id is not None:
        where.append(
            teams.c.id.in_(
                repo.column_values(unit.conn, members, unit.company_id, "team_id", members.c.user_id == user_id)
            )
        )
    return repo.all_rows(unit.conn, teams, unit.company_id, *where, order_by=[teams.c[order_by], teams.c.id])


def present(row: Row, member_ids: list[int] | None) -> Row:
    shown = {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"] or "",
        "manager_id": row["manager_id"],
        "users": member_ids,
        "active_flag": int(row["active_flag"]),
        "deleted_flag": int(row["is_deleted"]),
        "add_time": row["add_time"],
        "created_by_user_id": row["created_by_user_id"],
    }
    if member_ids is None:
        del shown["users"]
    return shown
