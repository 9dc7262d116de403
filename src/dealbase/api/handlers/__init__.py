"""Operation handlers, registered with the router by name on import."""

from dealbase.api.handlers import (  # noqa: F401
    activity_types,
    core,
    currencies,
    deal_products,
    fields,
    products,
    users,
)
