"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import (  # noqa: F401
    activity_types,
    collections,
    core,
    currencies,
    fields,
    followers,
    merge,
    participants,
    summaries,
    users,
)
