"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import activity_types, core, currencies, fields, leads, users  # noqa: F401
