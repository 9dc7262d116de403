"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import (  # noqa: F401
    activities,
    activity_types,
    collections,
    core,
    currencies,
    deal_products,
    fields,
    files,
    followers,
    leads,
    merge,
    notes,
    participants,
    pictures,
    products,
    search,
    summaries,
    users,
)
