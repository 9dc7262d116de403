"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import (  # noqa: F401
    activity_types,
    deal_products,
    deals,
    installments,
    organizations,
    persons,
    pipelines,
    products,
    stages,
    users,
    variations,
)
