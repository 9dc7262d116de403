"""Operation handlers: each module keeps a ``Handlers`` table, wired into the API's router
by ``register`` (the app factory calls it), not by importing the module."""

from __future__ import annotations

from importlib import import_module

from dealbase.api.router import Router

# The handler modules the API serves (no two of them handle one operation).
MODULES = (
    "activities",
    "activity_types",
    "billing",
    "call_logs",
    "channels",
    "core",
    "currencies",
    "deal_products",
    "fields",
    "files",
    "filters",
    "followers",
    "goals",
    "history",
    "leads",
    "legacy_teams",
    "mailbox",
    "meetings",
    "merge",
    "notes",
    "oauth",
    "org_relationships",
    "participants",
    "permission_sets",
    "pictures",
    "products",
    "projects",
    "recents",
    "roles",
    "search",
    "statistics",
    "summaries",
    "tasks",
    "users",
    "webhooks",
)


def register(router: Router) -> None:
    """Serve every handler module's operations through ``router``."""
    for name in MODULES:
        router.include(import_module(f"{__name__}.{name}").handlers)
