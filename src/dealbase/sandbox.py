"""Companies for the sandbox: made, listed, reset and deleted whole, for the control plane
(``control/companies.py``) and the CLI (``dealbase company …``, ``dealbase seed``) alike.

A company is made by ``bootstrap.create_company`` (its admin, more users, their API tokens,
its first rows), reset by ``bootstrap.restart`` (tokens kept) and deleted by
``store/companies.py: remove`` with its stored files; the demo data goes in through the
write service (``demo.py``). Each function works in its caller's transaction.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from dealbase import bootstrap, demo
from dealbase.bootstrap import NewUser
from dealbase.domain.unit import Unit
from dealbase.errors import BadInput
from dealbase.settings import MAX_SEATS, Settings
from dealbase.store import blobs, companies
from dealbase.store import repository as repo
from dealbase.store.tables import users

SEEDS = ("empty", "demo")
PLANS = tuple(Settings.model_fields["plan"].annotation.__args__)  # type: ignore[union-attr]
DEFAULT_NAME = "Sandbox"
MAX_TEXT = 255  # names and e-mail addresses: the columns' length


@dataclass(frozen=True)
class Seed:
    """What a new or reset company is filled with: nothing beyond its first rows, or the demo
    data set (``seed_value`` and ``deals`` shape it)."""

    kind: str = "empty"
    seed_value: int | None = None
    deals: int | None = None


@dataclass(frozen=True)
class NewCompany:
    name: str = DEFAULT_NAME
    plan: str | None = None
    seats: int | None = None
    seed: Seed = Seed()
    users: tuple[NewUser, ...] = field(default_factory=tuple)


# -- input ------------------------------------------------------------------------------


def _check_keys(body: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadInput(f"Unknown {where} key(s): {', '.join(unknown)}")


def _text(body: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = body.get(key, default)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise BadInput(f"{key} must be a non-empty string")
    if isinstance(value, str) and len(value.strip()) > MAX_TEXT:
        raise BadInput(f"{key} must be at most {MAX_TEXT} characters")
    return value.strip() if isinstance(value, str) else value


def _int(body: dict[str, Any], key: str, least: int) -> int | None:
    value = body.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < least):
        raise BadInput(f"{key} must be an integer of at least {least}")
    return value


def read_seed(body: dict[str, Any]) -> Seed:
    kind = body.get("seed", "empty")
    if kind not in SEEDS:
        raise BadInput(f"seed must be one of: {', '.join(SEEDS)}")
    seed_value, deals = _int(body, "seed_value", 0), _int(body, "deals", 0)
    if deals is not None and deals > demo.MAX_DEALS:
        raise BadInput(f"deals must be at most {demo.MAX_DEALS}")
    if kind != "demo" and (seed_value is not None or deals is not None):
        raise BadInput("seed_value and deals shape the demo data: give them with seed demo")
    return Seed(kind, seed_value, deals)


def _read_user(given: Any) -> NewUser:
    if not isinstance(given, dict):
        raise BadInput("each of users must be an object with name and email")
    _check_keys(given, ("name", "email", "is_admin"), "user")
    name, email = _text(given, "name"), _text(given, "email")
    if name is None or email is None or "@" not in email:
        raise BadInput("each of users needs a name and an e-mail address")
    is_admin = given.get("is_admin", False)
    if not isinstance(is_admin, bool):
        raise BadInput("is_admin must be a boolean")
    return NewUser(name, email, is_admin)


def read_new_company(body: dict[str, Any]) -> NewCompany:
    """``POST /_dealbase/companies``'s body, checked whole before anything is written."""
    _check_keys(body, ("name", "plan", "seats", "seed", "seed_value", "deals", "users"), "company")
    plan = body.get("plan")
    if plan is not None and plan not in PLANS:
        raise BadInput(f"plan must be one of: {', '.join(PLANS)}")
    seats = _int(body, "seats", 1)
    if seats is not None and seats > MAX_SEATS:
        raise BadInput(f"seats must be an integer of at least 1 and at most {MAX_SEATS}")
    given_users = body.get("users", [])
    if not isinstance(given_users, list):
        raise BadInput("users must be a list")
    new_users = tuple(_read_user(u) for u in given_users)
    emails = [u.email.lower() for u in new_users]
    if len(set(emails)) != len(emails):
        raise BadInput("users must have different e-mail addresses")
    return NewCompany(_text(body, "name", DEFAULT_NAME) or DEFAULT_NAME, plan, seats, read_seed(body), new_users)


def read_reset(body: dict[str, Any]) -> Seed:
    """``POST /_dealbase/companies/{id}/reset``'s body."""
    _check_keys(body, ("seed", "seed_value", "deals"), "reset")
    return read_seed(body)


# -- companies --------------------------------------------------------------------------


def _domain(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "company"
    return f"{slug}-{secrets.token_hex(3)}"


def create(conn: Connection, spec: NewCompany, settings: Settings) -> dict[str, Any]:
    """A new company as ``spec`` says; described as ``describe`` does. Its admin is the first
    of ``spec.users`` marked so, else a user "Admin" made for it; its plan and seats, when
    not given, the server's (``settings``)."""
    domain = _domain(spec.name)
    admin = next((u for u in spec.users if u.is_admin), None) or NewUser("Admin", f"admin@{domain}.local", True)
    made = bootstrap.create_company(
        conn,
        name=spec.name,
        domain=domain,
        admin_name=admin.name,
        admin_email=admin.email,
        plan=spec.plan or settings.plan,
        seats=spec.seats or settings.seats,
        others=[u for u in spec.users if u is not admin],
    )
    fill(conn, made.company_id, spec.seed)
    return describe(conn, made.company_id) or {}


def fill(conn: Connection, company_id: int, seed: Seed) -> None:
    """The seed's data into the company, written by its first admin through the service."""
    if seed.kind != "demo":
        return
    user = repo.get(conn, users, company_id, companies.first_admin_id(conn, company_id))
    shape = {k: v for k, v in (("seed_value", seed.seed_value), ("deals", seed.deals)) if v is not None}
    demo.seed(Unit(conn, company_id, user), **shape)


def _described(company: dict[str, Any], people: list[dict[str, Any]]) -> dict[str, Any]:
    shown = [
        {
            "id": u["id"],
            "email": u["email"],
            "name": u["name"],
            "is_admin": bool(u["is_admin"]),
            "api_token": u["api_token"],
        }
        for u in people
    ]
    admin = next((u for u in shown if u["is_admin"]), shown[0] if shown else {})
    return {
        "id": company["id"],
        "name": company["name"],
        "api_token": admin.get("api_token"),
        "domain": company["domain"],
        "plan": company["plan"],
        "seats": company["seats"],
        "users": shown,
    }


def describe(conn: Connection, company_id: int) -> dict[str, Any] | None:
    """``{"id", "name", "api_token" (the first admin's), "domain", "plan", "seats", "users":
    [{"id", "email", "name", "is_admin", "api_token"}]}`` (the users with an API token), or
    None for an unknown company."""
    company = companies.get(conn, company_id)
    return None if company is None else _described(company, companies.users_with_tokens(conn, [company_id]))


def describe_all(conn: Connection) -> list[dict[str, Any]]:
    rows = companies.all_rows(conn)
    people = companies.users_with_tokens(conn, [c["id"] for c in rows])
    return [_described(c, [u for u in people if u["company_id"] == c["id"]]) for c in rows]


def reset(conn: Connection, company_id: int, seed: Seed = Seed()) -> dict[str, Any] | None:
    """The company back to a new one's state (then the seed's data), users and tokens kept;
    None for an unknown company."""
    if not companies.exists(conn, company_id):
        return None
    bootstrap.restart(conn, company_id)
    fill(conn, company_id, seed)
    return describe(conn, company_id)


def delete(conn: Connection, company_id: int) -> list[str] | None:
    """Every row of the company in every table; the API tokens that went (None for an
    unknown company). Its stored files go with ``remove_files`` once this is committed."""
    if not companies.exists(conn, company_id):
        return None
    gone = companies.tokens(conn, company_id)
    companies.remove(conn, company_id)
    return gone


def remove_files(files_dir: str, company_id: int) -> None:
    blobs.remove_company(files_dir, company_id)


def serving(settings: Settings) -> Settings:
    """Sandbox mode's settings: the control plane on (the control token given, else a random
    one), webhook receivers on this machine allowed."""
    return settings.model_copy(
        update={"control_token": settings.control_token or bootstrap.new_token(), "webhooks_allow_private": True}
    )
