"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import (  # noqa: F401
    activities,
    activity_types,
    core,
    currencies,
    fields,
    files,
    leads,
    notes,
    pictures,
    users,
)
