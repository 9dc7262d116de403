"""Roles: ``/v1/roles`` with their assignments, settings and pipelines, and a user's role
(``/v1/users/{id}/roleAssignments``, ``/roleSettings``). The rules are ``domain/roles.py``;
who may write them, ``domain/permissions.py``."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.paging import offset_page
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import roles
from dealbase.store.tables import role_assignments
from dealbase.store.tables import roles as table

handlers = Handlers()


def _role(ctx: Ctx) -> roles.Row:
    if (row := roles.live(ctx, ctx.path_id())) is None:
        raise NotFound("Role not found")
    return row


@handlers.operation("v1", "get_roles")
def get_roles(ctx: Ctx) -> Reply:
    """The company's roles, with their level in the hierarchy."""
    rows, pagination = offset_page(ctx, table, [table.c.is_deleted.is_(False)])
    return ok(roles.described(ctx, rows), {"pagination": pagination})


@handlers.operation("v1", "get_role")
def get_role(ctx: Ctx) -> Reply:
    row = _role(ctx)
    shown = roles.described(ctx, [row])[0]
    del shown["level"]
    return ok(shown, {"settings": roles.settings(row)})


@handlers.operation("v1", "add_role", write=True)
def add_role(ctx: Ctx) -> Reply:
    return ok({"id": roles.add(ctx, roles.parse(ctx, ctx.body, None))})


@handlers.operation("v1", "update_role", write=True)
def update_role(ctx: Ctx) -> Reply:
    old = _role(ctx)
    roles.update(ctx, old, roles.parse(ctx, ctx.body, old))
    return ok({"id": old["id"]})


@handlers.operation("v1", "delete_role", write=True)
def delete_role(ctx: Ctx) -> Reply:
    row = _role(ctx)
    roles.delete(ctx, row)
    return ok({"id": row["id"]})


def _sent_user_id(ctx: Ctx):
    return roles.json_object(ctx.body).get("user_id")


@handlers.operation("v1", "get_role_assignments")
def get_role_assignments(ctx: Ctx) -> Reply:
    """The users in a role."""
    role = _role(ctx)
    rows, pagination = offset_page(ctx, role_assignments, [role_assignments.c.role_id == role["id"]])
    return ok([roles.assignment(role, r["user_id"]) for r in rows], {"pagination": pagination})


@handlers.operation("v1", "add_role_assignment", write=True)
def add_role_assignment(ctx: Ctx) -> Reply:
    role = _role(ctx)
    return ok({"user_id": roles.assign(ctx, role, _sent_user_id(ctx)), "role_id": role["id"]})


@handlers.operation("v1", "delete_role_assignment", write=True)
def delete_role_assignment(ctx: Ctx) -> Reply:
    role = _role(ctx)
    roles.unassign(ctx, role, _sent_user_id(ctx))
    return ok({"id": role["id"]})


@handlers.operation("v1", "get_role_settings")
def get_role_settings(ctx: Ctx) -> Reply:
    return ok(roles.settings(_role(ctx)))


@handlers.operation("v1", "add_or_update_role_setting", write=True)
def add_or_update_role_setting(ctx: Ctx) -> Reply:
    role = _role(ctx)
    return ok({"id": role["id"], **roles.put_setting(ctx, role, ctx.body)})


@handlers.operation("v1", "get_role_pipelines")
def get_role_pipelines(ctx: Ctx) -> Reply:
    """The pipelines a role sees (``visible``, the default) or does not."""
    role = _role(ctx)
    visible = ctx.bool_param("visible", True)
    return ok({"pipeline_ids": roles.pipeline_ids(ctx, role, visible), "visible": visible})


@handlers.operation("v1", "update_role_pipelines", write=True)
def update_role_pipelines(ctx: Ctx) -> Reply:
    role = _role(ctx)
    roles.update_pipelines(ctx, role, ctx.body)
    return ok({"pipeline_ids": roles.pipeline_ids(ctx, role, True), "visible": True})


def _user_id(ctx: Ctx) -> int:
    user_id = ctx.path_id()
    if roles.user(ctx, user_id) is None:
        raise NotFound("User not found or not accessible.")
    return user_id


@handlers.operation("v1", "get_user_role_assignments")
def get_user_role_assignments(ctx: Ctx) -> Reply:
    """The role a user is in (none: an empty list; they are in the default role)."""
    user_id = _user_id(ctx)
    rows, pagination = offset_page(ctx, role_assignments, [role_assignments.c.user_id == user_id])
    found = [(roles.live(ctx, r["role_id"]), r["user_id"]) for r in rows]
    return ok([roles.assignment(role, uid) for role, uid in found if role is not None], {"pagination": pagination})


@handlers.operation("v1", "get_user_role_settings")
def get_user_role_settings(ctx: Ctx) -> Reply:
    """The settings of the user's role (the company's defaults for the default role)."""
    return ok(roles.settings(roles.role_of(ctx, _user_id(ctx))))
