"""Entity families: their field maps and the rules only they have."""

from dealbase.domain import (  # noqa: F401
    activities,
    activity_types,
    deal_products,
    deals,
    files,
    filters,
    followers,
    installments,
    leads,
    notes,
    organizations,
    participants,
    persons,
    pipelines,
    products,
    stage_moves,
    stages,
    users,
    variations,
)
