"""Permission sets (``/v1/permissionSets``) and a user's permissions
(``/v1/users/{id}/permissions``), from ``domain/permissions.py``."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.paging import v1_window
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import permissions
from dealbase.domain.roles import user

handlers = Handlers()


def _summary(permission_set: permissions.PermissionSet, holders: dict[str, list[int]]) -> dict:
    return {
        "id": permission_set.id,
        "name": permission_set.name,
        "description": permission_set.description,
        "app": permission_set.app,
        "type": permission_set.type,
        "assignment_count": len(holders[permission_set.id]),
    }


def _set(ctx: Ctx) -> permissions.PermissionSet:
    found = permissions.BY_ID.get(ctx.path["id"].lower())
    if found is None:
        raise NotFound("Permission set not found")
    return found


@handlers.operation("v1", "get_permission_sets")
def get_permission_sets(ctx: Ctx) -> Reply:
    """Every permission set, or those of one ``app``."""
    app = ctx.choice_param("app", permissions.APPS)
    holders = permissions.holders(ctx)
    return ok([_summary(s, holders) for s in permissions.SETS if app is None or s.app == app])


@handlers.operation("v1", "get_permission_set")
def get_permission_set(ctx: Ctx) -> Reply:
    found = _set(ctx)
    return ok({**_summary(found, permissions.holders(ctx)), "contents": list(found.contents)})


@handlers.operation("v1", "get_permission_set_assignments")
def get_permission_set_assignments(ctx: Ctx) -> Reply:
    """The users holding a set, ``start``/``limit`` at a time."""
    found = _set(ctx)
    start, limit = v1_window(ctx)
    held = permissions.holders(ctx)[found.id][start : start + limit]
    return ok([{"user_id": user_id, "permission_set_id": found.id, "name": found.name} for user_id in held])


@handlers.operation("v1", "get_user_permissions")
def get_user_permissions(ctx: Ctx) -> Reply:
    """Every permission, and whether the user holds it through any of their sets."""
    row = user(ctx, ctx.path_id())
    if row is None:
        raise NotFound("User not found or not accessible.")
    held = permissions.granted(ctx, row)
    return ok({permission: permission in held for permission in permissions.ALL})
