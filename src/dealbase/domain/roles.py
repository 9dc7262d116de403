"""Roles (``/v1/roles``): a hierarchy, the users in each, and what a role's users get.

A role has at most one parent (``parent_role_id``); a change that would make a role its own
ancestor is refused. A user is in at most one role; a user in none is in the default role,
which has the company's defaults. A role's settings are the visibility its users' new
deals, leads, organizations, persons and products get when the create does not say
(applied before the item's own rules, ``hooks.before_create``); a role's hidden pipelines
are kept as a list, so a new pipeline is visible to every role.
"""

from __future__ import annotations

from typing import Any

import orjson

from dealbase.domain import company_clock, hooks, service
from dealbase.domain.ids import INTEGER
from dealbase.errors import BadInput
from dealbase.store import repository as repo
from dealbase.store.tables import pipelines, role_assignments, role_hidden_pipelines, roles, users

Row = dict[str, Any]

EVENT = "role"
ASSIGNMENT_EVENT = "roleAssignment"

# entity name → the setting of its default visibility
VISIBILITY_SETTINGS = {
    "deal": "deal_default_visibility",
    "lead": "lead_default_visibility",
    "organization": "org_default_visibility",
    "person": "person_default_visibility",
    "product": "product_default_visibility",
}
SETTINGS = tuple(VISIBILITY_SETTINGS.values())
COMPANY_DEFAULT_VISIBILITY = 3  # what each item's rules give when nothing else does

# The visibility values a plan offers (Pipedrive's plans, and their names before 2025).
_GROUP_PLANS = {"premium", "ultimate", "power", "enterprise"}


def visibility_values(plan: str) -> tuple[int, ...]:
    return (1, 3, 5, 7) if plan in _GROUP_PLANS else (1, 3)


def live(unit, role_id: int) -> Row | None:
    row = repo.get(unit.conn, roles, unit.company_id, role_id)
    return row if row is not None and not row["is_deleted"] else None


def all_live(unit) -> list[Row]:
    return repo.all_rows(unit.conn, roles, unit.company_id, roles.c.is_deleted.is_(False), order_by=[roles.c.id])


def _bad(key: str, what: str) -> BadInput:
    return BadInput(f"Validation failed: {key}: {what}")


def json_object(body: Any) -> dict[str, Any]:
    """A request body that must be an object (roles', legacy teams')."""
    if not isinstance(body, dict):
        raise BadInput("Validation failed: the body must be a JSON object")
    return body


def name_of(value: Any) -> str:
    """A required ``name`` (a role's, a legacy team's): a non-empty string, trimmed."""
    if not isinstance(value, str) or not value.strip():
        raise _bad("name", "is required" if value is None else "must be a non-empty string")
    if len(value) > 255:
        raise _bad("name", "must be at most 255 characters")
    return value.strip()


def integer(value: Any, key: str) -> int:
    """An integer as sent (v1 takes digits as text too), else a refusal naming ``key``."""
    if isinstance(value, str) and INTEGER.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53:
        raise _bad(key, "must be an integer")
    return value


def parse(unit, body: Any, old: Row | None) -> Row:
    """A role's name and parent from a request body, checked (the hierarchy too)."""
    body = json_object(body)
    values: Row = {}
    if "name" in body or old is None:
        values["name"] = name_of(body.get("name"))
    if "parent_role_id" in body:
        parent = body["parent_role_id"]
        if parent is not None:
            parent = integer(parent, "parent_role_id")
            if live(unit, parent) is None:
                raise _bad("parent_role_id", f"Role with id {parent} not found")
            if old is not None and _is_ancestor(unit, old["id"], parent):
                raise _bad("parent_role_id", "a role cannot be placed under itself or one of its sub-roles")
        values["parent_role_id"] = parent
    return values


def _is_ancestor(unit, role_id: int, of: int) -> bool:
    """Whether ``role_id`` is ``of`` or above it in the hierarchy."""
    parents = {r["id"]: r["parent_role_id"] for r in all_live(unit)}
    seen: set[int] = set()
    current: int | None = of
    while current is not None and current not in seen:
        if current == role_id:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


def add(unit, values: Row) -> int:
    return service.insert_stamped(unit, roles, values, event=EVENT)


def update(unit, old: Row, values: Row) -> None:
    service.change_stamped(unit, roles, old, values, event=EVENT)


def delete(unit, row: Row) -> None:
    """Mark a role deleted: its sub-roles move up to its parent, its users to the default role."""
    stamp = unit.clock()
    for child in repo.all_rows(unit.conn, roles, unit.company_id, roles.c.parent_role_id == row["id"]):
        service.change(unit, roles, child, {"parent_role_id": row["parent_role_id"]}, event=EVENT, stamp=stamp)
    members = repo.all_rows(unit.conn, role_assignments, unit.company_id, role_assignments.c.role_id == row["id"])
    where = role_assignments.c.role_id == row["id"]
    service.remove(unit, role_assignments, where, event=ASSIGNMENT_EVENT, rows=members, stamp=stamp)
    service.remove(unit, role_hidden_pipelines, role_hidden_pipelines.c.role_id == row["id"])
    service.retire(unit, roles, row, event=EVENT, stamp=stamp)


def described(unit, rows: list[Row]) -> list[Row]:
    """Roles as the API shows them: with their level, sub-role and user counts."""
    everyone = {r["id"]: r for r in all_live(unit)}
    subs: dict[int, int] = {}
    for r in everyone.values():
        if r["parent_role_id"] is not None:
            subs[r["parent_role_id"]] = subs.get(r["parent_role_id"], 0) + 1
    counts = repo.count_by(unit.conn, role_assignments, unit.company_id, "role_id", [r["id"] for r in rows])
    shown = []
    for row in rows:
        level, parent, seen = 1, row["parent_role_id"], {row["id"]}
        while parent is not None and parent in everyone and parent not in seen:
            seen.add(parent)
            level += 1
            parent = everyone[parent]["parent_role_id"]
        shown.append(
            {
                "id": row["id"],
                "parent_role_id": row["parent_role_id"],
                "name": row["name"],
                "active_flag": not row["is_deleted"],
                "assignment_count": str(counts.get(row["id"], 0)),
                "sub_role_count": str(subs.get(row["id"], 0)),
                "level": level,
            }
        )
    return shown


# -- settings ----------------------------------------------------------------------------


def settings(role: Row | None) -> dict[str, int]:
    """A role's default visibilities (the default role's: the company's)."""
    return {key: (role or {}).get(key) or COMPANY_DEFAULT_VISIBILITY for key in SETTINGS}


def put_setting(unit, role: Row, body: Any) -> dict[str, int]:
    """Set one of a role's settings from ``{"setting_key", "value"}``; the setting as set."""
    key = json_object(body).get("setting_key")
    if key is None:
        raise _bad("setting_key", "is required")
    if key not in SETTINGS:
        raise _bad("setting_key", f"must be one of {', '.join(SETTINGS)}")
    if body.get("value") is None:
        raise _bad("value", "is required")
    value = integer(body["value"], "value")
    offered = visibility_values(repo.get_company(unit.conn, unit.company_id)["plan"])
    if value not in offered:
        raise _bad("value", f"must be one of {', '.join(map(str, offered))} on the company's plan")
    if role[key] != value:
        stamp = unit.clock()
        service.change(unit, roles, role, {key: value, "update_time": stamp}, event=EVENT, stamp=stamp)
    return {key: value}


def role_of(unit, user_id: int) -> Row | None:
    """The live role a user is in, or None (the default role)."""
    found = repo.first(unit.conn, role_assignments, unit.company_id, role_assignments.c.user_id == user_id)
    return live(unit, found["role_id"]) if found is not None else None


def own_role(unit) -> Row | None:
    """The unit's user's live role (``role_of``), read once per unit."""
    key = ("role_of", unit.user["id"])
    if key not in unit.cache:
        unit.cache[key] = role_of(unit, unit.user["id"])
    return unit.cache[key]


def role_ids(unit, user_ids: list[int]) -> dict[int, int]:
    """user id → the role they are in, for those of ``user_ids`` in one (a role's delete
    takes its assignments, so each names a live role)."""
    where = role_assignments.c.user_id.in_(user_ids)
    return {r["user_id"]: r["role_id"] for r in repo.all_rows(unit.conn, role_assignments, unit.company_id, where)}


@hooks.before_write
def _offered_visibility(unit, entity, values: Row, old: Row | None) -> None:
    """400 for a ``visible_to`` the company's plan does not offer, on the items it governs."""
    value = values.get("visible_to")
    if value is None or entity.name not in VISIBILITY_SETTINGS:
        return
    offered = visibility_values(company_clock.standing(unit.conn, unit.shared, unit.company_id).plan)
    if value not in offered:
        raise _bad("visible_to", f"must be one of {', '.join(map(str, offered))} on the company's plan")


@hooks.before_create
def _default_visibility(unit, entity, values: Row) -> None:
    setting = VISIBILITY_SETTINGS.get(entity.name)
    if setting is None or "visible_to" in values or "id" not in unit.user:
        return
    role = own_role(unit)
    if role is not None and role[setting] is not None:
        values["visible_to"] = role[setting]


# -- assignments -------------------------------------------------------------------------


def user(unit, user_id: int) -> Row | None:
    """A user of the company (deactivated ones too), or None."""
    return repo.get(unit.conn, users, unit.company_id, user_id)


def _user(unit, value: Any) -> Row:
    if value is None:
        raise _bad("user_id", "is required")
    user_id = integer(value, "user_id")
    row = user(unit, user_id)
    if row is None or not row["active_flag"]:
        raise _bad("user_id", f"User with id {user_id} not found")
    return row


def assign(unit, role: Row, user_id: Any) -> int:
    """Put a user (``user_id`` as sent) in a role, out of the one they were in; their id.
    ``POST /v1/roles/{id}/assignments``, and a user's role given to ``/v1/users``."""
    member = _user(unit, user_id)
    where = role_assignments.c.user_id == member["id"]
    old = repo.all_rows(unit.conn, role_assignments, unit.company_id, where)
    if old and old[0]["role_id"] == role["id"]:
        return member["id"]
    stamp = unit.clock()
    service.remove(unit, role_assignments, where, event=ASSIGNMENT_EVENT, rows=old, stamp=stamp)
    row = {"user_id": member["id"], "role_id": role["id"], "add_time": stamp}
    service.insert(unit, role_assignments, row, event=ASSIGNMENT_EVENT, stamp=stamp)
    return member["id"]


def unassign(unit, role: Row, user_id: Any) -> None:
    """Take a user (``user_id`` as sent) out of a role, into the default role."""
    member = _user(unit, user_id)
    where = (role_assignments.c.user_id == member["id"], role_assignments.c.role_id == role["id"])
    old = repo.all_rows(unit.conn, role_assignments, unit.company_id, *where)
    if not old:
        raise _bad("user_id", f"User with id {member['id']} is not assigned to role {role['id']}")
    service.remove(unit, role_assignments, *where, event=ASSIGNMENT_EVENT, rows=old)


def assignment(role: Row, user_id: int) -> Row:
    return {
        "user_id": user_id,
        "role_id": role["id"],
        "parent_role_id": role["parent_role_id"],
        "name": role["name"],
        "active_flag": not role["is_deleted"],
        "type": "1",
    }


# -- pipelines ---------------------------------------------------------------------------


def _live_pipeline_ids(unit) -> list[int]:
    where = pipelines.c.is_deleted.is_(False)
    return repo.column_values(unit.conn, pipelines, unit.company_id, "id", where)


def pipeline_ids(unit, role: Row, visible: bool) -> list[int]:
    """The live pipelines the role sees (or, ``visible`` false, does not see), in id order."""
    hidden = set(hidden_pipeline_ids(unit, role))
    return sorted(p for p in _live_pipeline_ids(unit) if (p in hidden) != visible)


def hidden_pipeline_ids(unit, role: Row) -> list[int]:
    """The pipelines a role hides from its users (deleted ones among them too)."""
    where = role_hidden_pipelines.c.role_id == role["id"]
    return repo.column_values(unit.conn, role_hidden_pipelines, unit.company_id, "pipeline_id", where)


def _pipeline_list(value: Any, key: str) -> list[int]:
    if value is None:
        return []
    if isinstance(value, str):  # the reference's own example sends the list as JSON text
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise _bad(key, "must be a list of pipeline ids") from None
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list):
        raise _bad(key, "must be a list of pipeline ids")
    return [integer(v, key) for v in value]


def update_pipelines(unit, role: Row, body: Any) -> None:
    """Show (``add``) and hide (``remove``) pipelines for a role."""
    given = body.get("visible_pipeline_ids") if isinstance(body, dict) else None
    if given is None:
        raise _bad("visible_pipeline_ids", "is required")
    if not isinstance(given, dict) or not set(given) <= {"add", "remove"}:
        raise _bad("visible_pipeline_ids", 'must be an object like {"add": [1], "remove": [3, 4]}')
    add = _pipeline_list(given.get("add"), "visible_pipeline_ids.add")
    remove = _pipeline_list(given.get("remove"), "visible_pipeline_ids.remove")
    known = set(_live_pipeline_ids(unit))
    for key, ids in (("visible_pipeline_ids.add", add), ("visible_pipeline_ids.remove", remove)):
        missing = [i for i in ids if i not in known]
        if missing:
            raise _bad(key, f"Pipeline with id {missing[0]} not found")
    both = set(add) & set(remove)
    if both:
        raise _bad("visible_pipeline_ids", f"pipeline {min(both)} cannot be both added and removed")
    before = sorted(hidden_pipeline_ids(unit, role))
    hidden = set(before)
    shown = [p for p in add if p in hidden]
    if shown:
        where = (role_hidden_pipelines.c.role_id == role["id"], role_hidden_pipelines.c.pipeline_id.in_(shown))
        service.remove(unit, role_hidden_pipelines, *where)
    for pipeline_id in dict.fromkeys(p for p in remove if p not in hidden):
        service.insert(unit, role_hidden_pipelines, {"role_id": role["id"], "pipeline_id": pipeline_id})
    after = sorted(hidden_pipeline_ids(unit, role))
    if after != before:
        service.note(unit, EVENT, role["id"], "change", {"hidden_pipeline_ids": [before, after]})
