"""Permission sets: what a user may do (``/v1/permissionSets``, ``/v1/users/{id}/permissions``).

Pipedrive's default sets are declared here, one admin set per app and a regular one for the
apps that have it (sales and global); a company does not make sets of its own through the
API. A user holds one set per app (``permission_set_assignments``); an app with no row gives
the user its default: the app's admin set for an admin, its regular set for anyone else, and
nothing for an app without a regular set (projects, campaigns, account settings).

``GOVERNED`` maps each operation a permission governs to that permission, the one place the
API layer asks (``api/auth.py: check_permission``, once per request, a dict lookup for every
other operation). Admins (``users.is_admin``) are never refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dealbase.domain import service
from dealbase.errors import BadInput, NotAllowed
from dealbase.store import repository as repo
from dealbase.store.tables import permission_set_assignments as assignments
from dealbase.store.tables import users

Row = dict[str, Any]

REFUSED = "You do not have permissions to do this."
EVENT = "permissionSetAssignment"  # the change events' entity name

APPS = ("sales", "projects", "campaigns", "global", "account_settings")

# Every permission ``GET /v1/users/{id}/permissions`` reports, by the app whose sets hold it.
# The API lists the flags without their app; where a flag sits follows the product's split
# (deals and leads under sales, contacts, activities, products, fields and the rest global).
SALES = (
    "can_add_prospects_as_leads",
    "can_bulk_edit_items",
    "can_change_visibility_of_items",
    "can_convert_deals_to_leads",
    "can_delete_deals",
    "can_edit_deals_closed_date",
    "can_merge_deals",
    "can_see_deals_list_summary",
)
GLOBAL = (
    "can_add_custom_fields",
    "can_add_products",
    "can_create_own_workflow",
    "can_delete_activities",
    "can_delete_custom_fields",
    "can_edit_custom_fields",
    "can_edit_products",
    "can_edit_shared_filters",
    "can_export_data_from_lists",
    "can_follow_other_users",
    "can_merge_organizations",
    "can_merge_people",
    "can_modify_labels",
    "can_see_company_wide_statistics",
    "can_see_hidden_items_names",
    "can_see_other_users",
    "can_see_other_users_statistics",
    "can_share_filters",
    "can_share_insights",
    "can_use_api",
    "can_use_email_tracking",
    "can_use_import",
)
ACCOUNT_SETTINGS = ("can_see_security_dashboard",)
ALL = tuple(sorted(SALES + GLOBAL + ACCOUNT_SETTINGS))

# The regular sets' permissions: those the official reference shows for a regular user.
REGULAR_SALES = ("can_bulk_edit_items", "can_change_visibility_of_items", "can_see_deals_list_summary")
REGULAR_GLOBAL = (
    "can_add_products",
    "can_delete_activities",
    "can_edit_products",
    "can_edit_shared_filters",
    "can_export_data_from_lists",
    "can_see_other_users",
    "can_share_filters",
    "can_use_api",
    "can_use_email_tracking",
)


@dataclass(frozen=True)
class PermissionSet:
    id: str
    name: str
    description: str
    app: str
    type: str  # admin | manager | regular | custom
    contents: tuple[str, ...]


def _set(name: str, description: str, app: str, kind: str, contents: tuple[str, ...]) -> PermissionSet:
    # Ids are UUIDs as Pipedrive's are, the same in every company and on every server.
    set_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dealbase:permission-set:{app}:{kind}"))
    return PermissionSet(set_id, name, description, app, kind, tuple(sorted(contents)))


SETS: tuple[PermissionSet, ...] = (
    _set("Deals admin", "Every deal and lead permission, and the company's sales setup.", "sales", "admin", SALES),
    _set(
        "Deals regular user",
        "Deals and leads, with the actions the company allows; new users get it.",
        "sales",
        "regular",
        REGULAR_SALES,
    ),
    _set(
        "Global admin",
        "Every permission over contacts, activities, products, fields and reports.",
        "global",
        "admin",
        GLOBAL,
    ),
    _set(
        "Global regular user",
        "Contacts, activities, products and reports, with the actions the company allows; new users get it.",
        "global",
        "regular",
        REGULAR_GLOBAL,
    ),
    _set("Projects admin", "Every project permission.", "projects", "admin", ()),
    _set("Campaigns admin", "Every campaign permission.", "campaigns", "admin", ()),
    _set(
        "Account settings",
        "The company account: billing, security, company settings and user management.",
        "account_settings",
        "admin",
        ACCOUNT_SETTINGS,
    ),
)
BY_ID: dict[str, PermissionSet] = {s.id: s for s in SETS}
ADMIN_SET = {s.app: s for s in SETS if s.type == "admin"}
REGULAR_SET = {s.app: s for s in SETS if s.type == "regular"}

# Company setup (roles, teams) needs the account settings app: an admin, or a user given its set.
ACCOUNT_SETUP = "account_settings"

# operation name (the same in v1 and v2) → the permission it needs (or ``ACCOUNT_SETUP``).
GOVERNED: dict[str, str] = {
    "delete_deal": "can_delete_deals",
    "delete_deals": "can_delete_deals",
    "merge_deals": "can_merge_deals",
    "merge_persons": "can_merge_people",
    "merge_organizations": "can_merge_organizations",
    "convert_deal_to_lead": "can_convert_deals_to_leads",
    "get_deals_summary": "can_see_deals_list_summary",
    "get_archived_deals_summary": "can_see_deals_list_summary",
    "delete_activity": "can_delete_activities",
    "delete_activities": "can_delete_activities",
    "add_product": "can_add_products",
    "update_product": "can_edit_products",
    "delete_product": "can_edit_products",
    "add_lead_label": "can_modify_labels",
    "update_lead_label": "can_modify_labels",
    "delete_lead_label": "can_modify_labels",
    **{
        name.format(item): permission
        for item in ("deal", "person", "organization", "product", "project")
        for name, permission in (
            ("add_{}_field", "can_add_custom_fields"),
            ("update_{}_field", "can_edit_custom_fields"),
            ("add_{}_field_options", "can_edit_custom_fields"),
            ("update_{}_field_options", "can_edit_custom_fields"),
            ("delete_{}_field_options", "can_edit_custom_fields"),
            ("delete_{}_field", "can_delete_custom_fields"),
        )
    },
    **{f"delete_{item}_fields": "can_delete_custom_fields" for item in ("deal", "person", "organization", "product")},
    **dict.fromkeys(
        (
            "add_role",
            "update_role",
            "delete_role",
            "add_role_assignment",
            "delete_role_assignment",
            "add_or_update_role_setting",
            "update_role_pipelines",
            "add_team",
            "update_team",
            "add_team_user",
            "delete_team_user",
        ),
        ACCOUNT_SETUP,
    ),
}

# Writes governed by what their body changes: operation → ((body key, permission, the value
# that needs it: None for any), …).
_ANY = None
_VISIBILITY = (("visible_to", "can_change_visibility_of_items", _ANY),)
_CLOSE_DATES = tuple((key, "can_edit_deals_closed_date", _ANY) for key in ("won_time", "lost_time", "close_time"))
_DELETED = (("status", "can_delete_deals", "deleted"),)  # v1's delete-by-update of a deal
GOVERNED_KEYS: dict[str, tuple[tuple[str, str, Any], ...]] = {
    "update_deal": _VISIBILITY + _CLOSE_DATES + _DELETED,
    "update_person": _VISIBILITY,
    "update_organization": _VISIBILITY,
    "update_product": _VISIBILITY,
    "update_lead": _VISIBILITY,
    # a filter visible to others (``visible_to`` 3) is a shared one
    "add_filter": (("visible_to", "can_share_filters", 3),),
    "update_filter": (("visible_to", "can_share_filters", 3),),
}


# Every operation anything here governs: the one lookup an ungoverned request costs.
ANY_GOVERNED = frozenset(GOVERNED) | frozenset(GOVERNED_KEYS)


def needed(operation: str, body: Any) -> list[str]:
    """The permissions a call of ``operation`` with ``body`` needs (usually none)."""
    wanted = [GOVERNED[operation]] if operation in GOVERNED else []
    keys = GOVERNED_KEYS.get(operation)
    if keys and isinstance(body, Mapping):
        wanted += [p for key, p, value in keys if key in body and (value is _ANY or _same(body[key], value))]
    return wanted


def _same(sent: Any, value: Any) -> bool:
    # v1 takes numbers as text too (a form body's are all text)
    return sent == value or str(sent) == str(value)


def check(unit, user: Row, wanted: list[str]) -> None:
    """Refuse (403) unless ``user`` holds every permission in ``wanted``; admins always may."""
    if user.get("is_admin"):
        return
    sets = _sets(unit, user)
    held = _contents(sets) | ({ACCOUNT_SETUP} if ACCOUNT_SETUP in sets else set())
    if any(permission not in held for permission in wanted):
        raise NotAllowed(REFUSED)


# -- who holds which set ------------------------------------------------------------------


def _explicit(unit, user_ids: list[int] | None = None) -> dict[int, dict[str, str]]:
    """user id → app → the set assigned to them explicitly."""
    where = [assignments.c.user_id.in_(user_ids)] if user_ids is not None else []
    found: dict[int, dict[str, str]] = {}
    for row in repo.all_rows(unit.conn, assignments, unit.company_id, *where):
        found.setdefault(row["user_id"], {})[row["app"]] = row["permission_set_id"]
    return found


def sets_of(user: Row, explicit: Mapping[str, str]) -> dict[str, PermissionSet]:
    """app → the set a user holds in it (admins: every admin set)."""
    if user.get("is_admin"):
        return dict(ADMIN_SET)
    held = {app: REGULAR_SET[app] for app in REGULAR_SET}
    held.update({app: BY_ID[set_id] for app, set_id in explicit.items() if set_id in BY_ID})
    return held


def _sets(unit, user: Row) -> dict[str, PermissionSet]:
    return sets_of(user, _explicit(unit, [user["id"]]).get(user["id"], {}))


def _contents(sets: dict[str, PermissionSet]) -> frozenset[str]:
    return frozenset(p for s in sets.values() for p in s.contents)


def granted(unit, user: Row) -> frozenset[str]:
    """Every permission the user holds over all their sets."""
    return frozenset(ALL) if user.get("is_admin") else _contents(_sets(unit, user))


def access(unit, user: Row) -> list[Row]:
    """A user's ``access`` as ``/v1/users`` shows it: one item per app they hold a set in."""
    return _access(_sets(unit, user))


def access_of(unit, people: list[Row]) -> dict[int, list[Row]]:
    """user id → ``access``, as ``access`` gives it, for several users in one read."""
    explicit = _explicit(unit, [u["id"] for u in people])
    return {u["id"]: _access(sets_of(u, explicit.get(u["id"], {}))) for u in people}


def _access(sets: dict[str, PermissionSet]) -> list[Row]:
    return [{"app": app, "admin": held.type == "admin", "permission_set_id": held.id} for app, held in sets.items()]


def holders(unit) -> dict[str, list[int]]:
    """set id → the active users holding it, in id order."""
    people = repo.all_rows(unit.conn, users, unit.company_id, users.c.active_flag.is_(True), order_by=[users.c.id])
    explicit = _explicit(unit)
    held: dict[str, list[int]] = {s.id: [] for s in SETS}
    for user in people:
        for s in sets_of(user, explicit.get(user["id"], {})).values():
            held[s.id].append(user["id"])
    return held


def assign(unit, user_id: int, app: str, *, permission_set_id: str | None = None, admin: bool | None = None) -> None:
    """Give a user a set in one app (an ``access`` item of ``POST /v1/users``): the one named,
    else the app's admin set when ``admin``, else the app's default for them."""
    if app not in APPS:
        raise BadInput(f"Validation failed: access.app: must be one of {', '.join(APPS)}")
    chosen = None
    if permission_set_id is not None:
        chosen = BY_ID.get(permission_set_id)
        if chosen is None or chosen.app != app:
            raise BadInput(f"Permission set {permission_set_id} not found for app {app}")
    elif admin:
        chosen = ADMIN_SET.get(app)
        if chosen is None:
            raise BadInput(f"Validation failed: access.app: {app} has no admin permission set")
    where = (assignments.c.user_id == user_id, assignments.c.app == app)
    old = repo.all_rows(unit.conn, assignments, unit.company_id, *where)
    service.remove(unit, assignments, *where, event=EVENT, rows=old)
    if chosen is not None:
        row = {"user_id": user_id, "app": app, "permission_set_id": chosen.id}
        service.insert(unit, assignments, row, event=EVENT)
