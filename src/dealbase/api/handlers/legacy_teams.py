"""Legacy teams (``/v1/legacyTeams``) and their members, from ``domain/legacy_teams.py``."""

from __future__ import annotations

from dealbase.api.context import Ctx
from dealbase.api.errors import NotFound
from dealbase.api.responses import Reply, ok
from dealbase.api.router import Handlers
from dealbase.domain import legacy_teams as teams
from dealbase.domain.roles import user
from dealbase.errors import BadInput

handlers = Handlers()


def _team(ctx: Ctx) -> teams.Row:
    team_id = ctx.path_id()
    if (row := teams.get(ctx, team_id)) is None:
        raise NotFound(f"Team {team_id} does not exist")
    return row


def _skip_users(ctx: Ctx) -> bool:
    return ctx.choice_param("skip_users", ("0", "1"), "0") == "1"


def _shown(ctx: Ctx, rows: list[teams.Row], skip_users: bool = False) -> list[dict]:
    members = {} if skip_users else teams.members_of(ctx, [r["id"] for r in rows])
    return [teams.present(row, None if skip_users else members[row["id"]]) for row in rows]


def _listed(ctx: Ctx, user_id: int | None = None) -> Reply:
    order_by = ctx.choice_param("order_by", teams.ORDERS, "id")
    skip = _skip_users(ctx)
    return ok(_shown(ctx, teams.listed(ctx, order_by, user_id), skip))


@handlers.operation("v1", "get_teams")
def get_teams(ctx: Ctx) -> Reply:
    """Every team of the company."""
    return _listed(ctx)


@handlers.operation("v1", "get_user_teams")
def get_user_teams(ctx: Ctx) -> Reply:
    """The teams a user is in."""
    user_id = ctx.path_id()
    if user(ctx, user_id) is None:
        raise NotFound("User not found or not accessible.")
    return _listed(ctx, user_id)


@handlers.operation("v1", "get_team")
def get_team(ctx: Ctx) -> Reply:
    skip = _skip_users(ctx)
    return ok(_shown(ctx, [_team(ctx)], skip)[0])


@handlers.operation("v1", "add_team", write=True)
def add_team(ctx: Ctx) -> Reply:
    values, members = teams.parse(ctx, ctx.body, None)
    return ok(_shown(ctx, [teams.get(ctx, teams.add(ctx, values, members))])[0])


@handlers.operation("v1", "update_team", write=True)
def update_team(ctx: Ctx) -> Reply:
    old = _team(ctx)
    teams.update(ctx, old, *teams.parse(ctx, ctx.body, old))
    return ok(_shown(ctx, [_team(ctx)])[0])


def _members(ctx: Ctx) -> list[int]:
    body = ctx.body if isinstance(ctx.body, dict) else {}
    if body.get("users") is None:
        raise BadInput("Validation failed: users: is required")
    return teams.user_ids(ctx, body["users"])


@handlers.operation("v1", "get_team_users")
def get_team_users(ctx: Ctx) -> Reply:
    team = _team(ctx)
    return ok(teams.members_of(ctx, [team["id"]])[team["id"]])


@handlers.operation("v1", "add_team_user", write=True)
def add_team_user(ctx: Ctx) -> Reply:
    team = _team(ctx)
    teams.add_members(ctx, team["id"], _members(ctx))
    return ok(teams.members_of(ctx, [team["id"]])[team["id"]])


@handlers.operation("v1", "delete_team_user", write=True)
def delete_team_user(ctx: Ctx) -> Reply:
    team = _team(ctx)
    teams.remove_members(ctx, team["id"], _members(ctx))
    return ok(teams.members_of(ctx, [team["id"]])[team["id"]])
