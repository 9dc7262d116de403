"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import activities, activity_types, core, currencies, fields, users  # noqa: F401
